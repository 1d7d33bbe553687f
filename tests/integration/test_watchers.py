"""Watchers over HTTP: who watches a ticket, watching yourself, agents adding others, and automatic watching."""

import pytest
import webtest
from sqlalchemy import event

from iris.services import tokens, users
from tests.integration.identities import _uow, make_cast


@pytest.fixture
def cast(required):
    return make_cast(required.engine)


@pytest.fixture
def http(required):
    return webtest.TestApp(required)


def watchers(http, ticket_id, headers) -> list[str]:
    return [w["username"] for w in http.get(f"/tickets/{ticket_id}/watchers", headers=headers).json]


def new_ticket(http, headers, **fields) -> dict:
    return http.post_json("/tickets", {"title": "watch me", **fields}, headers=headers, status=201).json


def test_the_reporter_and_the_assignee_watch_a_new_ticket(http, cast):
    ticket = new_ticket(http, cast.headers["agent"], assignee="asg")
    listed = http.get(f"/tickets/{ticket['ticket_id']}/watchers", headers=cast.headers["reporter"]).json
    assert sorted(w["username"] for w in listed) == ["agent", "asg"]
    assert all(set(w) == {"username", "display_name", "since"} and w["since"].endswith("+00:00") for w in listed)
    # the cast's ticket was reported by rep2 and assigned to asg through the services
    assert watchers(http, cast.ticket_id, cast.headers["reporter"]) == ["rep2", "asg"]


def test_a_new_ticket_and_its_watchers_are_written_by_one_statement(http, cast, required):
    statements = []
    listener = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    event.listen(required.engine, "before_cursor_execute", listener)
    try:
        ticket = new_ticket(http, cast.headers["agent"], assignee="ASG")  # any case: the account is asg
    finally:
        event.remove(required.engine, "before_cursor_execute", listener)
    writes = [s.split("(")[0].strip() for s in statements if s.lstrip().upper().startswith(("INSERT", "WITH"))]
    assert writes == ["WITH opened AS", "INSERT INTO ticket_history"], "no round trip of its own for the watchers"
    assert sorted(watchers(http, ticket["ticket_id"], cast.headers["agent"])) == ["agent", "asg"]


def test_each_new_assignee_starts_watching_and_unassigning_keeps_the_watchers(http, cast):
    ticket_id = new_ticket(http, cast.headers["reporter"])["ticket_id"]
    agent = cast.headers["agent"]
    assert watchers(http, ticket_id, agent) == ["rep"]
    http.patch_json(f"/tickets/{ticket_id}", {"assignee": "asg"}, headers=agent)
    assert watchers(http, ticket_id, agent) == ["rep", "asg"]
    http.put_json(f"/tickets/{ticket_id}", {"title": "replaced", "assignee": "rep2"}, headers=agent)
    assert watchers(http, ticket_id, agent) == ["rep", "asg", "rep2"]
    bulk = {"items": [{"ticket_id": ticket_id, "version": 3, "changes": {"assignee": "Agent"}}]}
    http.patch_json("/tickets", bulk, headers=agent)
    assert watchers(http, ticket_id, agent) == ["rep", "asg", "rep2", "agent"], "found whatever the case"
    http.patch_json(f"/tickets/{ticket_id}", {"assignee": None}, headers=agent)
    assert watchers(http, ticket_id, agent) == ["rep", "asg", "rep2", "agent"]


def test_anyone_watches_and_unwatches_themselves_and_doing_it_twice_changes_nothing(http, cast):
    me, path = cast.headers["reporter"], f"/tickets/{cast.ticket_id}/watchers"
    for _ in range(2):
        assert http.put(f"{path}/me", headers=me, status=204).body == b""
        assert watchers(http, cast.ticket_id, me) == ["rep2", "asg", "rep"]
    http.delete(f"{path}/REP", headers=me, status=204)  # their own name, whatever the case, is `me`
    http.delete(f"{path}/me", headers=me, status=204)
    assert watchers(http, cast.ticket_id, me) == ["rep2", "asg"]
    http.delete(f"{path}/me", headers=cast.headers["assignee"], status=204)
    assert watchers(http, cast.ticket_id, me) == ["rep2"]


def test_only_agents_and_admins_add_or_remove_someone_else(http, cast):
    path = f"/tickets/{cast.ticket_id}/watchers"
    refused = http.put(f"{path}/agent", headers=cast.headers["reporter"], status=403)
    assert refused.json["errors"]["authorization"].startswith("needs the agent role")
    http.delete(f"{path}/asg", headers=cast.headers["reporter-who-reported"], status=403)
    assert watchers(http, cast.ticket_id, cast.headers["agent"]) == ["rep2", "asg"]
    http.put(f"{path}/rep", headers=cast.headers["agent"], status=204)
    http.delete(f"{path}/asg", headers=cast.headers["admin"], status=204)
    assert watchers(http, cast.ticket_id, cast.headers["agent"]) == ["rep2", "rep"]


def test_unknown_tickets_and_users_are_not_found_and_a_deactivated_user_can_only_be_removed(http, cast, required):
    agent, path = cast.headers["agent"], f"/tickets/{cast.ticket_id}/watchers"
    assert http.get("/tickets/999/watchers", headers=agent, status=404).json == {
        "errors": {"ticket": "ticket 999 does not exist"}
    }
    http.put("/tickets/999/watchers/me", headers=agent, status=404)
    http.delete("/tickets/999/watchers/rep", headers=agent, status=404)
    assert http.put(f"{path}/nobody", headers=agent, status=404).json == {
        "errors": {"user": "user nobody does not exist"}
    }
    http.delete(f"{path}/nobody", headers=agent, status=404)
    http.put(f"{path}/gone", headers=agent, status=404)  # deactivated
    http.put(f"{path}/has%20space", headers=agent, status=400)
    http.get("/tickets/abc/watchers", headers=agent, status=400)
    users.change_user(_uow(required.engine), "gone", {"active": True})
    http.put(f"{path}/gone", headers=agent, status=204)
    users.change_user(_uow(required.engine), "gone", {"active": False})
    http.delete(f"{path}/gone", headers=agent, status=204)
    assert watchers(http, cast.ticket_id, agent) == ["rep2", "asg"]


def test_a_deleted_ticket_has_no_watchers_to_show_or_change(http, cast):
    ticket_id = new_ticket(http, cast.headers["reporter"])["ticket_id"]
    http.delete(f"/tickets/{ticket_id}", headers=cast.headers["admin"], status=204)
    http.get(f"/tickets/{ticket_id}/watchers", headers=cast.headers["admin"], status=404)
    http.put(f"/tickets/{ticket_id}/watchers/me", headers=cast.headers["agent"], status=404)


def test_in_open_mode_the_anonymous_caller_never_watches_but_a_token_still_counts(client, app):
    ticket_id = client.post_json("/tickets", {"title": "open"}, status=201).json["ticket_id"]
    assert client.get(f"/tickets/{ticket_id}/watchers").json == []
    refused = client.put(f"/tickets/{ticket_id}/watchers/me", status=422)
    assert list(refused.json["errors"]) == ["username"]
    client.put(f"/tickets/{ticket_id}/watchers/anonymous", status=422)
    client.delete(f"/tickets/{ticket_id}/watchers/me", status=204)
    users.create_user(_uow(app.engine), {"username": "ada"})
    secret = tokens.issue_token(_uow(app.engine), "ada", "t", None).secret
    client.put(f"/tickets/{ticket_id}/watchers/me", headers={"Authorization": f"Bearer {secret}"}, status=204)
    client.put(f"/tickets/{ticket_id}/watchers/me", headers={"Authorization": f"Bearer {secret}"}, status=204)
    assert [w["username"] for w in client.get(f"/tickets/{ticket_id}/watchers").json] == ["ada"]
