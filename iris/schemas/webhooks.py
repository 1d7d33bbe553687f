"""Webhooks and their deliveries: what admins send and get back. A webhook's secret goes in, never out."""

import json
from datetime import datetime
from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, BaseModel, Field

from iris.models_notify import DELIVERY_STATES, EVENTS
from iris.schemas.fields import Input, _storable, text
from iris.timeparse import iso_utc

Event = Literal[EVENTS]
DeliveryStatus = Literal[DELIVERY_STATES]
URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\x00]+$"


def _events(events: list[str]) -> list[str]:
    """Each event once, in the order EVENTS names them."""
    return [event for event in EVENTS if event in events]


Url = Annotated[
    str,
    Field(min_length=1, max_length=2000, pattern=URL_PATTERN, description="where to POST the events: http(s) only"),
    AfterValidator(_storable),
]
Secret = Annotated[
    text(256),
    Field(min_length=16, description="16 to 256 characters; signs every delivery; never shown again"),
]
Events = Annotated[
    list[Event],
    Field(min_length=1, max_length=50, description="which events to send (repeats count once)"),
    AfterValidator(_events),
]


class WebhookCreate(Input):
    REFUSED = {
        "webhook_id": "is set by the server",
        "created": "is set by the server",
        "created_by": "is set by the server",
        "secret_set": "send `secret` itself",
    }

    url: Url
    secret: Secret
    events: Events
    active: bool = Field(True, description="false: registered, but sent nothing until turned on")


class WebhookPatch(Input):
    """Any of the fields; `active: true` also clears `disabled_reason` and `failing_since`."""

    REFUSED = {**WebhookCreate.REFUSED, "failing_since": "is set by the server", "disabled_reason": "set `active`"}

    url: Url = None
    secret: Secret = None
    events: Events = None
    active: bool = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class WebhookOut(BaseModel):
    webhook_id: int
    url: str
    events: list[Event]
    active: bool
    created: datetime
    created_by: str
    failing_since: Optional[datetime] = Field(description="the first failure since its last success")
    disabled_reason: Optional[str] = Field(description="why iris turned it off itself; cleared by `active: true`")
    secret_set: bool = Field(description="always true: a secret is kept, sealed, and never shown")


class AttemptOut(BaseModel):
    started: datetime
    duration_ms: int
    status_code: Optional[int] = Field(description="the receiver's answer; none when there was none")
    error: Optional[str] = Field(description="why the attempt failed, when it did")


class DeliveryOut(BaseModel):
    delivery_id: str
    ticket_id: int
    event: str
    status: DeliveryStatus
    attempts: int = Field(description="attempts in its current round (a redelivery starts a new one)")
    created: datetime
    finished: Optional[datetime] = Field(description="when it was delivered, or given up on")
    next_attempt: Optional[datetime] = Field(
        description="pending only: not before this (a retry's backoff; it also waits for its ticket's earlier ones)"
    )
    attempt_log: list[AttemptOut] = Field(description="the newest attempts first: 20 in a list, 100 for one delivery")


class DeliveryDetail(DeliveryOut):
    payload: dict[str, Any] = Field(description="the JSON body sent, byte for byte as signed on every attempt")


def webhook_json(webhook) -> dict[str, Any]:
    return {
        "webhook_id": webhook.webhook_id,
        "url": webhook.url,
        "events": list(webhook.events),
        "active": webhook.active,
        "created": iso_utc(webhook.created),
        "created_by": webhook.created_by,
        "failing_since": iso_utc(webhook.failing_since),
        "disabled_reason": webhook.disabled_reason,
        "secret_set": True,
    }


def attempt_json(attempt) -> dict[str, Any]:
    return {
        "started": iso_utc(attempt.started),
        "duration_ms": attempt.duration_ms,
        "status_code": attempt.status_code,
        "error": attempt.error,
    }


def delivery_json(delivery, attempts) -> dict[str, Any]:
    return {
        "delivery_id": str(delivery.delivery_id),
        "ticket_id": delivery.ticket_id,
        "event": delivery.event,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "created": iso_utc(delivery.created),
        "finished": iso_utc(delivery.finished),
        "next_attempt": iso_utc(delivery.due) if delivery.status == "pending" else None,
        "attempt_log": [attempt_json(a) for a in attempts],
    }


def delivery_detail_json(delivery, attempts) -> dict[str, Any]:
    return {**delivery_json(delivery, attempts), "payload": json.loads(delivery.body)}
