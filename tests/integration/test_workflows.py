"""Workflows: the default one, moving tickets, defining new ones."""

import pytest

from tests.integration.test_tickets_api import create
from tests.support import link

SIMPLE = {
    "initial": "todo",
    "statuses": ["todo", "doing", "done"],
    "closed": ["done"],
    "transitions": [
        {"name": "begin", "from": "todo", "to": "doing"},
        {"name": "finish", "from": "doing", "to": "done"},
        {"name": "again", "from": "done", "to": "todo"},
    ],
}


def move(client, ticket_id, status=200, **body):
    return client.post_json(f"/tickets/{ticket_id}/transitions", body, status=status)


def test_the_default_workflow_is_the_documented_one(client):
    default = client.get("/workflows/default").json
    assert default["initial"] == "Open"
    assert default["statuses"] == ["Open", "In Progress", "Resolved", "Closed"]
    assert default["closed"] == ["Resolved", "Closed"]
    moves = {(t["from"], t["to"]): t["name"] for t in default["transitions"]}
    assert moves == {
        ("Open", "In Progress"): "start",
        ("Open", "Resolved"): "resolve",
        ("Open", "Closed"): "close",
        ("In Progress", "Open"): "stop",
        ("In Progress", "Resolved"): "resolve",
        ("Resolved", "Closed"): "close",
        ("Resolved", "Open"): "reopen",
        ("Closed", "Open"): "reopen",
    }
    assert [w["name"] for w in client.get("/workflows").json] == ["default"]
    client.get("/workflows/nope", status=404)
    client.get("/workflows/no%20pe", status=400)


def test_a_new_ticket_starts_open_and_lists_its_moves(client):
    ticket = create(client)
    assert ticket["workflow"] == {"name": "default", "status": "Open"}
    moves = client.get(f"/tickets/{ticket['ticket_id']}/transitions").json
    assert moves["status"] == "Open"
    assert {(m["name"], m["to"]) for m in moves["transitions"]} == {
        ("start", "In Progress"),
        ("resolve", "Resolved"),
        ("close", "Closed"),
    }
    client.get("/tickets/999/transitions", status=404)


def test_moving_by_status_or_by_name_and_the_full_walk(client):
    ticket_id = create(client)["ticket_id"]
    assert move(client, ticket_id, transition="start").json["workflow"]["status"] == "In Progress"
    assert move(client, ticket_id, to="Resolved").json["workflow"]["status"] == "Resolved"
    assert move(client, ticket_id, transition="close").json["workflow"]["status"] == "Closed"
    assert move(client, ticket_id, transition="reopen").json["workflow"]["status"] == "Open"


def test_a_move_with_a_comment_stores_it_in_the_same_answer(client):
    ticket_id = create(client)["ticket_id"]
    moved = move(client, ticket_id, to="Closed", comment="won't fix", author="lead").json
    assert moved["comment_count"] == 1 and moved["comments"][0]["body"] == "won't fix"
    assert moved["comments"][0]["author"] == "lead"


def test_an_illegal_move_is_422_and_lists_the_allowed_moves(client):
    ticket_id = create(client)["ticket_id"]
    move(client, ticket_id, to="Closed")
    response = move(client, ticket_id, status=422, to="Resolved", comment="not stored")
    assert response.json["allowed"] == [{"name": "reopen", "to": "Open"}]
    assert "Closed" in response.json["errors"]["transition"]
    assert client.get(f"/tickets/{ticket_id}").json["comment_count"] == 0, "a refused move stores nothing"
    response = move(client, ticket_id, status=422, transition="start")
    assert response.json["allowed"] == [{"name": "reopen", "to": "Open"}]


def test_an_unknown_status_is_422(client):
    ticket_id = create(client)["ticket_id"]
    response = move(client, ticket_id, status=422, to="Bogus")
    assert "to" in response.json["errors"] and response.json["allowed"]


@pytest.mark.parametrize(
    "body", [{}, {"to": "Closed", "transition": "close"}, {"to": None}, {"to": "Closed", "extra": 1}, {"to": ""}]
)
def test_a_malformed_move_is_400(client, body):
    ticket_id = create(client)["ticket_id"]
    move(client, ticket_id, status=400, **body)


def test_moving_a_missing_ticket_is_404(client):
    move(client, 999, status=404, to="Closed")


def test_status_cannot_be_changed_through_patch(client):
    ticket_id = create(client)["ticket_id"]
    response = client.patch_json(f"/tickets/{ticket_id}", {"status": "Closed"}, status=400)
    assert "/transitions" in response.json["errors"]["status"]
    response = client.patch_json(f"/tickets/{ticket_id}", {"workflow": "other"}, status=400)
    assert "workflow" in response.json["errors"]


def test_put_creates_then_replaces_a_workflow_and_tickets_can_use_it(client):
    created = client.put_json("/workflows/simple", SIMPLE, status=201)
    assert created.headers["Location"] == "/workflows/simple"
    assert client.get("/workflows/simple").json == {
        **SIMPLE,
        "name": "simple",
        "version": 1,
        "transitions": sorted(SIMPLE["transitions"], key=lambda t: (t["from"], t["name"])),
    }
    ticket = create(client, workflow="simple")
    assert ticket["workflow"] == {"name": "simple", "status": "todo"}
    assert move(client, ticket["ticket_id"], transition="begin").json["workflow"]["status"] == "doing"
    move(client, ticket["ticket_id"], status=422, to="todo")

    replaced = {
        **SIMPLE,
        "statuses": ["todo", "doing", "done", "archived"],
        "closed": ["done", "archived"],
        "transitions": SIMPLE["transitions"] + [{"name": "archive", "from": "done", "to": "archived"}],
    }
    assert client.put_json("/workflows/simple", replaced, status=200).json["statuses"][-1] == "archived"


def test_creating_a_ticket_on_an_unknown_workflow_is_422(client):
    response = client.post_json("/tickets", {"title": "x", "workflow": "nope"}, status=422)
    assert "workflow" in response.json["errors"]


@pytest.mark.parametrize(
    "change,field",
    [
        ({"initial": None}, "initial"),
        ({"initial": "nowhere"}, "initial"),
        ({"statuses": []}, "statuses"),
        ({"statuses": ["todo", "todo", "doing", "done"]}, "statuses"),
        ({"transitions": [{"name": "begin", "from": "todo", "to": "limbo"}]}, "transitions"),
        ({"transitions": [{"name": "begin", "from": "todo", "to": "doing"}]}, "statuses"),  # done is unreachable
        ({"closed": ["gone"]}, "closed"),
    ],
)
def test_invalid_definitions_are_422_with_a_clear_message(client, change, field):
    body = {k: v for k, v in {**SIMPLE, **change}.items() if v is not None}
    response = client.put_json("/workflows/broken", body, status=422)
    assert field in response.json["errors"]
    client.get("/workflows/broken", status=404)


def test_filtering_by_a_status_no_workflow_has_is_422_naming_it(client):
    ticket = create(client, title="open one")
    response = client.get("/tickets?status=open", status=422)
    assert response.json["errors"] == {"status": "no workflow has a status 'open'; did you mean 'Open'?"}
    response = client.get("/tickets?status=Open&status=Nothing&status=closed", status=422)
    assert response.json["errors"]["status"].startswith(
        "no workflow has the statuses 'Nothing', 'closed'; did you mean 'Closed'?"
    )
    response = client.get("/tickets?status=doing", status=422)
    assert response.json["errors"]["status"].endswith("the statuses are 'Closed', 'In Progress', 'Open', 'Resolved'")
    client.put_json("/workflows/simple", SIMPLE, status=201)
    assert client.get("/tickets?status=doing").json == [], "a status of any workflow is known, tickets in it or not"
    assert [t["ticket_id"] for t in client.get("/tickets?status=doing&status=Open").json] == [ticket["ticket_id"]]


def test_a_status_with_tickets_cannot_be_removed(client):
    client.put_json("/workflows/simple", SIMPLE, status=201)
    for _ in range(2):
        ticket_id = create(client, workflow="simple")["ticket_id"]
        move(client, ticket_id, transition="begin")
    shrunk = {
        "initial": "todo",
        "statuses": ["todo", "done"],
        "closed": ["done"],
        "transitions": [{"name": "finish", "from": "todo", "to": "done"}],
    }
    response = client.put_json("/workflows/simple", shrunk, status=409)
    assert "2 ticket(s) in 'doing'" in response.json["errors"]["statuses"]
    assert client.get("/workflows/simple").json["statuses"] == SIMPLE["statuses"], "nothing changed"


def test_filtering_by_status_and_openness(client):
    ids = [create(client, title=f"t{i}")["ticket_id"] for i in range(6)]
    move(client, ids[1], to="Closed")
    move(client, ids[2], to="Resolved")
    move(client, ids[3], to="In Progress")

    def listed(query):
        return [t["ticket_id"] for t in client.get(f"/tickets?{query}").json]

    assert listed("status=Closed") == [ids[1]]
    assert listed("status=Closed&status=Resolved") == [ids[1], ids[2]]
    assert listed("open=false") == [ids[1], ids[2]]
    assert listed("open=true") == [ids[0], ids[3], ids[4], ids[5]]
    assert listed("open=true&status=In%20Progress") == [ids[3]]
    for bad in ("open=yes", "open=", "status="):
        response = client.get(f"/tickets?{bad}", status=400)
        assert bad.split("=")[0] in response.json["errors"]
    first = client.get("/tickets?open=true&limit=2")
    following = link(first.headers, "next")
    assert following.startswith("/tickets?open=true&limit=2&cursor=")
    assert [t["ticket_id"] for t in client.get(following).json] == [ids[4], ids[5]]


def test_replacing_a_workflow_answers_its_new_version(client):
    created = client.put_json("/workflows/simple", SIMPLE, status=201)
    assert created.json["version"] == 1
    replaced = client.put_json("/workflows/simple", {**SIMPLE, "closed": []}, headers={"If-Match": '"1"'}, status=200)
    assert replaced.json["version"] == 2 and replaced.headers["ETag"] == '"2"'
    assert client.get("/workflows/simple").json["version"] == 2
    assert replaced.json["closed"] == []


def test_workflows_come_a_page_at_a_time_in_byte_order(client):
    for name in ("zeta", "Zeta", "alpha"):
        client.put_json(f"/workflows/{name}", SIMPLE, status=201)
    first = client.get("/workflows?limit=2")
    assert [w["name"] for w in first.json] == ["Zeta", "alpha"]
    following = link(first.headers, "next")
    assert following == "/workflows?limit=2&after=alpha"
    rest = client.get(following)
    assert [w["name"] for w in rest.json] == ["default", "zeta"] and "Link" not in rest.headers
    client.get("/workflows?after=no%20such", status=400)
    assert len(client.get("/workflows").json) == 4, "50 a page by default"
