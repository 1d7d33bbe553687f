"""Request and response schemas (pydantic v2) and the JSON shapes the API answers with."""

from iris.schemas.comments import CommentCreate, CommentOut, CommentPatch, comment_json
from iris.schemas.common import ErrorBody, HealthOut
from iris.schemas.fields import Input, parse
from iris.schemas.notifications import (
    MarkRead,
    NotificationOut,
    NotificationPatch,
    PreferencesIn,
    PreferencesOut,
    notification_json,
    preferences_json,
)
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
from iris.schemas.watchers import WatcherOut, watcher_json
from iris.schemas.webhooks import (
    DeliveryDetail,
    DeliveryOut,
    WebhookCreate,
    WebhookOut,
    WebhookPatch,
    delivery_detail_json,
    delivery_json,
    webhook_json,
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
    "DeliveryDetail",
    "DeliveryOut",
    "ErrorBody",
    "HealthOut",
    "Input",
    "MarkRead",
    "NotificationOut",
    "NotificationPatch",
    "PreferencesIn",
    "PreferencesOut",
    "TicketCreate",
    "TicketDetail",
    "TicketOut",
    "TicketPatch",
    "TransitionOption",
    "TransitionRefused",
    "TransitionRequest",
    "TransitionsOut",
    "WatcherOut",
    "WebhookCreate",
    "WebhookOut",
    "WebhookPatch",
    "WorkflowDefinition",
    "WorkflowOut",
    "comment_json",
    "notification_json",
    "delivery_detail_json",
    "delivery_json",
    "parse",
    "preferences_json",
    "ticket_detail_json",
    "ticket_json",
    "watcher_json",
    "webhook_json",
    "workflow_json",
]
