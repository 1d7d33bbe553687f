"""Webhook routes (admins only): the receivers of ticket events, their deliveries, and sending one again.

A webhook's secret is taken, sealed, and never answered with (`secret_set: true` says one is kept).
"""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import falcon

from iris.api import cursor
from iris.api.access import ADMIN
from iris.api.answers import CONFLICT, NOT_FOUND, RULE_BROKEN, reads, writes
from iris.api.middleware import unit_of_work
from iris.api.paging import AFTER, LIMIT, NEXT_LINK, next_link
from iris.api.request_parsing import json_body
from iris.api.routes import Answer, Header, IntParam, Route, TextParam
from iris.errors import InvalidInput, RuleBroken
from iris.schemas import parse
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
from iris.services import webhook_deliveries as deliveries
from iris.services import webhooks as service

UUID_PATTERN = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
ORDER = "deliveries:-created"  # what a deliveries cursor is a cursor of


@dataclass(frozen=True)
class UuidParam:
    """A path parameter that is a UUID (8-4-4-4-12 hex digits); anything else is a 400."""

    name: str
    description: str

    def from_path(self, request) -> uuid.UUID:
        value = request.context.path_params.get(self.name, "")
        if not re.match(UUID_PATTERN, value):
            raise InvalidInput({self.name: "must be a UUID, such as 0b8e4a2c-5f7d-4c1e-9a3b-6d2f8e1c4a7b"})
        return uuid.UUID(value)

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "uuid", "pattern": UUID_PATTERN}


WEBHOOK_ID = IntParam("webhook_id", "the webhook's id", minimum=1)
DELIVERY_ID = UuidParam("delivery_id", "the delivery's id")
STATUS = TextParam("status", "only deliveries in this state: pending, delivered or failed", max_length=9,
                   pattern=r"^(pending|delivered|failed)$", expected="pending, delivered or failed")  # fmt: skip
CURSOR = TextParam("after", 'opaque: where the page starts, from the `Link: rel="next"` of the one before',
                   max_length=200, pattern=r"^[A-Za-z0-9_-]+$", expected="a cursor from a Link header")  # fmt: skip
WEBHOOK_LINKS = {
    f"{name}Webhook": {"operationId": f"{name}_webhook", "parameters": {"webhook_id": "$response.body#/webhook_id"}}
    for name in ("get", "patch", "delete")
}


def outbound(request) -> dict[str, Any]:
    """What registering or changing a webhook needs from the app: its sealer and the hosts allowed to be private."""
    state = request.context.state
    return {"sealer": state.sealer, "allow_hosts": state.settings.delivery.webhook_allow_hosts}


def create_webhook(request, response):
    data = parse(WebhookCreate, json_body(request))
    webhook = service.register_webhook(unit_of_work(request), data.model_dump(), **outbound(request))
    response.status = falcon.HTTP_201
    response.set_header("Location", f"/webhooks/{webhook.webhook_id}")
    return webhook_json(webhook)


def list_webhooks(request, response):
    limit, after = LIMIT.from_query(request), AFTER.from_query(request)
    page, more = service.list_webhooks(unit_of_work(request), after=after, limit=limit)
    if more:
        response.append_header("Link", next_link("/webhooks", limit, page[-1].webhook_id))
    return [webhook_json(w) for w in page]


def get_webhook(request, response):
    return webhook_json(service.get_webhook(unit_of_work(request), WEBHOOK_ID.from_path(request)))


def patch_webhook(request, response):
    webhook_id = WEBHOOK_ID.from_path(request)
    changes = parse(WebhookPatch, json_body(request)).changes()
    return webhook_json(service.change_webhook(unit_of_work(request), webhook_id, changes, **outbound(request)))


def delete_webhook(request, response):
    service.delete_webhook(unit_of_work(request), WEBHOOK_ID.from_path(request))
    response.status = falcon.HTTP_204


def list_deliveries(request, response):
    webhook_id, limit, status = WEBHOOK_ID.from_path(request), LIMIT.from_query(request), STATUS.from_query(request)
    before = _before(CURSOR.from_query(request))
    page, more = deliveries.list_deliveries(unit_of_work(request), webhook_id, status=status, before=before,
                                            limit=limit)  # fmt: skip
    if more:
        last = page[-1].delivery
        after = cursor.encode(ORDER, [last.created, str(last.delivery_id)])
        filters = [("status", status)] if status else []
        response.append_header("Link", next_link(f"/webhooks/{webhook_id}/deliveries", limit, after, filters))
    return [delivery_json(d.delivery, d.attempts) for d in page]


def _before(token):
    """The (created, delivery_id) a page starts after, from its cursor."""
    try:
        values = cursor.decode(token, ORDER, [datetime, str])
        return None if values is None else (values[0], uuid.UUID(values[1]))
    except (RuleBroken, ValueError):
        raise RuleBroken({"after": "is not a cursor of this listing; start again from the first page"}) from None


def get_delivery(request, response):
    webhook_id, delivery_id = WEBHOOK_ID.from_path(request), DELIVERY_ID.from_path(request)
    found = deliveries.get_delivery(unit_of_work(request), webhook_id, delivery_id)
    return delivery_detail_json(found.delivery, found.attempts)


def redeliver(request, response):
    uow, webhook_id, delivery_id = unit_of_work(request), WEBHOOK_ID.from_path(request), DELIVERY_ID.from_path(request)
    again = deliveries.redeliver(uow, webhook_id, delivery_id)
    response.status = falcon.HTTP_202
    return delivery_detail_json(again.delivery, again.attempts)


ONE = Answer("The webhook (never its secret)", WebhookOut)
CREATED = Answer("The webhook was registered", WebhookOut,
                 headers={"Location": Header("/webhooks/{webhook_id}")}, links=WEBHOOK_LINKS)  # fmt: skip
REFUSED_URL = Answer("The URL may not be called (`errors.url` says why: e.g. a private or loopback address, or a "
                     "name that does not resolve)", RULE_BROKEN.model)  # fmt: skip
PAGE = Answer("A page of webhooks, by id", list[WebhookOut], headers={"Link": NEXT_LINK})
DELIVERIES = Answer("A page of deliveries, newest first, each with its newest 20 attempts", list[DeliveryOut],
                    headers={"Link": NEXT_LINK})  # fmt: skip
BAD_CURSOR = Answer("`after` is not a cursor of this listing", RULE_BROKEN.model)
DELIVERY = Answer("The delivery with every attempt (newest first) and the body it sends", DeliveryDetail)
QUEUED = Answer("The delivery is pending again and will be sent once more; its attempts are kept", DeliveryDetail)
PENDING = Answer("The delivery is pending already", CONFLICT.model)
TURNED_OFF = Answer("The webhook is turned off: turn it on (`active: true`) first", RULE_BROKEN.model)
PATHS = (WEBHOOK_ID,)
ROUTES = [
    Route("POST", "/webhooks", create_webhook, "Admin: register a webhook", "webhooks",
          writes(_201=CREATED, _422=REFUSED_URL), body=WebhookCreate, policy=ADMIN),
    Route("GET", "/webhooks", list_webhooks, "Admin: the webhooks, a page at a time, by id", "webhooks",
          reads(_200=PAGE), query=(LIMIT, AFTER), policy=ADMIN),
    Route("GET", "/webhooks/{webhook_id}", get_webhook, "Admin: get a webhook", "webhooks",
          reads(_200=ONE, _404=NOT_FOUND), path_params=PATHS, policy=ADMIN),
    Route("PATCH", "/webhooks/{webhook_id}", patch_webhook,
          "Admin: change a webhook's url, secret, events or active flag (turning it on clears why it was off)",
          "webhooks", writes(_200=ONE, _404=NOT_FOUND, _422=REFUSED_URL), path_params=PATHS, body=WebhookPatch,
          policy=ADMIN),
    Route("DELETE", "/webhooks/{webhook_id}", delete_webhook, "Admin: remove a webhook and its deliveries",
          "webhooks", reads(_204=Answer("The webhook was removed"), _404=NOT_FOUND), path_params=PATHS,
          policy=ADMIN),
    Route("GET", "/webhooks/{webhook_id}/deliveries", list_deliveries,
          "Admin: a webhook's deliveries, newest first, a page at a time", "webhooks",
          reads(_200=DELIVERIES, _404=NOT_FOUND, _422=BAD_CURSOR), path_params=PATHS, query=(LIMIT, CURSOR, STATUS),
          policy=ADMIN),
    Route("GET", "/webhooks/{webhook_id}/deliveries/{delivery_id}", get_delivery,
          "Admin: one delivery, its attempts and its body", "webhooks", reads(_200=DELIVERY, _404=NOT_FOUND),
          path_params=(WEBHOOK_ID, DELIVERY_ID), policy=ADMIN),
    Route("POST", "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", redeliver,
          "Admin: send a delivered or failed delivery again", "webhooks",
          reads(_202=QUEUED, _404=NOT_FOUND, _409=PENDING, _422=TURNED_OFF), path_params=(WEBHOOK_ID, DELIVERY_ID),
          policy=ADMIN),
]  # fmt: skip
