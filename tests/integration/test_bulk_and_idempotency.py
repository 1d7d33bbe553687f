"""Bulk PATCH (all or nothing) and Idempotency-Key on creates."""

from sqlalchemy import text

from tests.integration.test_tickets_api import create


def test_bulk_patch_applies_every_item_and_journals_each(client):
    tickets = [create(client, title=f"t{i}") for i in range(3)]
    items = [{"ticket_id": t["ticket_id"], "version": t["version"], "changes": {"assignee": "ann"}} for t in tickets]
    changed = client.patch_json("/tickets", {"items": items}).json
    assert [t["assignee"] for t in changed] == ["ann"] * 3 and all(t["version"] == 2 for t in changed)
    for t in tickets:
        assert [e["action"] for e in client.get(f"/tickets/{t['ticket_id']}/history").json] == ["created", "changed"]


def test_a_failure_at_item_57_leaves_items_1_to_56_unchanged(client, app):
    tickets = [create(client, title=f"t{i}") for i in range(60)]
    items = [
        {"ticket_id": t["ticket_id"], "version": t["version"], "changes": {"title": f"bulk {i}"}}
        for i, t in enumerate(tickets)
    ]
    items[56]["version"] = 99
    response = client.patch_json("/tickets", {"items": items}, status=412)
    assert response.json["failed"] == {"index": 56, "ticket_id": tickets[56]["ticket_id"], "reason": "version mismatch"}
    assert "items[56]" in response.json["errors"]
    with app.engine.connect() as conn:
        titles = conn.execute(text("SELECT title FROM tickets ORDER BY ticket_id")).scalars().all()
        journal = conn.execute(text("SELECT count(*) FROM ticket_history WHERE action = 'changed'")).scalar()
    assert titles == [f"t{i}" for i in range(60)] and journal == 0


def test_bulk_failures_name_the_item_and_why(client):
    ticket = create(client)
    ok = {"ticket_id": ticket["ticket_id"], "version": 1, "changes": {"title": "fine"}}
    missing = client.patch_json(
        "/tickets", {"items": [ok, {"ticket_id": 999, "version": 1, "changes": {}}]}, status=404
    )
    assert missing.json["failed"] == {"index": 1, "ticket_id": 999, "reason": "not found"}
    broken = client.patch_json("/tickets", {"items": [ok, {**ok, "changes": {"title": ""}}]}, status=400)
    assert "items.1.changes.title" in broken.json["errors"]
    status = client.patch_json("/tickets", {"items": [{**ok, "changes": {"status": "Closed"}}]}, status=400)
    assert "/transitions" in str(status.json["errors"])
    client.patch_json("/tickets", {"items": [ok] * 101}, status=400)
    client.patch_json("/tickets", {"items": []}, status=400)
    assert client.get(f"/tickets/{ticket['ticket_id']}").json["title"] == ticket["title"]


def test_a_retry_with_the_same_key_gets_the_same_answer_and_creates_nothing(client, app):
    first = client.post_json("/tickets", {"title": "once"}, headers={"Idempotency-Key": "k-1"}, status=201)
    again = client.post_json("/tickets", {"title": "once"}, headers={"Idempotency-Key": "k-1"}, status=201)
    assert again.body == first.body and again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert len(client.get("/tickets").json) == 1
    different = client.post_json("/tickets", {"title": "other"}, headers={"Idempotency-Key": "k-1"}, status=422)
    assert "Idempotency-Key" in different.json["errors"]
    client.put_json("/tickets", {"title": "once"}, headers={"Idempotency-Key": "k-1"}, status=422)  # another request
    client.post_json("/tickets", {"title": "x"}, headers={"Idempotency-Key": "bad key"}, status=400)


def test_comment_creates_are_idempotent_too(client):
    tid = create(client)["ticket_id"]
    for _ in range(3):
        client.post_json(f"/tickets/{tid}/comments", {"body": "hi"}, headers={"Idempotency-Key": "c-1"}, status=201)
    assert client.get(f"/tickets/{tid}").json["comment_count"] == 1


def test_a_failed_create_does_not_burn_its_key(client):
    client.post_json("/tickets", {"title": "x", "workflow": "nope"}, headers={"Idempotency-Key": "k-2"}, status=422)
    client.post_json("/tickets", {"title": "x"}, headers={"Idempotency-Key": "k-2"}, status=201)


def test_keys_expire_and_the_purge_removes_them(client, app, db_url):
    import subprocess
    import sys

    from tests.support import clean_env, url_string

    client.post_json("/tickets", {"title": "old"}, headers={"Idempotency-Key": "old-key"}, status=201)
    client.post_json("/tickets", {"title": "new"}, headers={"Idempotency-Key": "new-key"}, status=201)
    with app.engine.begin() as conn:
        conn.execute(text("UPDATE idempotency_keys SET created = now() - interval '25 hours' WHERE key = 'old-key'"))
    replay = client.post_json("/tickets", {"title": "old"}, headers={"Idempotency-Key": "old-key"}, status=201)
    assert "Idempotent-Replayed" not in replay.headers, "an expired key is a new key"
    with app.engine.begin() as conn:
        conn.execute(text("UPDATE idempotency_keys SET created = now() - interval '25 hours' WHERE key = 'old-key'"))
    result = subprocess.run(
        [sys.executable, "-m", "iris", "purge-keys"],
        env=clean_env(DATABASE_URL=url_string(db_url), IRIS_ENV="test"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "removed 1 expired key(s) and 0 ended web session(s)" in result.stderr
    with app.engine.connect() as conn:
        assert conn.execute(text("SELECT key FROM idempotency_keys")).scalars().all() == ["new-key"]
