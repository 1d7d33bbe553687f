"""The tickets API over WSGI (WebTest) on a real PostgreSQL."""

import json
from datetime import datetime, timedelta, timezone

from tests.support import link

TUTORIAL_BODY = {"title": "A new ticket", "assignee": "jchittum", "description": "Get this done ASAP"}


def summary(detail):
    """A ticket as GET /tickets/{id} answers, less its comments: what the list and writes answer."""
    return {k: v for k, v in detail.items() if k not in ("comments", "comment_count")}


def create(client, **fields):
    body = {"title": "a ticket", **fields}
    return client.put_json("/tickets", body, status=201).json


def test_put_tickets_with_the_tutorial_body_creates_the_ticket(client):
    response = client.put_json("/tickets", TUTORIAL_BODY, status=201)
    ticket = response.json
    assert response.headers["Location"] == f"/tickets/{ticket['ticket_id']}"
    assert {k: ticket[k] for k in TUTORIAL_BODY} == TUTORIAL_BODY
    created = datetime.fromisoformat(ticket["created"])
    assert created.utcoffset() == timedelta(0)
    assert abs(datetime.now(timezone.utc) - created) < timedelta(minutes=1)
    assert ticket["due"] is None
    assert ticket["workflow"] == {"name": "default", "status": "Open"}
    assert client.get(response.headers["Location"]).json == {**ticket, "comments": [], "comment_count": 0}


def test_post_tickets_creates_too(client):
    response = client.post_json("/tickets", {"title": "posted"}, status=201)
    assert response.json["title"] == "posted"
    assert client.get("/tickets").json[0]["ticket_id"] == response.json["ticket_id"]


def test_created_and_ticket_id_are_set_by_the_server(client):
    response = client.put_json("/tickets", {"title": "x", "ticket_id": 99}, status=400)
    assert "ticket_id" in response.json["errors"]
    response = client.put_json("/tickets", {"title": "x", "created": "2020-01-01"}, status=400)
    assert "created" in response.json["errors"]


def test_due_is_taken_as_iso_8601_and_returned_in_utc(client):
    ticket = create(client, due="2025-03-04T10:00:00+02:00")
    assert ticket["due"] == "2025-03-04T08:00:00+00:00"
    ticket = create(client, due="2025-03-04")
    assert ticket["due"] == "2025-03-04T00:00:00+00:00"
    ticket = create(client, due="2025-03-04T10:00")
    assert ticket["due"] == "2025-03-04T10:00:00+00:00"


def test_due_in_another_format_is_refused(client):
    for bad in ["tomorrow", "04/03/2025", "2025-13-01", "", 20250304]:
        response = client.put_json("/tickets", {"title": "x", "due": bad}, status=400)
        assert "due" in response.json["errors"], bad


def test_get_missing_ticket_is_a_json_404(client):
    response = client.get("/tickets/12345", status=404)
    assert response.content_type == "application/json"
    assert response.json == {"errors": {"ticket": "ticket 12345 does not exist"}}


def test_patch_changes_only_the_fields_sent(client):
    ticket = create(client, assignee="ann", description="first")
    patched = client.patch_json(f"/tickets/{ticket['ticket_id']}", {"description": "second"}).json
    assert patched["description"] == "second"
    assert patched["assignee"] == "ann" and patched["title"] == ticket["title"]
    assert patched["updated"] > ticket["updated"]
    cleared = client.patch_json(f"/tickets/{ticket['ticket_id']}", {"assignee": None}).json
    assert cleared["assignee"] is None
    assert summary(client.get(f"/tickets/{ticket['ticket_id']}").json) == cleared


def test_patch_cannot_clear_or_blank_the_title(client):
    ticket = create(client)
    for bad in [None, "", "   "]:
        response = client.patch_json(f"/tickets/{ticket['ticket_id']}", {"title": bad}, status=400)
        assert "title" in response.json["errors"]


def test_patch_missing_ticket_is_404(client):
    client.patch_json("/tickets/777", {"title": "x"}, status=404)


def test_patch_body_cannot_redirect_to_another_ticket(client):
    first, second = create(client, title="one"), create(client, title="two")
    response = client.patch_json(
        f"/tickets/{first['ticket_id']}?ticket_id={second['ticket_id']}", {"title": "x"}, status=400
    )
    assert "ticket_id" in response.json["errors"]
    response = client.patch_json(
        f"/tickets/{first['ticket_id']}", {"title": "x", "ticket_id": second["ticket_id"]}, status=400
    )
    assert client.get(f"/tickets/{second['ticket_id']}").json["title"] == "two"


def test_delete_answers_204_and_the_ticket_is_gone(client):
    ticket = create(client)
    response = client.delete(f"/tickets/{ticket['ticket_id']}", status=204)
    assert response.body == b""
    client.get(f"/tickets/{ticket['ticket_id']}", status=404)
    client.delete(f"/tickets/{ticket['ticket_id']}", status=404)


def test_list_is_in_ticket_id_order_and_paged_with_link_headers(client):
    ids = [create(client, title=f"t{i}")["ticket_id"] for i in range(7)]
    seen, url = [], "/tickets?limit=3"
    while url:
        response = client.get(url)
        seen += [t["ticket_id"] for t in response.json]
        url = link(response.headers, "next")
    assert seen == ids


def test_a_trailing_slash_names_the_same_resource(client):
    response = client.put_json("/tickets/", TUTORIAL_BODY, status=201)
    ticket = response.json
    assert response.headers["Location"] == f"/tickets/{ticket['ticket_id']}"
    assert client.get(f"/tickets/{ticket['ticket_id']}/").json == client.get(response.headers["Location"]).json
    assert (
        client.get("/tickets/?limit=1").json
        == client.get("/tickets?limit=1").json
        == [summary(client.get(response.headers["Location"]).json)]
    )
    assert link(client.get("/tickets/?limit=1").headers, "first") == "/tickets?limit=1"
    assert client.get("/workflows/").json == client.get("/workflows").json
    for path in ["/tickets//", "/tickets//comments", "/workflows//"]:
        assert client.get(path, status=404).json == {"errors": {"route": f"no route for {path.removesuffix('/')}"}}


def test_list_limit_bounds(client):
    create(client)
    assert len(client.get("/tickets").json) == 1
    for bad in ["0", "501", "-1", "x", "1.5", "1,2"]:
        response = client.get(f"/tickets?limit={bad}", status=400)
        assert "limit" in response.json["errors"], bad
    client.get("/tickets?limit=500")
    response = client.get("/tickets?after=abc", status=400)
    assert "after" in response.json["errors"]


def test_list_refuses_unknown_query_parameters(client):
    response = client.get("/tickets?colour=red", status=400)
    assert response.json["errors"] == {"colour": "unknown query parameter"}


def test_sql_in_strings_is_stored_and_returned_verbatim(client):
    nasty = "'); DROP TABLE tickets;--"
    ticket = create(client, title=nasty, description=nasty)
    assert client.get(f"/tickets/{ticket['ticket_id']}").json["title"] == nasty
    assert client.get("/tickets").json[0]["description"] == nasty


def test_unicode_round_trips(client):
    ticket = create(client, title="Ünïcödé ✓ 票", description="emoji 🎫")
    assert client.get(f"/tickets/{ticket['ticket_id']}").json["title"] == "Ünïcödé ✓ 票"


def test_health_answers_when_the_database_does(client):
    assert client.get("/health").json == {"status": "ok", "database": "ok"}


def test_health_is_503_json_when_the_database_is_unreachable():
    import webtest
    from sqlalchemy.engine import URL

    from iris.api.app import create_app
    from iris.config import Settings

    dead = URL.create(
        "postgresql+psycopg2", username="iris", password="s3cret-pass", host="127.0.0.1", port=1, database="iris"
    )
    app = create_app(Settings(env="test", database_url=dead, connect_timeout_s=1))
    response = webtest.TestApp(app).get("/health", status=503)
    assert response.json == {"errors": {"database": "unavailable"}}
    assert "s3cret" not in response.text
    app.engine.dispose()


def test_a_running_server_says_when_its_database_falls_behind_its_migrations(empty_db):
    """Not `/health` ok while every request is a 500: the database was replaced, or downgraded, under the server."""
    import webtest

    from iris import migrate
    from iris.api.app import create_app
    from iris.config import Settings

    app = create_app(Settings(env="test", database_url=empty_db, require_if_match=False))
    client, head = webtest.TestApp(app), migrate.revisions().head
    try:
        assert client.get("/health", status=503).json == {
            "errors": {
                "database": (
                    "the database is not migrated by iris yet (it has no alembic_version), "
                    f"and this iris needs revision {head}: "
                    "run `iris db upgrade` first"
                )
            }
        }
        lacking = {"errors": {"database": "lacks a table or column that this iris needs; GET /health says why"}}
        assert client.get("/tickets", status=503).json == lacking
        migrate.upgrade(empty_db)
        assert client.get("/health").json == {"status": "ok", "database": "ok"}
        client.put_json("/tickets", TUTORIAL_BODY, status=201)
        migrate.downgrade(empty_db, "0021")  # back to before api_tokens
        below = client.get("/health", status=503).json["errors"]["database"]
        assert below.startswith("the database is at revision 0021") and f"this iris needs revision {head}" in below
        token = {"Authorization": "Bearer iris_" + "x" * 43}  # checking a token needs api_tokens
        assert client.get("/tickets", headers=token, status=503).headers["Retry-After"] == "30"
        assert client.get("/tickets", headers=token, status=503).json == lacking
        assert client.get("/tickets/1").json["title"] == TUTORIAL_BODY["title"], "what still works, works"
        cookie = {"Cookie": "iris_session=forged.signature"}  # ignored unread: its signature fails
        board = client.get("/", headers=cookie)
        assert board.status_int == 200 and "A new ticket" in board.text, "the web page too, without a session"
        # The ticket's page shows its watchers (revision 0026): a clear 503 page, not a 500.
        assert client.get("/ticket/1", headers=cookie, status=503).content_type == "text/html"
    finally:
        app.engine.dispose()


def test_big_strings_are_bounded(client):
    response = client.put_json("/tickets", {"title": "x" * 201}, status=400)
    assert "title" in response.json["errors"]
    create(client, title="x" * 200)


def test_nul_characters_are_refused_not_a_500(client):
    response = client.put_json("/tickets", {"title": "a\u0000b"}, status=400)
    assert "title" in response.json["errors"]


def test_json_array_body_is_400(client):
    response = client.put("/tickets", json.dumps([1, 2]), content_type="application/json", status=400)
    assert "body" in response.json["errors"]
