"""Ticket routes: parse, make one service call, serialise."""

import falcon

from iris.api.http import int_param, json_body, path_id, query_params
from iris.api.middleware import db
from iris.api.routes import Route
from iris.schemas import TicketCreate, TicketPatch, parse, ticket_json
from iris.services import tickets as service

PAGE_DEFAULT = 50
PAGE_MAX = 500


def create_ticket(request, response):
    data = parse(TicketCreate, json_body(request))
    ticket = service.open_ticket(db(request), data)
    response.status = falcon.HTTP_201
    response.set_header("Location", f"/tickets/{ticket.ticket_id}")
    return ticket_json(ticket)


def list_tickets(request, response):
    params = query_params(request)
    limit = int_param(params, "limit", default=PAGE_DEFAULT, minimum=1, maximum=PAGE_MAX)
    after = int_param(params, "after", default=None, minimum=0, maximum=2_147_483_647)
    page, more = service.list_tickets(db(request), after=after, limit=limit)
    if more:
        response.append_header("Link", f'</tickets?limit={limit}&after={page[-1].ticket_id}>; rel="next"')
    return [ticket_json(t) for t in page]


def get_ticket(request, response):
    return ticket_json(service.get_ticket(db(request), path_id(request, "ticket_id")))


def patch_ticket(request, response):
    ticket_id = path_id(request, "ticket_id")
    patch = parse(TicketPatch, json_body(request))
    return ticket_json(service.edit_ticket(db(request), ticket_id, patch))


def delete_ticket(request, response):
    service.delete_ticket(db(request), path_id(request, "ticket_id"))
    response.status = falcon.HTTP_204


ROUTES = [
    Route("PUT", "/tickets", create_ticket),
    Route("POST", "/tickets", create_ticket),
    Route("GET", "/tickets", list_tickets, query=frozenset({"limit", "after"})),
    Route("GET", "/tickets/{ticket_id}", get_ticket),
    Route("PATCH", "/tickets/{ticket_id}", patch_ticket),
    Route("DELETE", "/tickets/{ticket_id}", delete_ticket),
]
