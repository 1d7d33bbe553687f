"""Inbox routes: my notifications (keyset pages in two orders), marking them read, and my preferences."""

from dataclasses import dataclass
from typing import Optional

from iris.api import cursor
from iris.api.access import USER
from iris.api.answers import NOT_FOUND, RULE_BROKEN, reads, writes
from iris.api.middleware import unit_of_work
from iris.api.paging import LIMIT, NEXT_LINK, next_link
from iris.api.request_parsing import json_body
from iris.api.routes import Answer, BoolParam, Header, IntParam, Route, TextParam
from iris.errors import InvalidInput, RuleBroken
from iris.schemas import parse
from iris.schemas.notifications import (
    BIGINT_MAX,
    MarkedOut,
    MarkRead,
    NotificationOut,
    NotificationPatch,
    PreferencesIn,
    PreferencesOut,
    notification_json,
    preferences_json,
)
from iris.services import inbox as service
from iris.services.inbox import InboxQuery


@dataclass(frozen=True)
class BigIdParam(IntParam):
    """An id of a bigint column: up to 19 ASCII digits, within bounds."""

    maximum: int = BIGINT_MAX

    def parse(self, raw: Optional[str]) -> Optional[int]:
        if raw is None:
            return self.default
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 19 or not self.minimum <= int(raw) <= self.maximum:
            raise InvalidInput({self.name: f"must be an integer from {self.minimum} to {self.maximum}"})
        return int(raw)


NOTIFICATION_ID = BigIdParam("notification_id", "the notification's id", minimum=1)
ORDER = TextParam("order", "`time`: newest first (the default); `unread`: unread ones first, then newest first",
                  max_length=6, pattern=r"^(time|unread)$", expected="time or unread")  # fmt: skip
UNREAD = BoolParam("unread", "true: unread ones only; false: read ones only")
AFTER = TextParam("after", 'opaque: the `after` of a `Link: rel="next"` (of the same `order`)', max_length=200,
                  pattern=r"^[A-Za-z0-9_-]+$", expected="a cursor from a Link header")  # fmt: skip
PATH = "/user/notifications"
_NOT_OURS = "is not a cursor of this listing (or of this order); start again from the first page"


def list_notifications(request, response):
    query = _query(request)
    page = service.list_notifications(unit_of_work(request), query)
    response.set_header("X-Unread-Count", str(page.unread))
    if page.next_after is not None:
        kept = [(name, request.get_param(name)) for name in ("order", "unread") if request.get_param(name)]
        response.set_header("Link", next_link(PATH, query.limit, _encode(query.order, page.next_after), kept))
    return [notification_json(item) for item in page.items]


def _query(request) -> InboxQuery:
    order = ORDER.from_query(request) or "time"
    after = _decode(AFTER.from_query(request), order)
    return InboxQuery(order, UNREAD.from_query(request), after, LIMIT.from_query(request))


def _encode(order: str, key: tuple[int, ...]) -> str:
    """Ids as text: a bigint is past what the cursor's integers may hold."""
    return cursor.encode(order, [*key[:-1], str(key[-1])])


def _decode(token: Optional[str], order: str) -> Optional[tuple[int, ...]]:
    try:
        values = cursor.decode(token, order, [int, str] if order == "unread" else [str])
    except RuleBroken:
        raise RuleBroken({"after": _NOT_OURS}) from None
    if values is None:
        return None
    *read, last = values
    if any(r not in (0, 1) for r in read) or not (last.isascii() and last.isdigit() and len(last) <= 19):
        raise RuleBroken({"after": _NOT_OURS})
    if int(last) > BIGINT_MAX:
        raise RuleBroken({"after": _NOT_OURS})
    return (*read, int(last))


def mark_notification(request, response):
    notification_id = NOTIFICATION_ID.from_path(request)
    data = parse(NotificationPatch, json_body(request))
    return notification_json(service.mark(unit_of_work(request), notification_id, data.read))


def mark_read_up_to(request, response):
    data = parse(MarkRead, json_body(request))
    return {"marked": service.mark_read_up_to(unit_of_work(request), data.up_to)}


def get_preferences(request, response):
    return preferences_json(service.get_preferences(unit_of_work(request)))


def set_preferences(request, response):
    data = parse(PreferencesIn, json_body(request))
    return preferences_json(service.set_preferences(unit_of_work(request), data.events, data.channels))


ONE = Answer("The notification", NotificationOut)
PREFERENCES = Answer("My preferences (the defaults until I choose)", PreferencesOut)
PAGE = Answer(
    "A page of my notifications",
    list[NotificationOut],
    headers={
        "Link": NEXT_LINK,
        "X-Unread-Count": Header(
            "how many of my notifications are unread, whatever the filter", {"type": "integer", "minimum": 0}
        ),  # fmt: skip
    },
)
ROUTES = [
    Route(
        "GET", PATH, list_notifications, "My notifications, newest (or unread) first, a page at a time",
        "notifications",
        reads(_200=PAGE, _422=Answer("`after` is not a cursor of this listing, or of this order", RULE_BROKEN.model)),
        query=(LIMIT, AFTER, ORDER, UNREAD), policy=USER,
    ),
    Route(
        "PATCH", f"{PATH}/{{notification_id}}", mark_notification, "Mark one of my notifications read or unread",
        "notifications", writes(_200=ONE, _404=Answer("No such notification of mine", NOT_FOUND.model)),
        path_params=(NOTIFICATION_ID,), body=NotificationPatch, policy=USER,
    ),
    Route(
        "POST", f"{PATH}/read", mark_read_up_to, "Mark my unread notifications up to an id read", "notifications",
        writes(_200=Answer("How many were marked", MarkedOut)), body=MarkRead, policy=USER,
    ),
    Route(
        "GET", "/user/notification-preferences", get_preferences, "What I hear about, and how", "notifications",
        reads(_200=PREFERENCES), policy=USER,
    ),
    Route(
        "PUT", "/user/notification-preferences", set_preferences, "Choose what I hear about, and how",
        "notifications",
        writes(_200=PREFERENCES, _422=Answer("The built-in `anonymous` account (IRIS_AUTH=open without a token) "
                                             "has no preferences", RULE_BROKEN.model)),
        body=PreferencesIn, policy=USER,
    ),
]  # fmt: skip
