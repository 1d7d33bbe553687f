"""Helpers for the web page's WebTest tests: an app with tokens required, people with passwords, signing in."""

import webtest

from iris.db import make_session_factory
from iris.services import passwords, users
from iris.services.unit_of_work import SqlAlchemyUnitOfWork

PASSWORD = "correct horse battery staple"
PEOPLE = {"ann": "agent", "rep": "reporter", "boss": "admin"}


def uow(app, actor=None) -> SqlAlchemyUnitOfWork:
    factory = make_session_factory(app.engine)
    return SqlAlchemyUnitOfWork(factory) if actor is None else SqlAlchemyUnitOfWork(factory, actor)


def add_people(app) -> None:
    for name, role in PEOPLE.items():
        users.create_user(uow(app), {"username": name, "role": role})
        passwords.set_password(uow(app), name, PASSWORD)


def sign_in(client: webtest.TestApp, username: str, password: str = PASSWORD, status: int = 303, next_: str = ""):
    page = client.get("/sign-in" + (f"?next={next_}" if next_ else ""))
    form = page.forms[0]
    form["username"], form["password"] = username, password
    return form.submit(status=status)


def form_for(page, action: str):
    """The page's form that posts to `action`."""
    return next(form for form in page.forms.values() if form.action == action)


def csrf_of(page) -> str:
    return page.html.find("input", {"name": "csrf"})["value"]
