"""Workflow routes: definitions (list, get, create or replace) and moving tickets along them."""

import falcon

from iris.api.answers import CONFLICT, NOT_FOUND, RULE_BROKEN, reads, writes
from iris.api.http import json_body
from iris.api.middleware import db
from iris.api.routes import Answer, NameParam, Route
from iris.api.tickets import TICKET_ID
from iris.schemas import (
    TicketDetail,
    TransitionRefused,
    ticket_detail_json,
    TransitionRequest,
    TransitionsOut,
    WorkflowDefinition,
    WorkflowOut,
    parse,
    workflow_json,
)
from iris.services import workflows as service

WORKFLOW = NameParam("name", "the workflow's name")


def list_workflows(request, response):
    return [workflow_json(w) for w in service.list_workflows(db(request))]


def get_workflow(request, response):
    return workflow_json(service.get_workflow(db(request), WORKFLOW.from_path(request)))


def put_workflow(request, response):
    name = WORKFLOW.from_path(request)
    definition, created = service.put_workflow(db(request), name, parse(WorkflowDefinition, json_body(request)))
    if created:
        response.status = falcon.HTTP_201
        response.set_header("Location", f"/workflows/{name}")
    return workflow_json(definition)


def list_transitions(request, response):
    ticket, definition = service.allowed_moves(db(request), TICKET_ID.from_path(request))
    return {
        "ticket_id": ticket.ticket_id,
        "workflow": ticket.workflow,
        "status": ticket.status,
        "transitions": [{"name": t.name, "to": t.to_status} for t in definition.moves_from(ticket.status)],
    }


def move_ticket(request, response):
    ticket_id = TICKET_ID.from_path(request)
    return ticket_detail_json(*service.move_ticket(db(request), ticket_id, parse(TransitionRequest, json_body(request))))


ONE = Answer("The workflow", WorkflowOut)
ROUTES = [
    Route("GET", "/workflows", list_workflows, "All workflows", "workflows", reads(_200=Answer("The workflows", list[WorkflowOut]))),
    Route("GET", "/workflows/{name}", get_workflow, "Get a workflow", "workflows", reads(_200=ONE, _404=NOT_FOUND), path_params=(WORKFLOW,)),
    Route(
        "PUT", "/workflows/{name}", put_workflow, "Create or replace a workflow", "workflows",
        writes(_200=Answer("The workflow was replaced", WorkflowOut), _201=Answer("The workflow was created", WorkflowOut), _409=CONFLICT, _422=RULE_BROKEN),
        path_params=(WORKFLOW,), body=WorkflowDefinition,
    ),
    Route(
        "GET", "/tickets/{ticket_id}/transitions", list_transitions, "The moves allowed from the ticket's status", "workflows",
        reads(_200=Answer("The allowed moves", TransitionsOut), _404=NOT_FOUND), path_params=(TICKET_ID,),
    ),
    Route(
        "POST", "/tickets/{ticket_id}/transitions", move_ticket, "Move a ticket to another status", "workflows",
        writes(
            _200=Answer("The ticket, moved", TicketDetail), _404=NOT_FOUND, _409=CONFLICT,
            _422=Answer("The workflow does not allow that move; `allowed` lists the moves it does", TransitionRefused),
        ),
        path_params=(TICKET_ID,), body=TransitionRequest,
    ),
]
