"""Bad input gets a clear JSON error, never a 500, and never hug's generated documentation."""

import logging

import pytest
from sqlalchemy import text

from iris.services import tickets as ticket_service


def test_malformed_json_is_400(client):
    response = client.put("/tickets", '{"title": "x"', content_type="application/json", status=400)
    assert "malformed JSON" in response.json["errors"]["body"]


def test_invalid_utf8_is_400(client):
    response = client.put("/tickets", b'{"title": "\xff"}', content_type="application/json", status=400)
    assert "body" in response.json["errors"]


@pytest.mark.parametrize("body", [{}, {"title": ""}, {"title": "   "}, {"assignee": "ann"}])
def test_missing_or_empty_title_is_400_naming_the_field(client, body):
    response = client.put_json("/tickets", body, status=400)
    assert list(response.json["errors"]) == ["title"]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"title": 5}, "title"),
        ({"title": "x", "assignee": ["a"]}, "assignee"),
        ({"title": "x", "description": {"a": 1}}, "description"),
        ({"title": True}, "title"),
    ],
)
def test_wrong_types_are_400(client, body, field):
    response = client.put_json("/tickets", body, status=400)
    assert field in response.json["errors"]


@pytest.mark.parametrize(
    "path", ["/tickets/abc", "/tickets/1.5", "/tickets/-1", "/tickets/99999999999", "/tickets/%C2%B2"]
)
def test_non_integer_ids_are_400(client, path):
    response = client.get(path, status=400)
    assert "ticket_id" in response.json["errors"]


def test_unknown_fields_are_400_naming_them(client):
    response = client.put_json("/tickets", {"title": "x", "colour": "red", "size": 3}, status=400)
    assert response.json["errors"] == {"colour": "unknown field", "size": "unknown field"}


def test_body_over_one_mebibyte_is_413(client):
    big = '{"title": "' + "x" * (1024 * 1024) + '"}'
    response = client.put("/tickets", big, content_type="application/json", status=413)
    assert "body" in response.json["errors"]
    assert client.get("/tickets").json == []


def test_unknown_route_is_a_short_json_404(client):
    response = client.get("/no/such/thing", status=404)
    assert response.json == {"errors": {"route": "no route for /no/such/thing"}}
    assert len(response.body) < 200


def test_wrong_method_is_405_with_allow(client):
    response = client.post("/tickets/1", status=405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "PATCH", "DELETE"}
    assert "method" in response.json["errors"]


@pytest.mark.filterwarnings("ignore:Unknown REQUEST_METHOD")
def test_every_allow_header_of_a_route_is_the_same_list(client):
    """A 405 for a known method, one for an unknown method, and OPTIONS all name the same methods."""
    for path, wrong in [("/tickets", "DELETE"), ("/tickets/1", "POST")]:
        allows = {
            client.request(path, method=wrong, status=405).headers["Allow"],
            client.request(path, method="QUERY", status=405, expect_errors=True).headers["Allow"],
            client.options(path).headers["Allow"],
        }
        assert len(allows) == 1, (path, allows)
        methods = allows.pop().split(", ")
        assert methods == sorted(methods) and "OPTIONS" in methods and wrong not in methods


def test_unsupported_content_type_is_415(client):
    response = client.put("/tickets", "title=x", content_type="application/x-www-form-urlencoded", status=415)
    assert "content-type" in response.json["errors"]


def test_missing_body_is_400(client):
    response = client.put("/tickets", "", content_type="application/json", status=400)
    assert "body" in response.json["errors"]


def test_comma_in_a_query_value_is_not_split_into_a_list(client):
    response = client.get("/tickets?limit=1,2", status=400)
    assert response.json["errors"] == {"limit": "must be an integer from 1 to 500"}


def test_repeated_query_parameter_is_400(client):
    response = client.get("/tickets?limit=1&limit=2", status=400)
    assert "limit" in response.json["errors"]


def test_unexpected_exception_is_a_generic_json_500_and_logged(client, monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(ticket_service, "get_ticket_detail", explode)  # what GET /tickets/{id} calls
    with caplog.at_level(logging.ERROR, logger="iris.api"):
        response = client.get("/tickets/1", status=500)
    assert response.json == {"errors": {"server": "internal error; the details are in the server log"}}
    assert "hunter2" not in response.text
    assert "secret internals" in caplog.text


def test_route_modules_keep_hug_validation_on():
    from pathlib import Path

    import iris

    for path in Path(iris.__file__).parent.rglob("*.py"):
        assert "from __future__ import annotations" not in path.read_text(), path


def test_head_is_get_without_a_body(client):
    client.put_json("/tickets", {"title": "x"}, status=201)
    response = client.head("/tickets/1", status=200)
    assert response.body == b""
    client.head("/tickets/2", status=404)


def test_a_statement_over_the_timeout_is_a_503_and_frees_its_connection(settings, clean_db, monkeypatch):
    from dataclasses import replace

    import webtest
    from sqlalchemy import text

    from iris.api.app import create_app

    app = create_app(replace(settings, statement_timeout_ms=100))

    def slow(uow, *args, **kwargs):
        uow.session.execute(text("SELECT pg_sleep(2)"))

    monkeypatch.setattr(ticket_service, "find_tickets", slow)
    response = webtest.TestApp(app).get("/tickets", status=503)
    assert response.json == {"errors": {"database": "unavailable or too slow; try again"}}
    assert response.headers["Retry-After"] == "1"
    assert app.engine.pool.checkedout() == 0
    app.engine.dispose()


@pytest.mark.filterwarnings("ignore:Unknown REQUEST_METHOD")  # WebTest's lint dislikes the very method under test
def test_a_method_falcon_does_not_know_is_405_not_400(client):
    response = client.request("/tickets", method="QUERY", status=405)
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "PUT", "POST", "PATCH", "OPTIONS"}
    client.request("/nowhere", method="QUERY", status=404)


def test_a_failing_statement_is_logged_once_bounded_and_without_its_parameters(client, monkeypatch, caplog):
    secret_text = "user-text-" + "x" * 50_000

    def failing(uow, *args, **kwargs):
        uow.session.execute(text("SELECT no_such_function(:p) FROM tickets, tickets AS t2"), {"p": secret_text})

    monkeypatch.setattr(ticket_service, "get_ticket_detail", failing)
    with caplog.at_level(logging.ERROR, logger="iris.api"):
        client.get("/tickets/1", status=500)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, "logged once"
    assert "user-text-" not in caplog.text and len(caplog.text) < 10_000
    assert "no_such_function" in caplog.text, "what failed is still there"
