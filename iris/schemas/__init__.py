"""Request and response schemas (pydantic v2) and the JSON shapes the API answers with."""

from iris.schemas.comments import CommentCreate, CommentOut, CommentPatch, comment_json
from iris.schemas.common import ErrorBody, HealthOut
from iris.schemas.fields import Input, parse
from iris.schemas.tickets import (
    BulkPatch,
    TicketCreate,
    TicketDetail,
    TicketOut,
    TicketPatch,
    TicketReplace,
    ticket_detail_json,
    ticket_json,
)
from iris.schemas.workflows import (
    TransitionOption,
    TransitionRefused,
    TransitionRequest,
    TransitionsOut,
    WorkflowDefinition,
    WorkflowOut,
    workflow_json,
)

__all__ = [
    "BulkPatch",
    "TicketReplace",
    "CommentCreate",
    "CommentOut",
    "CommentPatch",
    "ErrorBody",
    "HealthOut",
    "Input",
    "TicketCreate",
    "TicketDetail",
    "TicketOut",
    "TicketPatch",
    "TransitionOption",
    "TransitionRefused",
    "TransitionRequest",
    "TransitionsOut",
    "WorkflowDefinition",
    "WorkflowOut",
    "comment_json",
    "parse",
    "ticket_detail_json",
    "ticket_json",
    "workflow_json",
]
