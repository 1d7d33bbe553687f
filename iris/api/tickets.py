"""Ticket routes: parse, make one service call, serialise."""

import falcon

from iris.api import ticket_list
from iris.api.access import ADMIN, AGENT, USER
from iris.api.answers import NOT_FOUND, NOT_MODIFIED, RULE_BROKEN, guarded, reads, writes
from iris.api.creates import CREATE_HEADERS, answer_created, created_answer, key_use
from iris.api.middleware import unit_of_work
from iris.api.paging import AFTER, LIMIT, NEXT_LINK, next_link
from iris.api.preconditions import ETAG, IF_NONE_MATCH, WRITE_HEADERS, etag, not_modified, precondition
from iris.api.request_parsing import json_body
from iris.api.routes import Answer, Header, IntParam, Route
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
from iris.services import history
from iris.services import tickets as service

TICKET_ID = IntParam("ticket_id", "the ticket's id", minimum=1)
TICKET_LINKS = {
    f"{name}Ticket": {"operationId": f"{name}_ticket", "parameters": {"ticket_id": "$response.body#/ticket_id"}}
    for name in ("get", "patch", "delete")
}
NEW_TICKET = created_answer(ticket_json, lambda ticket: f"/tickets/{ticket.ticket_id}")


def create_ticket(request, response):
    body = json_body(request)
    data = parse(TicketCreate, body)
    outcome = service.open_ticket(unit_of_work(request), data, key=key_use(request, body, NEW_TICKET))
    return answer_created(response, outcome, NEW_TICKET)


def get_ticket(request, response):
    detail = service.get_ticket_detail(unit_of_work(request), TICKET_ID.from_path(request))
    if not_modified(request, response, detail.ticket.version):
        return None
    return ticket_detail_json(detail)


def _written(response, ticket) -> dict:
    response.set_header("ETag", etag(ticket.version))
    return ticket_json(ticket)


def patch_ticket(request, response):
    ticket_id = TICKET_ID.from_path(request)
    patch = parse(TicketPatch, json_body(request))
    expected = precondition(request, patch.version)
    return _written(response, service.edit_ticket(unit_of_work(request), ticket_id, patch, expected))


def replace_ticket(request, response):
    ticket_id = TICKET_ID.from_path(request)
    data = parse(TicketReplace, json_body(request))
    expected = precondition(request, data.version)
    return _written(response, service.replace_ticket(unit_of_work(request), ticket_id, data, expected))


def delete_ticket(request, response):
    ticket_id = TICKET_ID.from_path(request)
    service.delete_ticket(unit_of_work(request), ticket_id, precondition(request, None))
    response.status = falcon.HTTP_204


def bulk_patch(request, response):
    items = parse(BulkPatch, json_body(request)).items
    return [ticket_json(t) for t in service.bulk_edit(unit_of_work(request), items)]


def _history(request, response, path: str, deleted_too: bool):
    ticket_id, limit, after = TICKET_ID.from_path(request), LIMIT.from_query(request), AFTER.from_query(request)
    uow = unit_of_work(request)
    page, more = history.history_page(uow, ticket_id, after=after, limit=limit, deleted_too=deleted_too)
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
    headers={
        "Location": Header("the new ticket's URL, /tickets/{ticket_id}"),
        "ETag": ETAG,
        "Idempotent-Replayed": Header("`true` when this is the stored answer to an earlier request with the same key"),
    },
    links=TICKET_LINKS,
)
WRITTEN = Answer("The ticket as it is now", TicketOut, headers={"ETag": ETAG})
DETAIL = Answer(
    "The ticket, with its workflow status, its 20 most recent comments and their total",
    TicketDetail,
    headers={"ETag": ETAG},
)
HISTORY_PAGE = Answer("A page of history entries", list[HistoryEntry], headers={"Link": NEXT_LINK})
BULK_FAILED = Answer("An item failed (`failed` names the first one and why); nothing was changed", BulkFailure)
BULK_DONE = Answer("The changed tickets, in the order of the items", list[TicketOut])
NEVER_EXISTED = Answer("No ticket with that id ever existed", ErrorBody)

ROUTES = [
    Route(
        "PUT",
        "/tickets",
        create_ticket,
        "Create a ticket (the tutorial's verb; same as POST)",
        "tickets",
        writes(_201=CREATED, _422=RULE_BROKEN),
        body=TicketCreate,
        name="put_ticket",
        headers=CREATE_HEADERS,
        policy=USER,
    ),
    Route(
        "POST",
        "/tickets",
        create_ticket,
        "Create a ticket",
        "tickets",
        writes(_201=CREATED, _422=RULE_BROKEN),
        body=TicketCreate,
        headers=CREATE_HEADERS,
        policy=USER,
    ),
    ticket_list.ROUTE,
    Route(
        "PATCH",
        "/tickets",
        bulk_patch,
        "Change up to 100 tickets at once, all or nothing",
        "tickets",
        writes(_200=BULK_DONE, _404=BULK_FAILED, _412=BULK_FAILED, _422=RULE_BROKEN),
        body=BulkPatch,
        policy=AGENT,
    ),
    Route(
        "GET",
        "/tickets/{ticket_id}",
        get_ticket,
        "Get a ticket",
        "tickets",
        reads(_200=DETAIL, _304=NOT_MODIFIED, _404=NOT_FOUND),
        path_params=(TICKET_ID,),
        headers=(("If-None-Match", IF_NONE_MATCH),),
        policy=USER,
    ),
    Route(
        "PATCH",
        "/tickets/{ticket_id}",
        patch_ticket,
        "Change some fields of a ticket",
        "tickets",
        guarded(_200=WRITTEN, _404=NOT_FOUND, _422=RULE_BROKEN),
        path_params=(TICKET_ID,),
        body=TicketPatch,
        headers=WRITE_HEADERS,
        policy=USER,
    ),
    Route(
        "PUT",
        "/tickets/{ticket_id}",
        replace_ticket,
        "Replace a ticket's editable fields",
        "tickets",
        guarded(_200=WRITTEN, _404=NOT_FOUND, _422=RULE_BROKEN),
        path_params=(TICKET_ID,),
        body=TicketReplace,
        headers=WRITE_HEADERS,
        policy=USER,
    ),
    Route(
        "DELETE",
        "/tickets/{ticket_id}",
        delete_ticket,
        "Delete a ticket (its history stays, at /history/{ticket_id})",
        "tickets",
        guarded(_204=Answer("The ticket was deleted"), _404=NOT_FOUND),
        path_params=(TICKET_ID,),
        headers=WRITE_HEADERS,
        policy=ADMIN,
    ),
    Route(
        "GET",
        "/tickets/{ticket_id}/history",
        ticket_history,
        "A ticket's journal, oldest first, a page at a time",
        "tickets",
        reads(_200=HISTORY_PAGE, _404=NOT_FOUND),
        path_params=(TICKET_ID,),
        query=(LIMIT, AFTER),
        policy=USER,
    ),
    Route(
        "GET",
        "/history/{ticket_id}",
        any_ticket_history,
        "Admin: the journal of any ticket, deleted ones included",
        "tickets",
        reads(_200=HISTORY_PAGE, _404=NEVER_EXISTED),
        path_params=(TICKET_ID,),
        query=(LIMIT, AFTER),
        policy=ADMIN,
    ),
]
