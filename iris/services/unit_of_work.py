"""The unit of work: one use case's transaction, who is acting, and the journal entries it collects.

    with uow:
        ticket = uow.tickets.get_for_update(ticket_id)
        ...
        uow.commit()

Leaving the block without `commit()` rolls everything back, whatever the exit. `commit()` writes the
collected journal entries first, so a change and its history land in one transaction or not at all; the journal
is the transactional outbox too (the worker tells watchers and webhooks of each entry after it commits).
Services reach the database only through the repositories it carries, so a fake unit of work with in-memory
repositories can run them.
"""

import abc
from typing import Callable, Optional

from sqlalchemy.orm import Session

from iris.repositories.comments import CommentRepository
from iris.repositories.delivery_log import DeliveryLogRepository
from iris.repositories.fanout import FanoutRepository
from iris.repositories.history import HistoryRepository
from iris.repositories.idempotency_keys import IdempotencyKeyRepository
from iris.repositories.job_queue import JobQueueRepository
from iris.repositories.notifications import NotificationRepository
from iris.repositories.outbox import OutboxRepository
from iris.repositories.retention import RetentionRepository
from iris.repositories.schema import SchemaRepository
from iris.repositories.ticket_counts import TicketCountsRepository
from iris.repositories.ticket_list import TicketListRepository
from iris.repositories.tickets import TicketRepository
from iris.repositories.tokens import TokenRepository
from iris.repositories.users import UserRepository
from iris.repositories.watchers import WatcherRepository
from iris.repositories.web_sessions import WebSessionRepository
from iris.repositories.webhooks import WebhookRepository
from iris.repositories.workflows import WorkflowRepository
from iris.services.identity import ANONYMOUS, Actor
from iris.services.journal import Changeset

REPOSITORIES = (
    "tickets",
    "comments",
    "workflows",
    "history",
    "ticket_list",
    "ticket_counts",
    "idempotency_keys",
    "schema",
    "users",
    "tokens",
    "web_sessions",
    "watchers",
    "notifications",
    "webhooks",
    "outbox",
    "fanout",
    "delivery_log",
    "job_queue",
    "retention",
)


class UnitOfWork(abc.ABC):
    tickets: TicketRepository
    comments: CommentRepository
    workflows: WorkflowRepository
    history: HistoryRepository
    ticket_list: TicketListRepository
    ticket_counts: TicketCountsRepository
    idempotency_keys: IdempotencyKeyRepository
    schema: SchemaRepository
    users: UserRepository
    tokens: TokenRepository
    web_sessions: WebSessionRepository
    watchers: WatcherRepository
    notifications: NotificationRepository
    webhooks: WebhookRepository
    outbox: OutboxRepository
    fanout: FanoutRepository  # the worker's
    delivery_log: DeliveryLogRepository  # the worker's
    job_queue: JobQueueRepository
    retention: RetentionRepository

    def __init__(self, actor: Actor = ANONYMOUS, placeholders: bool = True):
        self.actor = actor  # who is acting: the journal's actor, and whose rights apply
        # Whether naming an unknown assignee makes a placeholder account for it (IRIS_AUTH=open) or is refused.
        self.placeholders = placeholders
        self.journal = Changeset(actor.username)
        self._entered = False
        self.reads_only = False

    @property
    def entered(self) -> bool:
        """Whether its use case has begun: a unit of work serves one; the next needs a new one."""
        return self._entered

    @abc.abstractmethod
    def release(self) -> None:
        """Gives back what a read before the use case (who is calling) holds, so that a slow step before the use case
        begins (a name to resolve) holds no connection; the use case then takes its own."""

    def read_only(self) -> "UnitOfWork":
        """Says the use case only reads (`with uow.read_only():`). PostgreSQL's READ COMMITTED gives every
        statement its own snapshot inside a transaction as outside one, so such a use case is run without
        a transaction: no BEGIN and no ROLLBACK, two round trips of their own. Writing in it is an error."""
        self.reads_only = True
        return self

    def __enter__(self) -> "UnitOfWork":
        if self._entered:
            raise RuntimeError("a unit of work serves one use case; make a new one for the next")
        self._entered = True
        self.journal = Changeset(self.actor.username)
        self._begin()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()  # undoes whatever was not committed

    def commit(self) -> None:
        self._before_commit()
        self._commit()

    def _before_commit(self) -> None:
        # The journal is also the transactional outbox: its entries land with the change, or not at all, and the
        # worker passes on those not yet told (iris/services/fanout.py).
        self.history.record(self.journal.entries)
        self.journal = Changeset(self.actor.username)

    @abc.abstractmethod
    def _begin(self) -> None: ...

    @abc.abstractmethod
    def _commit(self) -> None: ...

    @abc.abstractmethod
    def close(self) -> None:
        """Roll back whatever was not committed and give back what the unit of work holds; safe to repeat.

        What the use case read stays readable: it returns plain results, serialised after this.
        """


class SqlAlchemyUnitOfWork(UnitOfWork):
    """A unit of work on one SQLAlchemy session, opened when first needed and closed at the end."""

    def __init__(self, session_factory: Callable[[], Session], actor: Actor = ANONYMOUS, placeholders: bool = True):
        super().__init__(actor, placeholders)
        self._session_factory = session_factory
        self._session: Optional[Session] = None
        self._autocommit = None  # the driver connection lent in autocommit mode to a read-only use case

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self._session_factory()  # takes a connection only at its first statement
            # What a use case returns is serialised after its commit, whatever factory made the session.
            self._session.expire_on_commit = False
        return self._session

    def __getattr__(self, name: str):
        # A repository read before the use case begins (who is calling) opens the same session: the
        # request's check of its token and its use case share one connection and one transaction.
        if name not in REPOSITORIES:
            raise AttributeError(name)
        if self.__dict__.get("_closed"):
            raise RuntimeError("this unit of work is closed; make a new one")
        self._begin()
        return self.__dict__[name]

    def release(self) -> None:
        if self._entered:
            raise RuntimeError("release() is for before the use case begins")
        for name in REPOSITORIES:
            self.__dict__.pop(name, None)
        session, self._session = self._session, None
        if session is not None:
            session.close()  # the token check only read: nothing to keep

    def _begin(self) -> None:
        if "tickets" in self.__dict__:
            self._read_without_transaction()
            return
        session = self.session
        self.tickets = TicketRepository(session)
        self.comments = CommentRepository(session)
        self.workflows = WorkflowRepository(session)
        self.history = HistoryRepository(session)
        self.ticket_list = TicketListRepository(session)
        self.ticket_counts = TicketCountsRepository(session)
        self.idempotency_keys = IdempotencyKeyRepository(session)
        self.schema = SchemaRepository(session)
        self.users = UserRepository(session)
        self.tokens = TokenRepository(session)
        self.web_sessions = WebSessionRepository(session)
        self.watchers = WatcherRepository(session)
        self.notifications = NotificationRepository(session)
        self.webhooks = WebhookRepository(session)
        self.outbox = OutboxRepository(session)
        self.fanout = FanoutRepository(session)
        self.delivery_log = DeliveryLogRepository(session)
        self.job_queue = JobQueueRepository(session)
        self.retention = RetentionRepository(session)
        self._read_without_transaction()

    def _commit(self) -> None:
        if self.reads_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        self.session.commit()

    def _read_without_transaction(self) -> None:
        # Only if nothing ran yet: a token read before the use case has begun a transaction, which it keeps.
        # psycopg2's autocommit flag is the driver's own (no round trip either way); SQLAlchemy's AUTOCOMMIT
        # isolation level would cost a `SET default_transaction_isolation` when the connection is returned.
        if self.reads_only and not self.session.in_transaction():
            self._autocommit = self.session.connection().connection.dbapi_connection
            self._autocommit.autocommit = True

    def close(self) -> None:
        self._closed = True
        for name in REPOSITORIES:
            self.__dict__.pop(name, None)  # a closed session must not be used again through them
        driver, self._autocommit = self._autocommit, None
        session, self._session = self._session, None
        try:
            if driver is not None and not driver.closed:
                driver.autocommit = False  # as the pool lent it (a connection the server dropped is discarded)
        finally:
            if session is not None:
                # Rolls back what was not committed and returns the connection, without expiring what was read.
                session.close()
