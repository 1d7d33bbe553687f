"""Versions, ETags and preconditions on tickets, comments and workflows."""

import pytest

from tests.integration.test_tickets_api import create


def test_get_returns_a_strong_etag_and_if_none_match_answers_304(strict_client):
    ticket = create(strict_client)
    response = strict_client.get(f"/tickets/{ticket['ticket_id']}")
    assert response.headers["ETag"] == '"1"' and response.json["version"] == 1
    unchanged = strict_client.get(f"/tickets/{ticket['ticket_id']}", headers={"If-None-Match": '"1"'}, status=304)
    assert unchanged.body == b"" and unchanged.headers["ETag"] == '"1"'
    strict_client.get(f"/tickets/{ticket['ticket_id']}", headers={"If-None-Match": '"7"'}, status=200)


def test_every_change_grows_the_version(strict_client):
    ticket_id = create(strict_client)["ticket_id"]
    patched = strict_client.patch_json(f"/tickets/{ticket_id}", {"title": "v2"}, headers={"If-Match": '"1"'})
    assert patched.json["version"] == 2 and patched.headers["ETag"] == '"2"'
    strict_client.post_json(f"/tickets/{ticket_id}/comments", {"body": "a comment changes what GET shows"})
    assert strict_client.get(f"/tickets/{ticket_id}").headers["ETag"] == '"3"'
    moved = strict_client.post_json(f"/tickets/{ticket_id}/transitions", {"to": "Closed"}, headers={"If-Match": '"3"'})
    assert moved.headers["ETag"] == '"4"'
    same = strict_client.patch_json(f"/tickets/{ticket_id}", {"title": "v2"}, headers={"If-Match": '"4"'})
    assert same.json["version"] == 4, "a change to the same value changes nothing"


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("patch", "/tickets/{id}", {"title": "x"}),
        ("put", "/tickets/{id}", {"title": "x"}),
        ("delete", "/tickets/{id}", None),
        ("post", "/tickets/{id}/transitions", {"to": "Closed"}),
    ],
)
def test_writes_without_if_match_answer_428_and_a_stale_one_412(strict_client, method, path, body):
    ticket_id = create(strict_client)["ticket_id"]
    url = path.format(id=ticket_id)

    def send(headers, status):
        if body is None:
            return getattr(strict_client, method)(url, headers=headers, status=status)
        return getattr(strict_client, f"{method}_json")(url, body, headers=headers, status=status)

    missing = send({}, 428)
    assert "If-Match" in missing.json["errors"]
    stale = send({"If-Match": '"9"'}, 412)
    assert stale.json["etag"] == '"1"' and stale.headers["ETag"] == '"1"' and stale.json["version"] == 1
    send({"If-Match": '"1"'}, 204 if method == "delete" else 200)


def test_a_version_in_the_body_works_like_if_match(strict_client):
    ticket_id = create(strict_client)["ticket_id"]
    strict_client.patch_json(f"/tickets/{ticket_id}", {"title": "x", "version": 5}, status=412)
    assert strict_client.patch_json(f"/tickets/{ticket_id}", {"title": "x", "version": 1}).json["version"] == 2
    strict_client.patch_json(
        f"/tickets/{ticket_id}", {"title": "y", "version": 2}, headers={"If-Match": '"3"'}, status=412
    )
    strict_client.post_json(f"/tickets/{ticket_id}/transitions", {"to": "Closed", "version": 2})


def test_if_match_compares_entity_tags_as_rfc_9110_says(strict_client):
    ticket_id = create(strict_client)["ticket_id"]
    url = f"/tickets/{ticket_id}"
    strict_client.patch_json(url, {"title": "any"}, headers={"If-Match": "*"})  # now at version 2
    for no_match in ['W/"2"', '"abc"', '"7", "9"', 'W/"2", "1"']:  # weak tags never match (strong comparison)
        stale = strict_client.patch_json(url, {"title": "x"}, headers={"If-Match": no_match}, status=412)
        assert (stale.json["version"], stale.headers["ETag"]) == (2, '"2"')
    assert strict_client.patch_json(url, {"title": "x"}, headers={"If-Match": '"7", "2"'}).json["version"] == 3
    assert strict_client.patch_json(url, {"title": "y"}, headers={"If-Match": ' "3" ,W/"1"'}).json["version"] == 4
    for malformed in ['"2', "W/2", "two", '"4",', '"4" "5"', "**"]:
        response = strict_client.patch_json(url, {"title": "x"}, headers={"If-Match": malformed}, status=400)
        assert "If-Match" in response.json["errors"]


def test_if_none_match_compares_weakly_and_takes_lists_and_star(strict_client):
    ticket_id = create(strict_client)["ticket_id"]
    url = f"/tickets/{ticket_id}"
    for held in ['"1"', 'W/"1"', '"9", W/"1"', "*", '"x", "1"']:
        strict_client.get(url, headers={"If-None-Match": held}, status=304)
    for held in ['"9"', 'W/"9", "abc"']:
        strict_client.get(url, headers={"If-None-Match": held}, status=200)
    strict_client.get(url, headers={"If-None-Match": '"1'}, status=400)


def test_relaxed_mode_honours_if_match_only_when_sent(client):
    ticket_id = create(client)["ticket_id"]
    client.patch_json(f"/tickets/{ticket_id}", {"title": "no precondition"})
    client.patch_json(f"/tickets/{ticket_id}", {"title": "stale"}, headers={"If-Match": '"1"'}, status=412)


def test_full_replace_with_put(strict_client):
    ticket_id = create(strict_client, assignee="ann", description="old", due="2030-01-01")["ticket_id"]
    replaced = strict_client.put_json(
        f"/tickets/{ticket_id}", {"title": "new title", "assignee": "bob"}, headers={"If-Match": '"1"'}
    ).json
    assert (replaced["title"], replaced["assignee"], replaced["description"], replaced["due"]) == (
        "new title",
        "bob",
        None,
        None,
    )
    strict_client.put_json(f"/tickets/{ticket_id}", {"assignee": "x"}, headers={"If-Match": '"2"'}, status=400)
    strict_client.put_json(
        f"/tickets/{ticket_id}", {"title": "x", "status": "Closed"}, headers={"If-Match": '"2"'}, status=400
    )
    strict_client.put_json("/tickets/999", {"title": "x"}, headers={"If-Match": '"1"'}, status=404)


def test_comments_have_versions_and_etags_too(strict_client):
    ticket_id = create(strict_client)["ticket_id"]
    comment = strict_client.post_json(f"/tickets/{ticket_id}/comments", {"body": "first"}).json
    url = f"/comments/{comment['comment_id']}"
    assert strict_client.get(url).headers["ETag"] == '"1"'
    strict_client.get(url, headers={"If-None-Match": '"1"'}, status=304)
    strict_client.patch_json(url, {"body": "edit"}, status=428)
    strict_client.patch_json(url, {"body": "edit"}, headers={"If-Match": '"2"'}, status=412)
    assert strict_client.patch_json(url, {"body": "edit"}, headers={"If-Match": '"1"'}).headers["ETag"] == '"2"'
    strict_client.delete(url, status=428)
    strict_client.delete(url, headers={"If-Match": '"1"'}, status=412)
    strict_client.delete(url, headers={"If-Match": '"2"'}, status=204)


def test_workflows_need_a_precondition_to_be_replaced_not_created(strict_client):
    definition = {"initial": "a", "statuses": ["a", "b"], "transitions": [{"name": "go", "from": "a", "to": "b"}]}
    created = strict_client.put_json("/workflows/flow", definition, status=201)
    assert created.headers["ETag"] == '"1"'
    strict_client.get("/workflows/flow", headers={"If-None-Match": '"1"'}, status=304)
    strict_client.put_json("/workflows/flow", definition, status=428)
    strict_client.put_json("/workflows/flow", definition, headers={"If-Match": '"5"'}, status=412)
    assert strict_client.put_json("/workflows/flow", {**definition, "version": 1}).json["version"] == 2
