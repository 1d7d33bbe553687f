"""API tokens end to end: issued once, checked on every request, never stored or shown in clear."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
import webtest
from sqlalchemy import inspect, text

from iris.api.app import create_app
from tests.integration.identities import make_cast


@pytest.fixture
def uncached(settings, clean_db):
    """Every request checks its token in the database (what the cache saves, and what it may delay)."""
    app = create_app(replace(settings, auth="required", auth_cache_seconds=0))
    yield app
    app.engine.dispose()


def test_no_column_of_any_table_holds_a_token_secret(required):
    cast = make_cast(required.engine)
    client = webtest.TestApp(required)
    issued = client.post_json("/user/tokens", {"name": "laptop"}, headers=cast.headers["agent"], status=201).json
    assert issued["secret"].startswith("iris_") and issued["prefix"] == issued["secret"][:12]
    assert "secret" not in client.get("/user/tokens", headers=cast.headers["agent"]).json[0]
    secrets = [*cast.secrets, issued["secret"]]
    with required.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            dump = conn.execute(text(f"SELECT string_agg(t::text, '|') FROM \"{table}\" AS t")).scalar() or ""
            assert not any(s in dump or s[5:] in dump for s in secrets), f"a secret is stored in {table}"
            assert not any(s.encode().hex() in dump for s in secrets), f"a secret's bytes are stored in {table}"


def test_a_token_works_until_it_is_revoked_and_its_user_until_deactivated(required):
    cast = make_cast(required.engine)
    client = webtest.TestApp(required)
    mine = client.post_json("/user/tokens", {"name": "ci"}, headers=cast.headers["reporter"], status=201).json
    bearer = {"Authorization": f"Bearer {mine['secret']}"}
    assert client.get("/user", headers=bearer).json["username"] == "rep"
    client.delete(f"/user/tokens/{mine['token_id']}", headers=cast.headers["reporter"], status=204)
    client.get("/user", headers=bearer, status=401)
    client.patch_json("/users/rep", {"active": False}, headers=cast.headers["admin"])
    client.get("/user", headers=cast.headers["reporter"], status=401)
    client.patch_json("/users/rep", {"active": True}, headers=cast.headers["admin"])
    assert client.get("/user", headers=cast.headers["reporter"]).json["active"] is True


def test_last_used_is_written_at_most_once_a_minute(uncached):
    required = uncached
    cast = make_cast(required.engine)
    client = webtest.TestApp(required)

    def last_used():
        with required.engine.connect() as conn:
            return conn.execute(text("SELECT last_used FROM api_tokens t JOIN users u USING (user_id) "
                                     "WHERE u.username = 'agent'")).scalar()  # fmt: skip

    client.get("/user", headers=cast.headers["agent"])
    first = last_used()
    assert first is not None
    client.get("/user", headers=cast.headers["agent"])
    assert last_used() == first, "a second request within the minute writes nothing"
    with required.engine.begin() as conn:
        conn.execute(text("UPDATE api_tokens SET last_used = last_used - interval '2 minutes'"))
    client.get("/user", headers=cast.headers["agent"])
    assert last_used() > first - timedelta(minutes=1)


def test_tokens_never_reach_the_log_or_an_error_body(required, caplog):
    cast = make_cast(required.engine)
    client = webtest.TestApp(required)
    secret = cast.headers["revoked"]["Authorization"].split()[1]
    answer = client.get("/tickets", headers=cast.headers["revoked"], status=401)
    client.get("/tickets", headers={"Authorization": f"Bearer {secret}x"}, status=401)
    client.get("/tickets", headers={"Authorization": "Basic Zm9vOmJhcg=="}, status=401)
    assert secret not in answer.text and secret not in caplog.text


def test_idempotency_keys_are_scoped_to_their_user(required):
    cast = make_cast(required.engine)
    client = webtest.TestApp(required)
    key = {"Idempotency-Key": "same-key"}
    first = client.post_json("/tickets", {"title": "x"}, headers={**cast.headers["agent"], **key}, status=201)
    other = client.post_json("/tickets", {"title": "x"}, headers={**cast.headers["admin"], **key}, status=201)
    assert first.json["ticket_id"] != other.json["ticket_id"] and "Idempotent-Replayed" not in other.headers
    again = client.post_json("/tickets", {"title": "x"}, headers={**cast.headers["agent"], **key}, status=201)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json


def test_assignees_must_be_active_users_when_authentication_is_required(required):
    cast = make_cast(required.engine)
    client = webtest.TestApp(required)
    agent = cast.headers["agent"]
    refused = client.post_json("/tickets", {"title": "x", "assignee": "nobody"}, headers=agent, status=422)
    assert refused.json == {"errors": {"assignee": "there is no active user named 'nobody'"}}
    client.post_json("/tickets", {"title": "x", "assignee": "gone"}, headers=agent, status=422)
    assigned = client.post_json("/tickets", {"title": "x", "assignee": "REP"}, headers=agent, status=201).json
    assert (assigned["assignee"], assigned["reporter"]) == ("rep", "agent"), "the user's own name, whatever the case"
    mine = client.get("/tickets?assignee=me", headers=cast.headers["reporter"]).json
    assert [t["ticket_id"] for t in mine] == [assigned["ticket_id"]]
    reported = client.get("/tickets?reporter=me&reporter=rep2", headers=agent).json
    assert [t["reporter"] for t in reported] == ["rep2", "agent"]


def test_expiry_is_checked_on_every_request(uncached):
    required = uncached
    cast = make_cast(required.engine)
    client = webtest.TestApp(required)
    soon = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    issued = client.post_json("/user/tokens", {"name": "short", "expires": soon}, headers=cast.headers["agent"]).json
    bearer = {"Authorization": f"Bearer {issued['secret']}"}
    client.get("/user", headers=bearer, status=200)
    with required.engine.begin() as conn:
        conn.execute(text("UPDATE api_tokens SET expires = now() - interval '1 second' WHERE name = 'short'"))
    client.get("/user", headers=bearer, status=401)


def test_a_worker_trusts_a_checked_token_for_a_second_and_no_longer(settings, clean_db):
    import time

    from sqlalchemy import event

    app = create_app(replace(settings, auth="required", auth_cache_seconds=1))
    cast, client = make_cast(app.engine), webtest.TestApp(app)
    lookups = []

    def count(conn, cursor, statement, *rest):
        if statement.lstrip().startswith("SELECT") and "FROM api_tokens" in statement:
            lookups.append(statement)

    event.listen(app.engine, "before_cursor_execute", count)
    for _ in range(5):
        client.get("/user", headers=cast.headers["agent"])
    assert len(lookups) == 1, "one lookup, then the worker's cache"
    with app.engine.begin() as conn:  # revoked elsewhere: another worker, or the `iris` command
        conn.execute(text("UPDATE api_tokens SET revoked = now() FROM users u "
                          "WHERE u.user_id = api_tokens.user_id AND u.username = 'agent'"))  # fmt: skip
    time.sleep(1.05)
    client.get("/user", headers=cast.headers["agent"], status=401)
    mine = client.post_json("/user/tokens", {"name": "x"}, headers=cast.headers["admin"]).json
    bearer = {"Authorization": f"Bearer {mine['secret']}"}
    client.get("/user", headers=bearer)
    client.delete(f"/user/tokens/{mine['token_id']}", headers=cast.headers["admin"], status=204)
    client.get("/user", headers=bearer, status=401)  # revoked in this worker: at once
    app.engine.dispose()
