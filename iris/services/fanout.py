"""Passing on what changed: the worker reads the journal entries not yet told (the journal is the transactional
outbox: an entry commits with its change, or not at all), tells the people who watch each ticket, queues the
webhooks' deliveries, and marks the entries told, all in one transaction.

One worker relays at a time (an advisory lock; the others skip their turn), in journal order, so each ticket's
changes are told, and their deliveries queued, in the order they committed: a change holds its ticket's row lock
until it commits, so a later change to that ticket is journalled after it. A batch that rolls back leaves its
entries untold for the next turn; notifications and deliveries are unique per change set and ticket besides, so
nothing is told twice.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional, Sequence

from iris.models_notify import DEFAULT_CHANNELS, DEFAULT_EVENTS, Webhook
from iris.repositories.fanout import Audience, Person
from iris.schemas.tickets import ticket_json
from iris.services import events
from iris.services.events import TicketEvent
from iris.services.unit_of_work import UnitOfWork

BATCH = 500  # journal entries a turn takes at most (a change set is never split across turns)
FAILING_PAUSE_S = 10  # a failing webhook's job is not brought forward sooner than this (_queue_jobs)


@dataclass(frozen=True)
class Relayed:
    entries: int  # journal entries passed on (0: none waiting, or another worker's turn)
    notified: int  # inbox entries added
    deliveries: int  # webhook deliveries queued


def relay(uow: UnitOfWork, email_after_s: Optional[int], now: datetime, batch: int = BATCH) -> Relayed:
    """One turn. `email_after_s`: the grouping window of e-mails (None: e-mail is off). The turn reads what it needs
    for all its change sets at once (their tickets, watchers and the webhooks) and writes all their inbox entries
    and deliveries in one statement each: a statement per change set was most of the worker's database work."""
    with uow:
        if not uow.fanout.lead():
            return Relayed(0, 0, 0)
        entries = uow.fanout.untold(batch)
        if not entries:
            return Relayed(0, 0, 0)
        told = [events.of_entries(group) for group in _change_sets(entries)]
        tickets = uow.fanout.tickets(event.ticket_id for event in told)
        audience = uow.fanout.audience((event.ticket_id for event in told), any("created" in e.kinds for e in told))
        webhooks = uow.fanout.active_webhooks()
        notes, sends = [], []
        for event in told:
            ticket = tickets.get(event.ticket_id)
            title = ticket.title if ticket is not None else _deleted_snapshot(event).get("title", "")
            notes += _notifications(audience, event, title, email_after_s is not None, now)
            sends += _deliveries(webhooks, event, ticket, now)
        added, queued = uow.fanout.add_notifications(notes), uow.fanout.add_deliveries(sends)
        failing = {webhook.webhook_id for webhook in webhooks if webhook.failing_since is not None}
        _queue_jobs(uow, added, queued, email_after_s, failing, now)
        for event in told:
            if "deleted" in event.kinds:
                uow.fanout.drop_watchers(event.ticket_id)
        uow.fanout.mark_told([entry.entry_id for entry in entries])
        uow.commit()
    return Relayed(len(entries), len(added), len(queued))


def _change_sets(entries) -> list[list]:
    """The entries by (change set, ticket), each group in journal order, groups in the order they began."""
    groups: dict[tuple, list] = {}
    for entry in entries:
        groups.setdefault((entry.changeset, entry.ticket_id), []).append(entry)
    return list(groups.values())


def _queue_jobs(uow: UnitOfWork, added: list, queued: list, email_after_s, failing: set, now: datetime) -> None:
    """One job a webhook sends the turn's deliveries, in the order made. A failing webhook's job is brought forward
    no sooner than FAILING_PAUSE_S: while a receiver is down, its queue is looked through every few seconds, not at
    every turn (and a receiver back up hears of new changes within that pause)."""
    pause = now + timedelta(seconds=FAILING_PAUSE_S)
    for webhook_id in sorted({webhook_id for _, webhook_id in queued}):
        uow.outbox.deliver(webhook_id, pause if webhook_id in failing else None)
    for user_id in sorted({user_id for user_id, email_due in added if email_due}):
        uow.outbox.email_digest(user_id, email_after_s)


def _notifications(audience: Audience, event: TicketEvent, title: str, email_on: bool, now: datetime) -> list[dict]:
    rows = []
    for person in audience.of(event.ticket_id, event.at, "created" in event.kinds):
        told = _told(person, event)
        if told is None:
            continue
        channels = person.channels if person.channels is not None else DEFAULT_CHANNELS
        rows.append(
            {
                "user_id": person.user_id,
                "ticket_id": event.ticket_id,
                "changeset": uuid.UUID(event.changeset),
                "actor": event.actor,
                "event": told,
                "title": title,
                "changes": [brief(change) for change in event.changes],
                "entry_ids": list(event.entry_ids),
                "email_due": email_on and "email" in channels and bool(person.email),
                # E-mail only: the inbox still keeps the entry (what was sent), already read.
                "read_at": None if "inbox" in channels else now,
            }
        )
    return rows


def _told(person: Person, event: TicketEvent) -> Optional[str]:
    """What this person is told the change set was, or None if they are not told: nobody hears of their own
    changes, only watchers hear of changes, and only of the kinds they chose (`created`: every new ticket)."""
    if person.username.lower() == event.actor.lower():
        return None
    wanted = set(person.events if person.events is not None else DEFAULT_EVENTS)
    kinds = event.kinds_for(person.username)
    if not person.watches:
        kinds = kinds & {"created"}
    chosen = kinds & wanted
    return events.first_of(chosen) if chosen else None


def _deliveries(webhooks: Sequence[Webhook], event: TicketEvent, ticket, now: datetime) -> list[dict]:
    """The deliveries of a change set, due `now` by the worker's clock (the one their sending compares with)."""
    rows = []
    for webhook in (webhook for webhook in webhooks if event.kinds & set(webhook.events)):
        delivery_id = uuid.uuid4()
        name = events.first_of(set(webhook.events) & event.kinds)
        body = payload(delivery_id, name, event, ticket)
        rows.append(
            {
                "delivery_id": delivery_id,
                "webhook_id": webhook.webhook_id,
                "ticket_id": event.ticket_id,
                "changeset": uuid.UUID(event.changeset),
                "event": name,
                "body": body,
                "due": now,
            }
        )
    return rows


def payload(delivery_id: uuid.UUID, name: str, event: TicketEvent, ticket) -> str:
    """The JSON body of a delivery, fixed when it is queued: every attempt sends (and signs) the same bytes."""
    document = {
        "delivery_id": str(delivery_id),
        "event": name,
        "events": [kind for kind in events.PRIORITY if kind in event.kinds],
        "changeset": event.changeset,
        "actor": event.actor,
        "occurred_at": event.at.isoformat(),
        "ticket_id": event.ticket_id,
        "ticket": ticket_json(ticket) if ticket is not None else None,
        "changes": list(event.changes),
        "entry_ids": list(event.entry_ids),
    }
    return json.dumps(document, separators=(",", ":"), default=str)


SHORT = 200  # characters of a value an inbox entry keeps; the journal (entry_ids) has the whole of it


def brief(value: Any) -> Any:
    """A change as an inbox entry keeps it: each text cut to SHORT characters, so that one entry, copied to every
    watcher, stays small however long the description (webhook payloads keep the whole change)."""
    if isinstance(value, str):
        return value if len(value) <= SHORT else value[: SHORT - 1] + "…"
    if isinstance(value, dict):
        return {key: brief(item) for key, item in value.items()}
    if isinstance(value, list):
        return [brief(item) for item in value]
    return value


def _deleted_snapshot(event: TicketEvent) -> dict:
    for change in event.changes:
        if change["action"] == "deleted" and isinstance(change["old"], dict):
            return change["old"]
    return {}
