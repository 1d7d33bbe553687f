"""A client generated from the served /openapi.json (openapi-python-client) is typed throughout, and works.

A schema a generator cannot type (an `anyOf` branch without a `type`, a body whose `oneOf` branches are
bare `required` lists) does not fail generation: it silently becomes `Any`, and a client developer finds
out when a `datetime` is sent as an object. So this reads the generated code's annotations, then calls a
real `iris serve` through the generated client with real `date`s and `datetime`s.
"""

import importlib
import inspect
import json
import pkgutil
import re
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine

from iris.db import make_session_factory
from iris.services import tokens, users
from iris.services.identity import ANONYMOUS
from iris.services.unit_of_work import SqlAlchemyUnitOfWork
from tests.support import clean_env, free_port, spawn_server, stop, url_string, wait_until_serving

pytestmark = pytest.mark.slow

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "iris_client"
ANY = re.compile(r"\bAny\b")
# Values of any JSON type by design: a history entry's old and new value of whichever field changed.
# A journal entry's values are whatever the field held (text, a date, a snapshot); an inbox entry repeats them.
ANY_BY_DESIGN = {"HistoryEntry.old", "HistoryEntry.new", "Change.old", "Change.new"}


@pytest.fixture(scope="module")
def served(databases):
    """`iris serve` with tokens required, and a token of an admin: what a client developer starts from."""
    url, port = databases.create("iris_client"), free_port()
    env = clean_env(DATABASE_URL=url_string(url), IRIS_ENV="test", IRIS_AUTH="required", IRIS_PORT=str(port),
                    IRIS_HOST="127.0.0.1", IRIS_WORKERS="1")  # fmt: skip
    proc = spawn_server([sys.executable, "-m", "iris", "serve", "--migrate"], env)
    engine = create_engine(url)
    try:
        wait_until_serving(port, proc)
        users.create_user(_uow(engine), {"username": "dev", "role": "admin", "email": "dev@example.org"})
        secret = tokens.issue_token(_uow(engine), "dev", "generated client", None).secret
        yield f"http://127.0.0.1:{port}", secret
    finally:
        engine.dispose()
        stop(proc)


def _uow(engine) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(make_session_factory(engine), ANONYMOUS)


@pytest.fixture(scope="module")
def client_package(served, tmp_path_factory):
    """The package openapi-python-client generates from the served document, imported."""
    base_url, _ = served
    work = tmp_path_factory.mktemp("generated")
    (work / "openapi.json").write_text(json.dumps(requests.get(f"{base_url}/openapi.json", timeout=5).json()))
    (work / "config.json").write_text(json.dumps({"post_hooks": [], "package_name_override": PACKAGE}))
    command = [str(GENERATOR), "generate", "--path", "openapi.json", "--config", "config.json", "--meta", "none",
               "--output-path", PACKAGE, "--fail-on-warning"]  # fmt: skip
    run = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    sys.path.insert(0, str(work))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(work))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _modules(package, subpackage: str):
    root = importlib.import_module(f"{package.__name__}.{subpackage}")
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{root.__name__}."):
        yield importlib.import_module(info.name)


def _untyped(package) -> set[str]:
    """Every request parameter, body and model field whose generated type is or contains `Any`."""
    found = set()
    for module in _modules(package, "api"):
        if not hasattr(module, "sync_detailed"):
            continue  # a tag's package
        for name, parameter in inspect.signature(module.sync_detailed).parameters.items():
            if ANY.search(str(parameter.annotation)):
                found.add(f"{module.__name__.rsplit('.', 1)[-1]}({name})")
    for module in _modules(package, "models"):
        for model in vars(module).values():
            if inspect.isclass(model) and model.__module__ == module.__name__:
                hints = getattr(model, "__annotations__", {})
                found |= {f"{model.__name__}.{k}" for k, v in hints.items() if k != "additional_properties" and
                          ANY.search(str(v))}  # fmt: skip
    return found


def _annotation(function, parameter: str) -> str:
    return str(inspect.signature(function).parameters[parameter].annotation)


def test_the_generated_client_types_every_parameter_body_and_field(client_package):
    api = importlib.import_module(f"{PACKAGE}.api")
    assert _untyped(client_package) == ANY_BY_DESIGN
    listing = importlib.import_module(f"{api.__name__}.tickets.list_tickets").sync_detailed
    for name in ("due_before", "due_after", "created_before", "created_after", "updated_after"):
        assert {"datetime.date", "datetime.datetime"} <= set(re.findall(r"datetime\.\w+", _annotation(listing, name)))
    models = importlib.import_module(f"{PACKAGE}.models")
    assert "datetime.date | datetime.datetime | None" in models.TicketCreate.__annotations__["due"]
    assert "datetime.date | datetime.datetime | None" in models.TicketPatch.__annotations__["due"]
    move = importlib.import_module(f"{api.__name__}.workflows.move_ticket").sync_detailed
    assert _annotation(move, "body").count("TransitionRequest") == 2, "a move names `to` or `transition`: two types"
    assert models.StaleBody.__annotations__ == {
        "errors": "StaleBodyErrors", "etag": "str", "version": "int",
        "additional_properties": "dict[str, Any]"}  # fmt: skip


def test_a_generated_client_moves_and_finds_tickets_on_a_real_server_with_real_dates(served, client_package):
    base_url, secret = served
    models = importlib.import_module(f"{PACKAGE}.models")
    api = f"{PACKAGE}.api"
    create, listing, move = (importlib.import_module(f"{api}.{name}") for name in
                             ("tickets.create_ticket", "tickets.list_tickets", "workflows.move_ticket"))  # fmt: skip
    client = client_package.AuthenticatedClient(base_url=base_url, token=secret, raise_on_unexpected_status=True)

    created = create.sync_detailed(client=client, body=models.TicketCreate(title="Ship it", due=date(2030, 1, 31)))
    assert created.status_code == 201
    ticket = created.parsed
    assert ticket.due == datetime(2030, 1, 31, tzinfo=timezone.utc)

    in_berlin = timezone(timedelta(hours=1))
    found = listing.sync(client=client, due_before=datetime(2030, 1, 31, 1, 30, tzinfo=in_berlin),
                         created_after=date(2000, 1, 1))  # fmt: skip
    assert [t.ticket_id for t in found] == [ticket.ticket_id]
    assert listing.sync(client=client, due_before=date(2030, 1, 31)) == []

    by_status = models.TransitionRequestWithTo(to="In Progress", comment="on it")
    moved = move.sync_detailed(ticket.ticket_id, client=client, body=by_status, if_match='"1"')
    assert moved.status_code == 200 and moved.parsed.workflow.status == "In Progress"
    by_name = models.TransitionRequestWithTransition(transition="resolve")
    stale = move.sync_detailed(ticket.ticket_id, client=client, body=by_name, if_match='"1"')
    assert stale.status_code == 412 and isinstance(stale.parsed, models.StaleBody)
    current = moved.parsed.version
    assert (stale.parsed.etag, stale.parsed.version, stale.headers["ETag"]) == (f'"{current}"', current, f'"{current}"')
    resolved = move.sync(ticket.ticket_id, client=client, body=models.TransitionRequestWithTransition("resolve"),
                         if_match=stale.parsed.etag)  # fmt: skip
    assert resolved.workflow.status == "Resolved" and resolved.comments[0].body == "on it"
