"""Ticket routes: parse, make one service call, serialise."""

import re

import falcon

from iris.api import ticket_list
from iris.api.answers import NOT_FOUND, NOT_MODIFIED, RULE_BROKEN, guarded, reads, writes
from iris.api.http import json_body, next_link
from iris.api.middleware import db
from iris.api.preconditions import ETAG, IF_MATCH, IF_NONE_MATCH, etag, expected_version, not_modified
from iris.api.routes import Answer, Header, IntParam, Route
from iris.errors import InvalidInput
from iris.schemas import (
    BulkPatch,
    TicketCreate,
    TicketDetail,
    TicketOut,
    TicketPatch,
    TicketReplace,
    parse,
    ticket_detail_json,
    ticket_json,
)
from iris.schemas.common import BulkFailure, ErrorBody
from iris.schemas.history import HistoryEntry, history_json
from iris.services import journal
from iris.services import tickets as service
from iris.services.idempotency import KeyUse, fingerprint

TICKET_ID = IntParam("ticket_id", "the ticket's id", minimum=1)
LIMIT = IntParam("limit", "page size", minimum=1, maximum=500, default=50)
AFTER = IntParam("after", "keyset cursor: only items with a larger id")
IDEMPOTENCY_KEY = Header("any unique string (1-255 printable ASCII characters): a retry with the same key and body gets the first answer", {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"})
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")

TICKET_LINKS = {
    f"{name}Ticket": {"operationId": f"{name}_ticket", "parameters": {"ticket_id": "$response.body#/ticket_id"}}
    for name in ("get", "patch", "delete")
}


def key_use(request, body) -> KeyUse | None:
    """The request's Idempotency-Key, if it has one, bound to what the request asks for."""
    key = request.get_header("Idempotency-Key")
    if key is None:
        return None
    if not _KEY.match(key):
        raise InvalidInput({"Idempotency-Key": "must be 1 to 255 printable ASCII characters"})
    settings = request.context.state.settings
    return KeyUse(key, fingerprint(request.method, request.path, body), settings.idempotency_ttl_hours)


def answer_created(response, created) -> dict:
    response.status = getattr(falcon, f"HTTP_{created.status}")
    if created.location:
        response.set_header("Location", created.location)
    if created.replayed:
        response.set_header("Idempotent-Replayed", "true")
    if "version" in created.body:
        response.set_header("ETag", etag(created.body["version"]))
    return created.body


def create_ticket(request, response):
    body = json_body(request)
    data = parse(TicketCreate, body)
    return answer_created(response, service.open_ticket(db(request), data, key=key_use(request, body)))


def get_ticket(request, response):
    ticket, comments, total = service.get_ticket_detail(db(request), TICKET_ID.from_path(request))
    if not_modified(request, response, ticket.version):
        return None
    return ticket_detail_json(ticket, comments, total)


def _written(response, ticket) -> dict:
    response.set_header("ETag", etag(ticket.version))
    return ticket_json(ticket)


def patch_ticket(request, response):
    ticket_id = TICKET_ID.from_path(request)
    patch = parse(TicketPatch, json_body(request))
    return _written(response, service.edit_ticket(db(request), ticket_id, patch, expected_version(request, patch.version, "ticket")))


def replace_ticket(request, response):
    ticket_id = TICKET_ID.from_path(request)
    data = parse(TicketReplace, json_body(request))
    return _written(response, service.replace_ticket(db(request), ticket_id, data, expected_version(request, data.version, "ticket")))


def delete_ticket(request, response):
    ticket_id = TICKET_ID.from_path(request)
    service.delete_ticket(db(request), ticket_id, expected_version(request, None, "ticket"))
    response.status = falcon.HTTP_204


def bulk_patch(request, response):
    return [ticket_json(t) for t in service.bulk_edit(db(request), parse(BulkPatch, json_body(request)).items)]


def _history(request, response, path: str, deleted_too: bool):
    ticket_id, limit, after = TICKET_ID.from_path(request), LIMIT.from_query(request), AFTER.from_query(request)
    page, more = journal.history_page(db(request), ticket_id, after=after, limit=limit, deleted_too=deleted_too)
    if more:
        response.append_header("Link", next_link(path.format(ticket_id=ticket_id), limit, page[-1].entry_id))
    return [history_json(entry) for entry in page]


def ticket_history(request, response):
    return _history(request, response, "/tickets/{ticket_id}/history", deleted_too=False)


def any_ticket_history(request, response):
    return _history(request, response, "/history/{ticket_id}", deleted_too=True)


CREATED = Answer(
    "The ticket was created (or, for a repeated Idempotency-Key, the first answer again)",
    TicketOut,
    headers={"Location": Header("the new ticket's URL, /tickets/{ticket_id}"), "ETag": ETAG,
             "Idempotent-Replayed": Header("`true` when this is the stored answer to an earlier request with the same key")},
    links=TICKET_LINKS,
)
WRITTEN = Answer("The ticket as it is now", TicketOut, headers={"ETag": ETAG})
DETAIL = Answer("The ticket, with its workflow status, its 20 most recent comments and their total", TicketDetail, headers={"ETag": ETAG})
WRITE_HEADERS = (("If-Match", IF_MATCH),)
HISTORY_PAGE = Answer("A page of history entries", list[HistoryEntry], headers={"Link": Header('<...>; rel="next" while more remain')})
CREATE_HEADERS = (("Idempotency-Key", IDEMPOTENCY_KEY),)
BULK_FAILED = Answer("An item failed (`failed` names the first one and why); nothing was changed", BulkFailure)

ROUTES = [
    Route(
        "PUT", "/tickets", create_ticket, "Create a ticket (the tutorial's verb; same as POST)", "tickets",
        writes(_201=CREATED, _422=RULE_BROKEN), body=TicketCreate, name="put_ticket", headers=CREATE_HEADERS,
    ),
    Route("POST", "/tickets", create_ticket, "Create a ticket", "tickets", writes(_201=CREATED, _422=RULE_BROKEN), body=TicketCreate, headers=CREATE_HEADERS),
    ticket_list.ROUTE,
    Route(
        "PATCH", "/tickets", bulk_patch, "Change up to 100 tickets at once, all or nothing", "tickets",
        writes(_200=Answer("The changed tickets, in the order of the items", list[TicketOut]), _404=BULK_FAILED, _412=BULK_FAILED),
        body=BulkPatch,
    ),
    Route(
        "GET", "/tickets/{ticket_id}", get_ticket, "Get a ticket", "tickets",
        reads(_200=DETAIL, _304=NOT_MODIFIED, _404=NOT_FOUND), path_params=(TICKET_ID,), headers=(("If-None-Match", IF_NONE_MATCH),),
    ),
    Route(
        "PATCH", "/tickets/{ticket_id}", patch_ticket, "Change some fields of a ticket", "tickets",
        guarded(_200=WRITTEN, _404=NOT_FOUND), path_params=(TICKET_ID,), body=TicketPatch, headers=WRITE_HEADERS,
    ),
    Route(
        "PUT", "/tickets/{ticket_id}", replace_ticket, "Replace a ticket's editable fields", "tickets",
        guarded(_200=WRITTEN, _404=NOT_FOUND), path_params=(TICKET_ID,), body=TicketReplace, headers=WRITE_HEADERS,
    ),
    Route(
        "DELETE", "/tickets/{ticket_id}", delete_ticket, "Delete a ticket (its history stays, at /history/{ticket_id})", "tickets",
        guarded(_204=Answer("The ticket was deleted"), _404=NOT_FOUND), path_params=(TICKET_ID,), headers=WRITE_HEADERS,
    ),
    Route(
        "GET", "/tickets/{ticket_id}/history", ticket_history, "A ticket's journal, oldest first, a page at a time", "tickets",
        reads(_200=HISTORY_PAGE, _404=NOT_FOUND), path_params=(TICKET_ID,), query=(LIMIT, AFTER),
    ),
    Route(
        "GET", "/history/{ticket_id}", any_ticket_history, "Admin: the journal of any ticket, deleted ones included", "tickets",
        reads(_200=HISTORY_PAGE, _404=Answer("No ticket with that id ever existed", ErrorBody)), path_params=(TICKET_ID,), query=(LIMIT, AFTER),
    ),
]