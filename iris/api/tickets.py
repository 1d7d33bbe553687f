"""Ticket routes: parse, make one service call, serialise."""

import falcon

from iris.api.answers import NOT_FOUND, RULE_BROKEN, reads, writes
from iris.api.http import json_body
from iris.api.middleware import db
from iris.api import ticket_list
from iris.api.routes import Answer, Header, IntParam, Route
from iris.schemas import TicketCreate, TicketDetail, TicketOut, TicketPatch, parse, ticket_detail_json, ticket_json
from iris.services import tickets as service

TICKET_ID = IntParam("ticket_id", "the ticket's id", minimum=1)
LIMIT = IntParam("limit", "page size", minimum=1, maximum=500, default=50)
AFTER = IntParam("after", "keyset cursor: only items with a larger id")

TICKET_LINKS = {
    f"{name}Ticket": {"operationId": f"{name}_ticket", "parameters": {"ticket_id": "$response.body#/ticket_id"}}
    for name in ("get", "patch", "delete")
}


def create_ticket(request, response):
    data = parse(TicketCreate, json_body(request))
    ticket = service.open_ticket(db(request), data)
    response.status = falcon.HTTP_201
    response.set_header("Location", f"/tickets/{ticket.ticket_id}")
    return ticket_json(ticket)


def get_ticket(request, response):
    return ticket_detail_json(*service.get_ticket_detail(db(request), TICKET_ID.from_path(request)))


def patch_ticket(request, response):
    ticket_id = TICKET_ID.from_path(request)
    patch = parse(TicketPatch, json_body(request))
    return ticket_json(service.edit_ticket(db(request), ticket_id, patch))


def delete_ticket(request, response):
    service.delete_ticket(db(request), TICKET_ID.from_path(request))
    response.status = falcon.HTTP_204


CREATED = Answer(
    "The ticket was created",
    TicketOut,
    headers={"Location": Header("the new ticket's URL, /tickets/{ticket_id}")},
    links=TICKET_LINKS,
)
ONE = Answer("The ticket", TicketOut)
DETAIL = Answer("The ticket, with its workflow status, its 20 most recent comments and their total", TicketDetail)

ROUTES = [
    Route(
        "PUT", "/tickets", create_ticket, "Create a ticket (the tutorial's verb; same as POST)", "tickets",
        writes(_201=CREATED, _422=RULE_BROKEN), body=TicketCreate, name="put_ticket",
    ),
    Route("POST", "/tickets", create_ticket, "Create a ticket", "tickets", writes(_201=CREATED, _422=RULE_BROKEN), body=TicketCreate),
    ticket_list.ROUTE,
    Route("GET", "/tickets/{ticket_id}", get_ticket, "Get a ticket", "tickets", reads(_200=DETAIL, _404=NOT_FOUND), path_params=(TICKET_ID,)),
    Route(
        "PATCH", "/tickets/{ticket_id}", patch_ticket, "Change some fields of a ticket", "tickets",
        writes(_200=ONE, _404=NOT_FOUND), path_params=(TICKET_ID,), body=TicketPatch,
    ),
    Route(
        "DELETE", "/tickets/{ticket_id}", delete_ticket, "Delete a ticket", "tickets",
        writes(_204=Answer("The ticket was deleted"), _404=NOT_FOUND), path_params=(TICKET_ID,),
    ),
]
