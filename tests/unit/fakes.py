"""In-memory repositories and a unit of work over them, so services run without a database.

`FakeDatabase` holds the committed state; a `FakeUnitOfWork` works on a copy of it that `commit()` makes the
committed state and `close()` drops. As in PostgreSQL, ids are never given back and `now` is the transaction's
start. As the schema's triggers and keys do, a ticket's version grows when its own fields really change or its
comments change, `updated` follows its own fields only, its status is one of its workflow's, and deleting it
deletes its comments.
"""

import importlib.util
import itertools
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Optional, Sequence

from iris.models import TICKET_FIELDS, Comment, Ticket, TicketHistory, User, WorkflowTransition
from iris.models_notify import Notification
from iris.repositories.idempotency_keys import KeptAnswer, KeyRecord
from iris.repositories.workflows import Definition
from iris.services.identity import ANONYMOUS, Actor
from iris.services.journal import TRACKED
from iris.services.unit_of_work import UnitOfWork

COMMENT_FIELDS = ("comment_id", "ticket_id", "author", "body", "created", "edited", "version")
USER_FIELDS = ("user_id", "username", "email", "display_name", "role", "active", "imported_as")
NOTIFICATION_FIELDS = tuple(c.name for c in Notification.__table__.columns)
Moves = Sequence[tuple[str, str, str]]  # (name, from, to)


def definition(name: str, initial: str, statuses: Sequence[str], closed: set, moves: Moves, version=1) -> Definition:
    """A workflow as WorkflowRepository.get reads it: statuses in order, transitions by (from, name, to)."""
    ordered = sorted(moves, key=lambda m: (m[1], m[0], m[2]))
    transitions = tuple(WorkflowTransition(workflow=name, from_status=f, to_status=t, name=n) for n, f, t in ordered)
    return Definition(name, version, initial, tuple(statuses), tuple(s for s in statuses if s in closed), transitions)


def _default_workflow() -> Definition:
    """The `default` workflow as migration 0009 creates it, read from the migration itself."""
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0009_default_workflow.py"
    spec = importlib.util.spec_from_file_location("migration_0009_default_workflow", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    closed = {name for name, is_closed in migration.STATUSES if is_closed}
    moves = [(n, f, t) for f, t, n in migration.TRANSITIONS]
    return definition("default", "Open", [name for name, _ in migration.STATUSES], closed, moves)


DEFAULT_WORKFLOW = _default_workflow()


def _clone(model: Any, names: Sequence[str]) -> Any:
    return type(model)(**{name: getattr(model, name) for name in names})


@dataclass(frozen=True)
class KeyRow:
    fingerprint: str
    answer: KeptAnswer
    created: datetime


@dataclass
class State:
    """Everything a transaction can change. Records that are never changed in place are shared by copies."""

    tickets: dict[int, Ticket] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    history: list[TicketHistory] = field(default_factory=list)
    keys: dict[tuple[str, str], KeyRow] = field(default_factory=dict)
    workflows: dict[str, Definition] = field(default_factory=lambda: {"default": DEFAULT_WORKFLOW})
    users: dict[str, User] = field(default_factory=dict)  # by lower-cased username
    watchers: dict[tuple[int, int], datetime] = field(default_factory=dict)  # (ticket_id, user_id): since
    notifications: dict[int, Notification] = field(default_factory=dict)
    preferences: dict[int, tuple[list[str], list[str]]] = field(default_factory=dict)  # user_id: (events, channels)

    def copy(self) -> "State":
        tickets = {i: _clone(t, TICKET_FIELDS) for i, t in self.tickets.items()}
        comments = {i: _clone(c, COMMENT_FIELDS) for i, c in self.comments.items()}
        users = {k: _clone(u, USER_FIELDS) for k, u in self.users.items()}
        history = list(self.history)
        inbox = {
            "watchers": dict(self.watchers),
            "notifications": {i: _clone(n, NOTIFICATION_FIELDS) for i, n in self.notifications.items()},
            "preferences": dict(self.preferences),
        }
        return State(tickets, comments, history, dict(self.keys), dict(self.workflows), users, **inbox)


class FakeDatabase:
    """The committed state, shared by every unit of work of a test; counts commits."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.state = State()
        self.clock = clock
        self.commits = 0
        self._ids = {kind: itertools.count(1) for kind in ("ticket", "comment", "entry", "user")}

    def next_id(self, kind: str) -> int:
        return next(self._ids[kind])


@dataclass
class Tx:  # one transaction: its working copy, and the time it began
    db: FakeDatabase
    state: State
    now: datetime


class Repository:
    def __init__(self, tx: Tx):
        self.tx = tx


class FakeTicketRepository(Repository):
    def add(self, **fields: Any) -> Ticket:
        fields = {"workflow": "default", "status": "Open", "due_raw": None, "reporter": None, **fields}
        _check_status(self.tx.state, fields["workflow"], fields["status"])
        now = self.tx.now
        ticket = Ticket(ticket_id=self.tx.db.next_id("ticket"), created=now, updated=now, version=1, **fields)
        self.tx.state.tickets[ticket.ticket_id] = ticket
        return ticket

    def open(self, workflow: str, watchers=(), **fields: Any) -> Optional[Ticket]:
        definition = self.tx.state.workflows.get(workflow)
        if definition is None:
            return None
        ticket = self.add(**fields, workflow=workflow, status=definition.initial)
        FakeWatcherRepository(self.tx).add(ticket.ticket_id, watchers)
        return ticket

    def get(self, ticket_id: int) -> Optional[Ticket]:
        return self.tx.state.tickets.get(ticket_id)

    get_for_update = get  # one transaction at a time: nothing to lock against

    def with_recent_comments(self, ticket_id: int, limit: int) -> Optional[tuple[Ticket, list[Comment], int]]:
        ticket = self.get(ticket_id)
        if ticket is None:
            return None
        mine = [c for c in self.tx.state.comments.values() if c.ticket_id == ticket_id]
        mine.sort(key=lambda c: c.comment_id)
        return ticket, mine[-limit:] if limit else [], len(mine)

    def lock_many(self, ticket_ids: list[int]) -> dict[int, Ticket]:
        return {i: self.tx.state.tickets[i] for i in sorted(ticket_ids) if i in self.tx.state.tickets}

    def change(self, ticket: Ticket, changes: dict[str, Any]) -> Ticket:
        """Like an UPDATE of only what differs: the touch trigger bumps version and `updated` once."""
        really = {name: value for name, value in changes.items() if getattr(ticket, name) != value}
        _check_status(self.tx.state, really.get("workflow", ticket.workflow), really.get("status", ticket.status))
        for name, value in really.items():
            setattr(ticket, name, value)
        if set(really) & set(TRACKED):
            ticket.version += 1
            ticket.updated = self.tx.now
        return ticket

    def exists(self, ticket_id: int) -> bool:
        return ticket_id in self.tx.state.tickets

    def delete(self, ticket_id: int) -> bool:
        comments = self.tx.state.comments
        for comment_id in [c.comment_id for c in comments.values() if c.ticket_id == ticket_id]:
            del comments[comment_id]  # ON DELETE CASCADE
        # Its watchers stay, as in ticket_watchers (no foreign key): the worker tells them, then drops them.
        return self.tx.state.tickets.pop(ticket_id, None) is not None


class FakeUserRepository(Repository):
    def get(self, username: str) -> Optional[User]:
        return self.tx.state.users.get(username.lower())

    def with_email(self, email: str) -> Optional[User]:
        return next((u for u in self.tx.state.users.values() if (u.email or "").lower() == email.lower()), None)

    def add(self, **fields: Any) -> User:
        fields = {
            "email": None,
            "display_name": None,
            "role": "reporter",
            "active": True,
            "imported_as": None,
            **fields,
        }
        user = User(user_id=self.tx.db.next_id("user"), **fields)
        self.tx.state.users[user.username.lower()] = user
        return user

    def add_placeholder(self, username: str) -> None:
        if self.get(username) is None:
            self.add(username=username, active=False)

    def change(self, user: User, changes: dict[str, Any]) -> User:
        for name, value in changes.items():
            setattr(user, name, value)
        return user


def _check_status(state: State, workflow: str, status: str) -> None:
    """The foreign key from (workflow, status) to the workflow's statuses."""
    found = state.workflows.get(workflow)
    if found is None or status not in found.statuses:
        raise AssertionError(f"foreign key: no status {status!r} in workflow {workflow!r}")


class FakeCommentRepository(Repository):
    def add(self, ticket_id: int, body: str, author: str) -> Optional[Comment]:
        if ticket_id not in self.tx.state.tickets:
            return None
        new_id, now = self.tx.db.next_id("comment"), self.tx.now
        comment = Comment(comment_id=new_id, ticket_id=ticket_id, author=author, body=body, created=now, version=1)
        self.tx.state.comments[comment.comment_id] = comment
        self._touch_ticket(ticket_id)
        return comment

    def get(self, comment_id: int) -> Optional[Comment]:
        return self.tx.state.comments.get(comment_id)

    get_for_update = get

    def page(self, ticket_id: int, *, after: Optional[int], limit: int) -> Sequence[Comment]:
        mine = self._of(ticket_id)
        return [c for c in mine if after is None or c.comment_id > after][:limit]

    def recent_with_total(self, ticket_id: int, limit: int) -> tuple[list[Comment], int]:
        mine = self._of(ticket_id)
        return mine[-limit:] if limit else [], len(mine)

    def edit(self, comment_id: int, body: str) -> Optional[Comment]:
        comment = self.get(comment_id)
        if comment is None:
            return None
        comment.body, comment.edited, comment.version = body, self.tx.now, comment.version + 1
        self._touch_ticket(comment.ticket_id)
        return comment

    def delete(self, comment_id: int) -> bool:
        comment = self.tx.state.comments.pop(comment_id, None)
        if comment is not None:
            self._touch_ticket(comment.ticket_id)
        return comment is not None

    def _of(self, ticket_id: int) -> list[Comment]:
        mine = [c for c in self.tx.state.comments.values() if c.ticket_id == ticket_id]
        return sorted(mine, key=lambda c: c.comment_id)

    def _touch_ticket(self, ticket_id: int) -> None:
        """The comments' search trigger: the ticket's version grows, its `updated` does not."""
        ticket = self.tx.state.tickets.get(ticket_id)
        if ticket is not None:
            ticket.version += 1


class FakeWorkflowRepository(Repository):
    locked: tuple[str, ...] = ()  # the workflows whose definition this transaction locked

    def names(self) -> Sequence[str]:
        return sorted(self.tx.state.workflows)

    def status_names(self) -> set[str]:
        return {s for d in self.tx.state.workflows.values() for s in d.statuses}

    def get(self, name: str) -> Optional[Definition]:
        return self.get_many([name]).get(name)

    def get_many(self, names: Sequence[str]) -> dict[str, Definition]:
        return {n: self.tx.state.workflows[n] for n in names if n in self.tx.state.workflows}

    def tickets_in(self, workflow: str, statuses: Sequence[str]) -> dict[str, int]:
        counted = Counter(t.status for t in self.tx.state.tickets.values() if t.workflow == workflow)
        return {status: n for status, n in counted.items() if status in statuses}

    def lock(self, name: str) -> None:
        self.locked += (name,)

    def replace(self, name: str, initial: str, statuses: Sequence[str], closed: set[str], transitions: Moves) -> None:
        existing = self.tx.state.workflows.get(name)
        version = existing.version + 1 if existing is not None else 1
        self.tx.state.workflows[name] = definition(name, initial, statuses, closed, transitions, version)


class FakeHistoryRepository(Repository):
    def record(self, entries: Sequence[dict[str, Any]]) -> None:
        new = (TicketHistory(entry_id=self.tx.db.next_id("entry"), at=self.tx.now, **entry) for entry in entries)
        self.tx.state.history.extend(new)

    def exists(self, ticket_id: int) -> bool:
        return any(e.ticket_id == ticket_id for e in self.tx.state.history)

    def page(self, ticket_id: int, *, after: Optional[int], limit: int) -> Sequence[TicketHistory]:
        rows = [e for e in self.tx.state.history if e.ticket_id == ticket_id and (after is None or e.entry_id > after)]
        return rows[:limit]

    def recent_for_tickets(self, ticket_ids: Sequence[int], per_ticket: int) -> dict[int, list[TicketHistory]]:
        found: dict[int, list[TicketHistory]] = {ticket_id: [] for ticket_id in ticket_ids}
        for entry in self.tx.state.history:
            if entry.ticket_id in found:
                found[entry.ticket_id].append(entry)
        return {ticket_id: entries[-per_ticket:] for ticket_id, entries in found.items()}


class FakeIdempotencyKeyRepository(Repository):
    def claim(self, scope: str, key: str, fingerprint: str) -> bool:
        if (scope, key) in self.tx.state.keys:
            return False
        self.tx.state.keys[scope, key] = KeyRow(fingerprint, KeptAnswer(0, {}, None), self.tx.now)
        return True

    def find(self, scope: str, key: str, ttl_hours: int) -> KeyRecord:
        row = self.tx.state.keys[scope, key]  # like .one(): the key must be there
        return KeyRecord(row.fingerprint, row.answer, row.created < self._expiry(ttl_hours))

    def keep(self, scope: str, key: str, answer: KeptAnswer) -> None:
        if (scope, key) in self.tx.state.keys:
            self.tx.state.keys[scope, key] = replace(self.tx.state.keys[scope, key], answer=answer)

    def forget(self, scope: str, key: str) -> None:
        self.tx.state.keys.pop((scope, key), None)

    def purge(self, ttl_hours: int) -> int:
        keys = self.tx.state.keys
        self.tx.state.keys = {k: row for k, row in keys.items() if row.created >= self._expiry(ttl_hours)}
        return len(keys) - len(self.tx.state.keys)

    def _expiry(self, ttl_hours: int) -> datetime:
        return self.tx.now - timedelta(hours=int(ttl_hours))


class NotFaked:
    """A repository these fakes leave out (SQL-shaped reads): using it fails loudly."""

    def __init__(self, name: str):
        self.name = name

    def __getattr__(self, attr: str):
        raise NotImplementedError(f"the fake unit of work has no {self.name}.{attr}")


class FakeWatcherRepository(Repository):
    def add(self, ticket_id: int, usernames) -> None:
        for name in usernames:
            user = self.tx.state.users.get((name or "").lower())
            if user is not None:
                self.watch(ticket_id, user.user_id)

    def watch(self, ticket_id: int, user_id: int) -> bool:
        if ticket_id not in self.tx.state.tickets:
            return False
        self.tx.state.watchers.setdefault((ticket_id, user_id), self.tx.now)
        return True

    def remove(self, ticket_id: int, user_id: int) -> None:
        self.tx.state.watchers.pop((ticket_id, user_id), None)

    def of_ticket(self, ticket_id: int) -> list[SimpleNamespace]:
        by_id = {u.user_id: u for u in self.tx.state.users.values()}
        rows = [
            SimpleNamespace(user_id=u, username=by_id[u].username, display_name=by_id[u].display_name, created=since)
            for (t, u), since in self.tx.state.watchers.items()
            if t == ticket_id
        ]
        return sorted(rows, key=lambda row: (row.created, row.user_id))


class FakeNotificationRepository(Repository):
    def page(self, user_id: int, *, unread: Optional[bool], before: Optional[int], limit: int) -> list[Notification]:
        rows = [
            n
            for n in self.tx.state.notifications.values()
            if n.user_id == user_id
            and (unread is None or (n.read_at is None) == unread)
            and (before is None or n.notification_id < before)
        ]
        return sorted(rows, key=lambda n: -n.notification_id)[:limit]

    def unread_count(self, user_id: int) -> int:
        return len(self.page(user_id, unread=True, before=None, limit=len(self.tx.state.notifications)))

    def set_read(self, user_id: int, notification_id: int, read: bool) -> Optional[Notification]:
        found = self.tx.state.notifications.get(notification_id)
        if found is None or found.user_id != user_id:
            return None
        found.read_at = (found.read_at or self.tx.now) if read else None
        return found

    def mark_read_up_to(self, user_id: int, up_to: int) -> int:
        unread = self.page(user_id, unread=True, before=up_to + 1, limit=len(self.tx.state.notifications))
        for n in unread:
            n.read_at = self.tx.now
        return len(unread)

    def preferences(self, user_id: int) -> Optional[SimpleNamespace]:
        chosen = self.tx.state.preferences.get(user_id)
        return None if chosen is None else SimpleNamespace(user_id=user_id, events=chosen[0], channels=chosen[1])

    def set_preferences(self, user_id: int, events, channels) -> SimpleNamespace:
        self.tx.state.preferences[user_id] = (list(events), list(channels))
        return self.preferences(user_id)


class FakeUnitOfWork(UnitOfWork):
    def __init__(self, db: Optional[FakeDatabase] = None, actor: Actor = ANONYMOUS, placeholders: bool = True):
        super().__init__(actor, placeholders)
        self.db = db if db is not None else FakeDatabase()
        self.tx: Optional[Tx] = None

    def _begin(self) -> None:
        self.tx = tx = Tx(self.db, self.db.state.copy(), self.db.clock())
        self.tickets = FakeTicketRepository(tx)
        self.comments = FakeCommentRepository(tx)
        self.workflows = FakeWorkflowRepository(tx)
        self.history = FakeHistoryRepository(tx)
        self.idempotency_keys = FakeIdempotencyKeyRepository(tx)
        self.users = FakeUserRepository(tx)
        self.watchers, self.notifications = FakeWatcherRepository(tx), FakeNotificationRepository(tx)
        self.tokens, self.web_sessions = NotFaked("tokens"), NotFaked("web_sessions")
        self.ticket_list, self.ticket_counts, self.schema = map(NotFaked, ("ticket_list", "ticket_counts", "schema"))

    def _commit(self) -> None:
        self.db.state = self.tx.state.copy()  # what the transaction still holds cannot leak in later
        self.db.commits += 1

    def release(self) -> None:
        pass  # the fake holds no connection

    def close(self) -> None:
        self.tx = None  # the working copy, and whatever was not committed in it, is gone
