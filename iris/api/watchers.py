"""Watcher routes: who watches a ticket, and watching or unwatching it (yourself as `me`, or, as an agent,
anyone)."""

import falcon

from iris.api.access import USER
from iris.api.answers import NOT_FOUND, RULE_BROKEN, reads
from iris.api.middleware import unit_of_work
from iris.api.routes import Answer, NameParam, Route
from iris.api.tickets import TICKET_ID
from iris.models import USERNAME_PATTERN
from iris.schemas.watchers import WatcherOut, watcher_json
from iris.services import watchers as service

WATCHER = NameParam("username", "a username, or `me` for the caller (`me` always means the caller)", max_length=64,
                    pattern=USERNAME_PATTERN, expected="letters, digits, '.', '_' or '-'")  # fmt: skip


def list_watchers(request, response):
    return [watcher_json(row) for row in service.list_watchers(unit_of_work(request), TICKET_ID.from_path(request))]


def watch_ticket(request, response):
    ticket_id, username = TICKET_ID.from_path(request), WATCHER.from_path(request)
    service.watch(unit_of_work(request), ticket_id, username)
    response.status = falcon.HTTP_204


def unwatch_ticket(request, response):
    ticket_id, username = TICKET_ID.from_path(request), WATCHER.from_path(request)
    service.unwatch(unit_of_work(request), ticket_id, username)
    response.status = falcon.HTTP_204


NO_SUCH = Answer("No such ticket, or no such user (for PUT: or a deactivated one)", NOT_FOUND.model)
ROUTES = [
    Route(
        "GET", "/tickets/{ticket_id}/watchers", list_watchers, "Who watches a ticket, longest-standing first",
        "watchers", reads(_200=Answer("The ticket's watchers", list[WatcherOut]), _404=NOT_FOUND),
        path_params=(TICKET_ID,), policy=USER,
    ),
    Route(
        "PUT", "/tickets/{ticket_id}/watchers/{username}", watch_ticket,
        "Watch a ticket: yourself (`me`), or, as an agent or admin, anyone; watching already is fine", "watchers",
        reads(_204=Answer("They watch it"), _404=NO_SUCH,
              _422=Answer("The built-in `anonymous` account (IRIS_AUTH=open without a token) cannot watch",
                          RULE_BROKEN.model)),
        path_params=(TICKET_ID, WATCHER), policy=USER,
    ),
    Route(
        "DELETE", "/tickets/{ticket_id}/watchers/{username}", unwatch_ticket,
        "Stop watching a ticket: yourself (`me`), or, as an agent or admin, anyone; not watching is fine",
        "watchers", reads(_204=Answer("They do not watch it"), _404=NO_SUCH),
        path_params=(TICKET_ID, WATCHER), policy=USER,
    ),
]  # fmt: skip
