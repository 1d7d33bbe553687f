"""The worker's queries for passing on the journal (iris/services/fanout.py): the entries not yet told, who hears
of them and which webhooks take them; and for gathering what a user is due to be e-mailed (iris/services/mail.py)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Optional, Sequence

from sqlalchemy import Select, delete, func, not_, or_, select, update
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from iris.models import Ticket, TicketHistory, User
from iris.models_notify import Notification, NotificationPreference, TicketWatcher, Webhook, WebhookDelivery


@dataclass(frozen=True)
class Person:
    """An active user who may hear about a ticket, with their preferences (None: the defaults)."""

    user_id: int
    username: str
    email: Optional[str]
    watches: bool
    events: Optional[tuple[str, ...]]
    channels: Optional[tuple[str, ...]]


@dataclass(frozen=True)
class Audience:
    """Who may hear of a turn's change sets: the watchers of their tickets (with when each began watching) and the
    active users among them or who asked to hear of every new ticket, read in two queries for the whole turn."""

    watchers: dict[int, list[tuple[int, datetime]]]  # ticket_id -> [(user_id, watching since)]
    people: dict[
        int, tuple[User, Optional[tuple[str, ...]], Optional[tuple[str, ...]]]
    ]  # active: user, events, channels

    def of(self, ticket_id: int, at: datetime, everyone_told_of_new: bool) -> list[Person]:
        """The ticket's active watchers as of `at` (the change's time: who started watching later is not told of
        it) and, for a new ticket, every active user who asked to hear of new tickets; by user id."""
        watching = {user_id for user_id, since in self.watchers.get(ticket_id, ()) if since <= at}
        told = set(watching)
        if everyone_told_of_new:
            told |= {user_id for user_id, (_, events, _) in self.people.items() if "created" in (events or ())}
        found = []
        for user_id in sorted(told & self.people.keys()):  # active users only
            user, events, channels = self.people[user_id]
            found.append(Person(user_id, user.username, user.email, user_id in watching, events, channels))
        return found


CHUNK = 1000  # rows an INSERT carries at most (PostgreSQL takes 65,535 parameters a statement)
RELAY_LOCK_KEY = 0x1215_7E11  # pg_try_advisory_xact_lock: one worker relays the journal at a time


def untold_entries() -> Select:
    """The journal entries not yet passed on, oldest first. `NOT told`, word for word the predicate of the partial
    index ix_ticket_history_untold: PostgreSQL cannot match `told IS false` to it, and read the whole journal each
    turn (seen in the webhook bench: a sequential scan of ticket_history four times a second)."""
    return select(TicketHistory).where(not_(TicketHistory.told)).order_by(TicketHistory.entry_id)


class FanoutRepository:
    def __init__(self, session: Session):
        self.session = session

    def lead(self) -> bool:
        """Whether this transaction is the one relaying now (a transaction-scoped advisory lock, never waited for)."""
        return bool(self.session.scalar(select(func.pg_try_advisory_xact_lock(RELAY_LOCK_KEY))))

    def untold(self, limit: int) -> list[TicketHistory]:
        """The oldest journal entries not yet passed on, up to `limit`, and then the rest of the last one's change
        set on its ticket, so that a change set is never split between two turns."""
        query = untold_entries()
        found = list(self.session.scalars(query.limit(limit)))
        if len(found) == limit:
            last = found[-1]
            rest = query.where(TicketHistory.changeset == last.changeset, TicketHistory.ticket_id == last.ticket_id,
                               TicketHistory.entry_id > last.entry_id)  # fmt: skip
            found += self.session.scalars(rest)
        return found

    def mark_told(self, entry_ids: Sequence[int]) -> None:
        if entry_ids:
            told = update(TicketHistory).where(TicketHistory.entry_id.in_(list(entry_ids))).values(told=True)
            self.session.execute(told.execution_options(synchronize_session=False))

    def tickets(self, ticket_ids: Iterable[int]) -> dict[int, Ticket]:
        """The tickets that still exist, of those asked for (one query for a turn)."""
        query = select(Ticket).where(Ticket.ticket_id.in_(sorted(set(ticket_ids))))
        return {ticket.ticket_id: ticket for ticket in self.session.scalars(query)}

    def audience(self, ticket_ids: Iterable[int], any_new: bool) -> Audience:
        """Who may hear of changes to these tickets (`any_new`: one of them is new, so those who asked to hear of
        every new ticket too)."""
        ids = sorted(set(ticket_ids))
        rows = self.session.execute(
            select(TicketWatcher.ticket_id, TicketWatcher.user_id, TicketWatcher.created).where(
                TicketWatcher.ticket_id.in_(ids)
            )
        )
        watchers: dict[int, list[tuple[int, datetime]]] = {}
        for ticket_id, user_id, since in rows:
            watchers.setdefault(ticket_id, []).append((user_id, since))
        who = User.user_id.in_(select(TicketWatcher.user_id).where(TicketWatcher.ticket_id.in_(ids)))
        if any_new:
            who = or_(who, NotificationPreference.events.contains(array(["created"])))
        query = (
            select(User, NotificationPreference.events, NotificationPreference.channels)
            .outerjoin(NotificationPreference, NotificationPreference.user_id == User.user_id)
            .where(User.active, who)
        )
        people = {
            user.user_id: (user, _tuple(events), _tuple(channels))
            for user, events, channels in self.session.execute(query)
        }
        return Audience(watchers, people)

    def add_notifications(self, rows: Sequence[dict[str, Any]]) -> list[tuple[int, bool]]:
        """Adds those not there yet (a job run twice adds nothing twice); returns (user_id, email_due) of the new."""
        return self._add_new(Notification, rows, Notification.user_id, Notification.email_due)

    def active_webhooks(self) -> Sequence[Webhook]:
        return self.session.scalars(select(Webhook).where(Webhook.active).order_by(Webhook.webhook_id)).all()

    def add_deliveries(self, rows: Sequence[dict[str, Any]]) -> list[tuple[uuid.UUID, int]]:
        """Adds those not there yet, in the order given (their `seq`); returns (delivery_id, webhook_id) of the new
        ones, to be sent."""
        return self._add_new(WebhookDelivery, rows, WebhookDelivery.delivery_id, WebhookDelivery.webhook_id)

    def _add_new(self, model, rows: Sequence[dict[str, Any]], *returning) -> list[tuple]:
        """INSERT ... ON CONFLICT DO NOTHING, CHUNK rows a statement, in order; `returning` of the rows added."""
        added = []
        for chunk in _chunks(rows):
            statement = pg_insert(model).values(chunk).on_conflict_do_nothing().returning(*returning)
            added += [tuple(row) for row in self.session.execute(statement)]
        return added

    def drop_watchers(self, ticket_id: int) -> None:
        self.session.execute(delete(TicketWatcher).where(TicketWatcher.ticket_id == ticket_id))

    def due_for_email(self, user_id: int, limit: int) -> tuple[Optional[User], Sequence[Notification]]:
        user = self.session.get(User, user_id)
        query = (
            select(Notification)
            .where(Notification.user_id == user_id, Notification.email_due)
            .order_by(Notification.notification_id)
            .limit(limit)
        )
        return user, self.session.scalars(query).all()

    def emailed(self, notification_ids: Sequence[int]) -> None:
        if notification_ids:
            ids = Notification.notification_id.in_(list(notification_ids))
            self.session.execute(update(Notification).where(ids).values(email_due=False))

    def due_again(self, notification_ids: Sequence[int]) -> None:
        if notification_ids:
            ids = Notification.notification_id.in_(list(notification_ids))
            self.session.execute(update(Notification).where(ids).values(email_due=True))


def _chunks(rows: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [list(rows[start : start + CHUNK]) for start in range(0, len(rows), CHUNK)]


def _tuple(values) -> Optional[tuple[str, ...]]:
    return None if values is None else tuple(values)
