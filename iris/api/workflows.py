"""Workflow routes: definitions (list, get, create or replace) and moving tickets along them."""

import falcon

from iris.api.access import ADMIN, USER
from iris.api.answers import CONFLICT, NOT_FOUND, NOT_MODIFIED, RULE_BROKEN, guarded, reads
from iris.api.middleware import unit_of_work
from iris.api.paging import LIMIT, NEXT_LINK, next_link
from iris.api.preconditions import ETAG, IF_NONE_MATCH, WRITE_HEADERS, etag, not_modified, precondition
from iris.api.request_parsing import json_body
from iris.api.routes import Answer, NameParam, Route, TextParam
from iris.api.tickets import TICKET_ID
from iris.schemas import (
    TicketDetail,
    TransitionRefused,
    TransitionRequest,
    TransitionsOut,
    WorkflowDefinition,
    WorkflowOut,
    parse,
    ticket_detail_json,
    workflow_json,
)
from iris.services import workflows as service

WORKFLOW = NameParam("name", "the workflow's name")
AFTER_NAME = TextParam(
    "after", "only workflows whose name comes after this one (byte order)", max_length=50,
    pattern=WORKFLOW.pattern, expected="a workflow name",
)  # fmt: skip


def list_workflows(request, response):
    limit, after = LIMIT.from_query(request), AFTER_NAME.from_query(request)
    page, more = service.list_workflows(unit_of_work(request), after=after, limit=limit)
    if more:
        response.append_header("Link", next_link("/workflows", limit, page[-1].name))
    return [workflow_json(w) for w in page]


def get_workflow(request, response):
    definition = service.get_workflow(unit_of_work(request), WORKFLOW.from_path(request))
    return None if not_modified(request, response, definition.version) else workflow_json(definition)


def put_workflow(request, response):
    name = WORKFLOW.from_path(request)
    data = parse(WorkflowDefinition, json_body(request))
    definition, created = service.put_workflow(unit_of_work(request), name, data, precondition(request, data.version))
    response.set_header("ETag", etag(definition.version))
    if created:
        response.status = falcon.HTTP_201
        response.set_header("Location", f"/workflows/{name}")
    return workflow_json(definition)


def list_transitions(request, response):
    ticket, definition = service.allowed_moves(unit_of_work(request), TICKET_ID.from_path(request))
    return {
        "ticket_id": ticket.ticket_id,
        "workflow": ticket.workflow,
        "status": ticket.status,
        "transitions": [{"name": t.name, "to": t.to_status} for t in definition.moves_from(ticket.status)],
    }


def move_ticket(request, response):
    ticket_id = TICKET_ID.from_path(request)
    move = parse(TransitionRequest, json_body(request))
    moved = service.move_ticket(unit_of_work(request), ticket_id, move, precondition(request, move.version))
    response.set_header("ETag", etag(moved.ticket.version))
    return ticket_detail_json(moved)


ONE = Answer("The workflow", WorkflowOut, headers={"ETag": ETAG})
REPLACED = Answer("The workflow was replaced", WorkflowOut, headers={"ETag": ETAG})
NEW = Answer("The workflow was created", WorkflowOut, headers={"ETag": ETAG})
MOVED = Answer("The ticket, moved", TicketDetail, headers={"ETag": ETAG})
REFUSED = Answer("The workflow does not allow that move; `allowed` lists the moves it does", TransitionRefused)
ROUTES = [
    Route(
        "GET",
        "/workflows",
        list_workflows,
        "The workflows, a page at a time, by name",
        "workflows",
        reads(_200=Answer("A page of workflows", list[WorkflowOut], headers={"Link": NEXT_LINK})),
        query=(LIMIT, AFTER_NAME),
        policy=USER,
    ),
    Route(
        "GET",
        "/workflows/{name}",
        get_workflow,
        "Get a workflow",
        "workflows",
        reads(_200=ONE, _304=NOT_MODIFIED, _404=NOT_FOUND),
        path_params=(WORKFLOW,),
        headers=(("If-None-Match", IF_NONE_MATCH),),
        policy=USER,
    ),
    Route(
        "PUT",
        "/workflows/{name}",
        put_workflow,
        "Create or replace a workflow",
        "workflows",
        guarded(_200=REPLACED, _201=NEW, _409=CONFLICT, _422=RULE_BROKEN),
        path_params=(WORKFLOW,),
        body=WorkflowDefinition,
        headers=WRITE_HEADERS,
        policy=ADMIN,
    ),
    Route(
        "GET",
        "/tickets/{ticket_id}/transitions",
        list_transitions,
        "The moves allowed from the ticket's status",
        "workflows",
        reads(_200=Answer("The allowed moves", TransitionsOut), _404=NOT_FOUND),
        path_params=(TICKET_ID,),
        policy=USER,
    ),
    Route(
        "POST",
        "/tickets/{ticket_id}/transitions",
        move_ticket,
        "Move a ticket to another status",
        "workflows",
        guarded(_200=MOVED, _404=NOT_FOUND, _409=CONFLICT, _422=REFUSED),
        path_params=(TICKET_ID,),
        body=TransitionRequest,
        headers=WRITE_HEADERS,
        policy=USER,
    ),
]
