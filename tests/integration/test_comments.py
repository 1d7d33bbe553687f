"""Comments on tickets."""

from sqlalchemy import event

from tests.integration.test_tickets_api import create
from tests.support import link


def comment(client, ticket_id, body="a comment", **extra):
    return client.post_json(f"/tickets/{ticket_id}/comments", {"body": body, **extra}, status=201)


def test_posting_a_comment_answers_201_with_location_and_the_comment(client):
    ticket = create(client)
    response = comment(client, ticket["ticket_id"], "first!", author="ann")
    body = response.json
    assert response.headers["Location"] == f"/comments/{body['comment_id']}"
    assert (body["ticket_id"], body["author"], body["body"], body["edited"]) == (
        ticket["ticket_id"],
        "ann",
        "first!",
        None,
    )
    assert client.get(response.headers["Location"]).json == body


def test_author_defaults_to_anonymous(client):
    ticket = create(client)
    assert comment(client, ticket["ticket_id"]).json["author"] == "anonymous"


def test_commenting_on_a_missing_ticket_is_404(client):
    response = client.post_json("/tickets/999/comments", {"body": "hello?"}, status=404)
    assert response.json == {"errors": {"ticket": "ticket 999 does not exist"}}


def test_comment_body_is_required_bounded_and_alone(client):
    ticket_id = create(client)["ticket_id"]
    for bad, field in [
        ({}, "body"),
        ({"body": ""}, "body"),
        ({"body": "  "}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"body": "x", "ticket_id": 5}, "ticket_id"),
        ({"body": "x", "mood": "happy"}, "mood"),
        ({"body": 5}, "body"),
    ]:
        response = client.post_json(f"/tickets/{ticket_id}/comments", bad, status=400)
        assert field in response.json["errors"], bad
    comment(client, ticket_id, "x" * 10_000)


def test_comments_list_oldest_first_with_keyset_paging(client):
    ticket_id = create(client)["ticket_id"]
    other = create(client)["ticket_id"]
    ids = [comment(client, ticket_id, f"c{i}").json["comment_id"] for i in range(5)]
    comment(client, other, "elsewhere")
    seen, url = [], f"/tickets/{ticket_id}/comments?limit=2"
    while url:
        response = client.get(url)
        seen += [c["comment_id"] for c in response.json]
        url = link(response.headers, "next")
    assert seen == ids
    client.get("/tickets/999/comments", status=404)


def test_patch_edits_the_body_and_sets_edited(client):
    ticket_id = create(client)["ticket_id"]
    original = comment(client, ticket_id, "tpyo").json
    edited = client.patch_json(f"/comments/{original['comment_id']}", {"body": "typo"}).json
    assert edited["body"] == "typo" and edited["edited"] is not None and edited["created"] == original["created"]
    response = client.patch_json(f"/comments/{original['comment_id']}", {"body": "x", "author": "eve"}, status=400)
    assert "author" in response.json["errors"]
    client.patch_json("/comments/999", {"body": "x"}, status=404)


def test_delete_answers_204_then_404(client):
    ticket_id = create(client)["ticket_id"]
    comment_id = comment(client, ticket_id).json["comment_id"]
    client.delete(f"/comments/{comment_id}", status=204)
    client.get(f"/comments/{comment_id}", status=404)
    client.delete(f"/comments/{comment_id}", status=404)


def test_deleting_a_ticket_deletes_its_comments(client):
    ticket_id = create(client)["ticket_id"]
    comment_id = comment(client, ticket_id).json["comment_id"]
    client.delete(f"/tickets/{ticket_id}", status=204)
    client.get(f"/comments/{comment_id}", status=404)


def test_ticket_shows_its_20_latest_comments_and_the_total_in_one_statement(client, app):
    ticket_id = create(client)["ticket_id"]
    for i in range(25):
        comment(client, ticket_id, f"c{i}")
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(app.engine, "before_cursor_execute", count)
    try:
        detail = client.get(f"/tickets/{ticket_id}").json
    finally:
        event.remove(app.engine, "before_cursor_execute", count)
    assert [c["body"] for c in detail["comments"]] == [f"c{i}" for i in range(5, 25)]
    assert detail["comment_count"] == 25
    assert detail["workflow"] == {"name": "default", "status": "Open"}
    assert len(statements) == 1, statements  # no pre-ping either (iris/db.py)


def test_a_comment_racing_the_deletion_of_its_ticket_is_a_404(client, app):
    """The ticket is deleted by a transaction that commits while the comment's insert waits on its row."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import text

    ticket_id = create(client)["ticket_id"]
    with app.engine.connect() as deleter, ThreadPoolExecutor(1) as pool:
        deleter.execute(text("DELETE FROM tickets WHERE ticket_id = :id"), {"id": ticket_id})  # holds its row
        late = pool.submit(
            lambda: client.post_json(f"/tickets/{ticket_id}/comments", {"body": "late"}, expect_errors=True)
        )
        time.sleep(0.5)  # the insert has read the ticket and now waits on its row
        deleter.commit()
        answer = late.result(timeout=15)
    assert answer.status_int == 404, answer.text
    assert answer.json == {"errors": {"ticket": f"ticket {ticket_id} does not exist"}}
