"""The inbox: each user's notifications (written by the worker, iris/jobs), read and marked here, and the
preferences that say what the worker tells each user, and how.

What each event means to a user who chose it:
    created    a new ticket was opened: every new ticket, watched or not
    assigned   a ticket was assigned to me
    commented  a comment was added to a ticket I watch
    moved      a ticket I watch changed status (a workflow transition)
    changed    any other field of a ticket I watch changed
    deleted    a ticket I watch was deleted
A user without a row of preferences has DEFAULT_EVENTS by DEFAULT_CHANNELS.
"""

from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from iris.errors import InvalidInput, RuleBroken, found
from iris.models import User
from iris.models_notify import CHANNELS, DEFAULT_CHANNELS, DEFAULT_EVENTS, EVENTS, Notification
from iris.services.identity import ANONYMOUS
from iris.services.unit_of_work import UnitOfWork

# DEFAULT_EVENTS and DEFAULT_CHANNELS live beside the schema (iris/models_notify.py), where the worker reads them
# too; `iris.services.inbox.DEFAULT_EVENTS` is the same object.
ORDERS = ("time", "unread")  # newest first; unread ones first, then newest first


@dataclass(frozen=True)
class InboxQuery:
    order: str = "time"
    unread: Optional[bool] = None  # True: only unread ones; False: only read ones
    after: Optional[tuple[int, ...]] = None  # the previous page's last sort key (`sort_key`)
    limit: int = 50


@dataclass(frozen=True)
class InboxPage:
    items: list[Notification]
    next_after: Optional[tuple[int, ...]]  # the last item's sort key, when more follow
    unread: int  # how many of the user's notifications are unread, whatever the filter


@dataclass(frozen=True)
class Preferences:
    events: tuple[str, ...]
    channels: tuple[str, ...]
    email: Optional[str]  # the user's address, which the email channel needs
    chosen: bool  # False: the defaults, never set

    @property
    def email_unreachable(self) -> bool:
        return "email" in self.channels and not self.email


def sort_key(order: str, item: Notification) -> tuple[int, ...]:
    """Where an item stands in `order`: (id,) newest first; (1 if read else 0, id) for unread first."""
    if order == "time":
        return (item.notification_id,)
    return (int(item.read_at is not None), item.notification_id)


def list_notifications(uow: UnitOfWork, query: InboxQuery) -> InboxPage:
    with uow:
        user_id = _me(uow).user_id
        rows = _fetch(uow, user_id, query, query.limit + 1)
        page, more = list(rows[: query.limit]), len(rows) > query.limit
        next_after = sort_key(query.order, page[-1]) if more else None
        return InboxPage(page, next_after, uow.notifications.unread_count(user_id))


def _fetch(uow: UnitOfWork, user_id: int, query: InboxQuery, limit: int) -> list[Notification]:
    inbox = uow.notifications
    if query.order == "time":
        before = query.after[0] if query.after else None
        return list(inbox.page(user_id, unread=query.unread, before=before, limit=limit))
    # Unread first: the unread ones, newest first, then the read ones; each part read from its own index.
    read_part, before = query.after if query.after else (0, None)
    rows: list[Notification] = []
    if read_part == 0 and query.unread is not False:
        rows = list(inbox.page(user_id, unread=True, before=before, limit=limit))
        before = None
    if len(rows) < limit and query.unread is not True:
        rows += inbox.page(user_id, unread=False, before=before, limit=limit - len(rows))
    return rows


def mark(uow: UnitOfWork, notification_id: int, read: bool) -> Notification:
    """One of my notifications, marked read (when it first was is kept) or unread; anyone else's is not found."""
    with uow:
        marked = uow.notifications.set_read(_me(uow).user_id, notification_id, read)
        found(marked, "notification", notification_id)
        uow.commit()
        return marked


def mark_read_up_to(uow: UnitOfWork, up_to: int) -> int:
    """Marks my unread notifications up to `up_to` (an id: what I have seen) read; how many were."""
    with uow:
        marked = uow.notifications.mark_read_up_to(_me(uow).user_id, up_to)
        uow.commit()
        return marked


def get_preferences(uow: UnitOfWork) -> Preferences:
    with uow:
        user = _me(uow)
        return _preferences(user, uow.notifications.preferences(user.user_id))


def set_preferences(uow: UnitOfWork, events: Iterable[str], channels: Iterable[str]) -> Preferences:
    """Replaces my preferences: duplicates dropped, in the order of EVENTS and CHANNELS."""
    events, channels = normalised("events", events, EVENTS), normalised("channels", channels, CHANNELS)
    if uow.actor.username.lower() == ANONYMOUS.username:
        raise RuleBroken({"username": "the built-in `anonymous` account has no preferences; send a token"})
    with uow:
        user = _me(uow)
        chosen = uow.notifications.set_preferences(user.user_id, events, channels)
        uow.commit()
        return _preferences(user, chosen)


def normalised(name: str, given: Iterable[str], known: Sequence[str]) -> tuple[str, ...]:
    given = set(given)
    unknown = sorted(given - set(known))
    if unknown:
        raise InvalidInput({name: f"unknown: {', '.join(unknown)}; choose from {', '.join(known)}"})
    return _ordered(given, known)


def _preferences(user: User, row) -> Preferences:
    if row is None:
        return Preferences(DEFAULT_EVENTS, DEFAULT_CHANNELS, user.email, chosen=False)
    return Preferences(_ordered(row.events, EVENTS), _ordered(row.channels, CHANNELS), user.email, chosen=True)


def _ordered(names: Iterable[str], known: Sequence[str]) -> tuple[str, ...]:
    return tuple(k for k in known if k in set(names))


def _me(uow: UnitOfWork) -> User:
    """The caller's account: a token's user, a web session's, or the built-in `anonymous` (IRIS_AUTH=open)."""
    return found(uow.users.get(uow.actor.username), "user", uow.actor.username)
