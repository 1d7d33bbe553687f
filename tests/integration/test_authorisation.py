"""Who may call what: every route against every kind of caller, from one table, with IRIS_AUTH=required."""

import json
from dataclasses import replace

import pytest
import webtest

from iris.api import access
from iris.api.app import ROUTES, create_app
from tests.integration.identities import IDENTITIES, make_cast

KNOWN = IDENTITIES[5:]  # reporter, reporter-who-reported, assignee, agent, admin
UNKNOWN = IDENTITIES[:5]
WORKFLOW = {
    "statuses": ["Open", "In Progress", "Resolved", "Closed"], "initial": "Open", "closed": ["Resolved", "Closed"],
    "transitions": [
        {"name": "start", "from": "Open", "to": "In Progress"},
        {"name": "resolve", "from": "In Progress", "to": "Resolved"},
        {"name": "close", "from": "Resolved", "to": "Closed"},
    ],
}  # fmt: skip


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(KNOWN, status)


def only(status: int, *allowed: str, otherwise: int = 403) -> dict[str, int]:
    return {who: status if who in allowed else otherwise for who in KNOWN}


EDITORS = ("reporter-who-reported", "assignee", "agent", "admin")
# (method, path, body, expected status per known caller); {t}, {c}, {spare} are filled in from the cast.
MATRIX = [
    ("GET", "/user", None, everyone(200)),
    ("GET", "/users", None, everyone(200)),
    ("POST", "/users", {"username": "newbie"}, only(201, "admin")),
    ("GET", "/users/{username}", None, everyone(200)),
    ("PATCH", "/users/{username}", {"display_name": "R"}, only(200, "reporter", "admin")),
    ("PUT", "/users/{username}/password", {"password": "a fine new password"}, only(204, "reporter", "admin")),
    ("POST", "/user/tokens", {"name": "laptop"}, everyone(201)),
    ("GET", "/user/tokens", None, everyone(200)),
    ("DELETE", "/user/tokens/{token_id}", None, only(204, "reporter", "admin", otherwise=404)),
    ("GET", "/users/{username}/tokens", None, only(200, "reporter", "admin")),
    ("DELETE", "/users/{username}/tokens/{token_id}", None, only(204, "reporter", "admin", otherwise=404)),
    ("PUT", "/tickets", {"title": "new"}, everyone(201)),
    ("POST", "/tickets", {"title": "new"}, everyone(201)),
    ("GET", "/tickets", None, everyone(200)),
    ("PATCH", "/tickets", "bulk", only(200, "agent", "admin")),
    ("GET", "/tickets/{ticket_id}", None, everyone(200)),
    ("PATCH", "/tickets/{ticket_id}", {"title": "renamed"}, only(200, *EDITORS)),
    ("PUT", "/tickets/{ticket_id}", {"title": "renamed", "assignee": "asg"}, only(200, *EDITORS)),
    ("DELETE", "/tickets/{ticket_id}", None, only(204, "admin")),
    ("GET", "/tickets/{ticket_id}/history", None, everyone(200)),
    ("GET", "/history/{ticket_id}", None, only(200, "admin")),
    ("POST", "/tickets/{ticket_id}/comments", {"body": "hi"}, everyone(201)),
    ("GET", "/tickets/{ticket_id}/comments", None, everyone(200)),
    ("GET", "/comments/{comment_id}", None, everyone(200)),
    ("PATCH", "/comments/{comment_id}", {"body": "edited"}, only(200, "reporter-who-reported", "agent", "admin")),
    ("DELETE", "/comments/{comment_id}", None, only(204, "reporter-who-reported", "agent", "admin")),
    ("GET", "/workflows", None, everyone(200)),
    ("GET", "/workflows/{name}", None, everyone(200)),
    ("PUT", "/workflows/{name}", WORKFLOW, only(200, "admin")),
    ("GET", "/tickets/{ticket_id}/transitions", None, everyone(200)),
    ("POST", "/tickets/{ticket_id}/transitions", {"to": "In Progress"}, only(200, "assignee", "agent", "admin")),
    ("GET", "/tickets/{ticket_id}/watchers", None, everyone(200)),
    ("PUT", "/tickets/{ticket_id}/watchers/{username}", None, only(204, "reporter", "agent", "admin")),
    ("DELETE", "/tickets/{ticket_id}/watchers/{username}", None, only(204, "reporter", "agent", "admin")),
    ("GET", "/user/notifications", None, everyone(200)),
    ("PATCH", "/user/notifications/{notification_id}", {"read": True}, only(200, "reporter", otherwise=404)),
    ("POST", "/user/notifications/read", {"up_to": 1}, everyone(200)),
    ("GET", "/user/notification-preferences", None, everyone(200)),
    ("PUT", "/user/notification-preferences", {"events": ["created"], "channels": ["inbox"]}, everyone(200)),
    ("POST", "/webhooks", {"url": "https://1.1.1.1", "secret": "s" * 16, "events": ["moved"]}, only(201, "admin")),
    ("GET", "/webhooks", None, only(200, "admin")),
    ("GET", "/webhooks/{webhook_id}", None, only(200, "admin")),
    ("PATCH", "/webhooks/{webhook_id}", {"events": ["created"]}, only(200, "admin")),
    ("DELETE", "/webhooks/{webhook_id}", None, only(204, "admin")),
    ("GET", "/webhooks/{webhook_id}/deliveries", None, only(200, "admin")),
    ("GET", "/webhooks/{webhook_id}/deliveries/{delivery_id}", None, only(200, "admin")),
    ("POST", "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", None, only(202, "admin")),
    ("GET", "/metrics", None, everyone(200)),
    ("GET", "/health", None, "public"),
    ("GET", "/ready", None, "public"),
    ("GET", "/live", None, "public"),
    ("GET", "/openapi.json", None, "public"),
    ("GET", "/docs", None, "public"),
    ("GET", "/docs/assets/{name}", None, "public"),
    ("GET", "/static/{name}", None, "public"),
]
CASES = [(m, p, b, e, who) for m, p, b, e in MATRIX for who in IDENTITIES]


@pytest.fixture(scope="module")
def required_app(settings):
    app = create_app(replace(settings, auth="required"))
    yield app
    app.engine.dispose()


def expected(expect, who: str) -> int:
    if expect == "public":
        return 200
    return expect[who] if who in KNOWN else 401


def request_of(path: str, body, cast):
    values = {
        "ticket_id": cast.ticket_id, "comment_id": cast.comment_id, "token_id": cast.spare_token_id,
        "username": "rep", "name": "default", "notification_id": cast.notification_id,
        "webhook_id": cast.webhook_id, "delivery_id": cast.delivery_id,
    }  # fmt: skip
    if body == "bulk":
        body = {"items": [{"ticket_id": cast.ticket_id, "version": 3, "changes": {"title": "bulk"}}]}
    if path.startswith("/docs/assets/"):
        values["name"] = "swagger-ui.css"
    if path.startswith("/static/"):
        values["name"] = "iris.css"
    return path.format(**values), body


@pytest.mark.parametrize("method,path,body,expect,who", CASES, ids=[f"{c[0]} {c[1]} as {c[4]}" for c in CASES])
def test_every_route_answers_every_caller_as_its_policy_says(required_app, clean_db, method, path, body, expect, who):
    cast = make_cast(required_app.engine)
    url, body = request_of(path, body, cast)
    client = webtest.TestApp(required_app)
    kwargs = {"headers": cast.headers[who], "expect_errors": True}
    if body is not None:
        kwargs.update(body=json.dumps(body).encode(), content_type="application/json")
    answer = client.request(url, method=method, **kwargs)
    assert answer.status_int == expected(expect, who), answer.text
    if answer.status_int == 401:
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert answer.json == {"errors": {"authorization": "send a valid API token: Authorization: Bearer <token>"}}
    if answer.status_int == 403:
        assert answer.json["errors"]["authorization"].startswith("needs ")


def test_the_table_covers_every_route_and_every_route_declares_a_policy():
    served = {(r.method, r.path) for r in ROUTES}
    assert served == {(m, p) for m, p, _, _ in MATRIX}
    assert all(r.policy in access.POLICIES for r in ROUTES)


def test_a_route_without_a_policy_is_refused_when_the_app_is_built(settings, monkeypatch):
    from iris.api import app as app_module
    from iris.api.answers import reads
    from iris.api.routes import Answer, Route

    forgotten = Route(
        "GET", "/open-by-accident", lambda request, response: {}, "Oops", "service", reads(_200=Answer("x"))
    )
    monkeypatch.setattr(app_module, "ROUTES", app_module.ROUTES + [forgotten])
    with pytest.raises(ValueError, match="declares no access policy"):
        app_module.create_app(settings)


@pytest.mark.slow
def test_the_same_table_holds_against_a_real_iris_serve_with_authentication_required(
    app, db_url, migrated_rows, clean_db
):
    import sys

    import requests

    from tests.conftest import reset_database
    from tests.support import clean_env, free_port, spawn_server, stop, url_string, wait_until_serving

    port = free_port()
    env = clean_env(DATABASE_URL=url_string(db_url), IRIS_ENV="test", IRIS_AUTH="required", IRIS_PORT=str(port),
                    IRIS_REQUIRE_IF_MATCH="false", IRIS_WORKERS="2")  # fmt: skip
    proc = spawn_server([sys.executable, "-m", "iris", "serve"], env)
    wrong = []
    try:
        wait_until_serving(port, proc)
        for method, path, body, expect, who in CASES:
            reset_database(app.engine, migrated_rows)
            cast = make_cast(app.engine)
            url, body = request_of(path, body, cast)
            answer = requests.request(method, f"http://127.0.0.1:{port}{url}", json=body, headers=cast.headers[who],
                                      timeout=10)  # fmt: skip
            if answer.status_code != expected(expect, who):
                wrong.append(f"{method} {path} as {who}: {answer.status_code} {answer.text[:200]}")
    finally:
        stop(proc)
    assert not wrong, "\n".join(wrong)
