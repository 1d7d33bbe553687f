"""The journal: every change to a ticket, in the same transaction, grouped by change-set."""

from sqlalchemy import event

from tests.integration.test_tickets_api import create
from tests.support import link


def history(client, ticket_id, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.get(f"/tickets/{ticket_id}/history?{query}").json


def test_every_kind_of_change_is_recorded_with_old_and_new_values(client):
    ticket = create(client, title="first", assignee="ann")
    tid = ticket["ticket_id"]
    client.patch_json(f"/tickets/{tid}", {"title": "second", "assignee": None, "description": "same request"})
    client.post_json(f"/tickets/{tid}/transitions", {"to": "In Progress", "comment": "starting", "author": "ann"})
    comment = client.post_json(f"/tickets/{tid}/comments", {"body": "note", "author": "bob"}).json
    client.patch_json(f"/comments/{comment['comment_id']}", {"body": "better note"})
    client.delete(f"/comments/{comment['comment_id']}")
    entries_before_delete = history(client, tid)
    client.delete(f"/tickets/{tid}")

    entries = client.get(f"/history/{tid}").json
    assert entries[:-1] == entries_before_delete
    actions = [(e["action"], e["field"]) for e in entries]
    assert actions == [
        ("created", None),
        ("changed", "title"),
        ("changed", "assignee"),
        ("changed", "description"),
        ("transition", "status"),
        ("comment_added", "comments"),
        ("comment_added", "comments"),
        ("comment_edited", "comments"),
        ("comment_deleted", "comments"),
        ("deleted", None),
    ]
    assert entries[0]["new"]["title"] == "first"
    assert (entries[1]["old"], entries[1]["new"]) == ("first", "second")
    assert (entries[2]["old"], entries[2]["new"]) == ("ann", None)
    assert (entries[4]["old"], entries[4]["new"]) == ("Open", "In Progress")
    assert (
        # An admin may write a comment as someone else (importing, say), but the journal names who did it.
        entries[6]["actor"] == "anonymous"
        and entries[6]["new"]["body"] == "note"
        and entries[7]["old"]["body"] == "note"
        and entries[7]["new"]["body"] == "better note"
    )
    assert entries[9]["old"]["title"] == "second", "the deleted ticket's last state is kept"
    assert len({e["changeset"] for e in entries[1:4]}) == 1, "one request, one change-set"
    assert entries[4]["changeset"] == entries[5]["changeset"] != entries[1]["changeset"]


def test_a_deleted_tickets_history_stays_readable_on_the_admin_path(client):
    tid = create(client)["ticket_id"]
    client.delete(f"/tickets/{tid}")
    client.get(f"/tickets/{tid}", status=404)
    client.get(f"/tickets/{tid}/history", status=404)  # like the ticket, its sub-resources are gone
    assert [e["action"] for e in client.get(f"/history/{tid}").json] == ["created", "deleted"]
    client.get("/tickets/9999/history", status=404)
    client.get("/history/9999", status=404)


def test_history_is_paged_like_the_lists(client):
    tid = create(client)["ticket_id"]
    for i in range(6):
        client.patch_json(f"/tickets/{tid}", {"title": f"t{i}"})
    everything = [e["entry_id"] for e in history(client, tid, limit=500)]
    seen, url = [], f"/tickets/{tid}/history?limit=2"
    while url:
        response = client.get(url)
        seen += [e["entry_id"] for e in response.json]
        url = link(response.headers, "next")
    assert seen == everything and len(everything) == 7


def test_a_failed_request_records_nothing(client):
    tid = create(client)["ticket_id"]
    client.post_json(f"/tickets/{tid}/transitions", {"to": "Nowhere"}, status=422)
    client.patch_json(f"/tickets/{tid}", {"title": "x"}, headers={"If-Match": '"9"'}, status=412)
    assert [e["action"] for e in history(client, tid)] == ["created"]


def test_include_history_embeds_each_tickets_journal_in_one_query(client, app):
    ids = [create(client, title=f"t{i}")["ticket_id"] for i in range(5)]
    for tid in ids:
        client.patch_json(f"/tickets/{tid}", {"assignee": f"user{tid}"})
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(app.engine, "before_cursor_execute", count)
    try:
        listed = client.get("/tickets?include=history").json
    finally:
        event.remove(app.engine, "before_cursor_execute", count)
    assert [[e["action"] for e in t["history"]] for t in listed] == [["created", "changed"]] * 5
    assert listed[2]["history"][1]["new"] == f"user{ids[2]}"
    assert sum("ticket_history" in s for s in statements) == 1
    assert "history" not in client.get("/tickets").json[0]
    client.get("/tickets?include=comments", status=400)


def test_a_list_embeds_a_bounded_history_and_says_where_the_rest_is(client):
    ticket = create(client, title="long story")
    for n in range(14):
        client.patch_json(f"/tickets/{ticket['ticket_id']}", {"description": f"{n} " + "word " * 3000})
    listed = client.get("/tickets?include=history").json[0]
    embedded = listed["history"]
    assert len(embedded) == 10 and [e["action"] for e in embedded] == ["changed"] * 10, "the 10 newest"
    assert embedded[-1]["new"].startswith("13 ") and len(embedded[-1]["new"]) == 501 and embedded[-1]["truncated"]
    assert len(client.get(f"/tickets/{ticket['ticket_id']}/history?limit=100").json) == 15, "all of it, uncut"
    assert "truncated" not in client.get(f"/tickets/{ticket['ticket_id']}/history").json[-1]
    body = client.get("/tickets?include=history").body
    assert len(body) < len(listed["description"]) + 20_000, "the ticket itself, and about 1 KB an entry"
