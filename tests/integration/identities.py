"""A cast of users and tokens for the authorisation tests, made through the real services."""

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from iris.db import make_session_factory
from iris.schemas import CommentCreate, TicketCreate, TicketPatch, parse
from iris.sealing import Sealer
from iris.services import comments, tickets, tokens, users, webhooks
from iris.services.identity import ANONYMOUS, Actor
from iris.services.preconditions import Precondition
from iris.services.unit_of_work import SqlAlchemyUnitOfWork
from tests.integration.inbox_support import add_notification

PEOPLE = {  # username: role
    "admin": "admin",
    "agent": "agent",
    "rep": "reporter",
    "rep2": "reporter",  # reports the ticket and writes its comment
    "asg": "reporter",  # the ticket's assignee
    "gone": "reporter",  # deactivated after its token was issued
}
# Every identity a request can come with; the last five are known, active users.
IDENTITIES = ("none", "bad", "expired", "revoked", "deactivated", "reporter", "reporter-who-reported", "assignee",
              "agent", "admin")  # fmt: skip


@dataclass
class Cast:
    headers: dict[str, dict] = field(default_factory=dict)  # identity: request headers
    ticket_id: int = 0
    comment_id: int = 0
    spare_token_id: int = 0  # another token of `rep`, to revoke
    webhook_id: int = 0
    delivery_id: str = ""  # a failed delivery of the webhook, to send again
    notification_id: int = 0  # one of `rep`'s notifications
    secrets: list[str] = field(default_factory=list)


def _uow(engine, actor: Actor = ANONYMOUS) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(make_session_factory(engine), actor)


def _token(engine, username: str, expires=None) -> tuple[int, str]:
    issued = tokens.issue_token(_uow(engine), username, "test", expires)
    return issued.token.token_id, issued.secret


def _webhook(engine, ticket_id: int) -> tuple[int, str]:
    """A webhook (to a public address: no name to resolve) and a failed delivery, as the worker leaves one."""
    fields = {"url": "https://93.184.215.14/iris", "secret": "s" * 16, "events": ["moved"]}
    hook = webhooks.register_webhook(_uow(engine), fields, sealer=Sealer("k" * 32), allow_hosts=())
    delivery_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO webhook_deliveries (delivery_id, webhook_id, ticket_id, changeset, event, body, "
                          "status, attempts, finished) VALUES (:d, :w, :t, :c, 'moved', :b, 'failed', 0, now())"),
                     {"d": delivery_id, "w": hook.webhook_id, "t": ticket_id, "c": uuid.uuid4(),
                      "b": json.dumps({"event": "moved"})})  # fmt: skip
    return hook.webhook_id, delivery_id


def make_cast(engine) -> Cast:
    cast, now = Cast(), datetime.now(timezone.utc)
    for name, role in PEOPLE.items():
        users.create_user(_uow(engine), {"username": name, "role": role, "email": f"{name}@example.org"})
    secrets = {name: _token(engine, name)[1] for name in PEOPLE}
    cast.spare_token_id, spare = _token(engine, "rep")
    _, expired = _token(engine, "rep", expires=now - timedelta(seconds=1))
    revoked_id, revoked = _token(engine, "rep")
    tokens.revoke_token(_uow(engine), revoked_id, now)
    users.change_user(_uow(engine), "gone", {"active": False})
    reporter = Actor("rep2", "reporter")
    created = tickets.open_ticket(_uow(engine, reporter), parse(TicketCreate, {"title": "the ticket"})).item
    tickets.edit_ticket(_uow(engine), created.ticket_id, parse(TicketPatch, {"assignee": "asg"}), Precondition())
    note = comments.comment_on(_uow(engine, reporter), created.ticket_id, parse(CommentCreate, {"body": "note"}))
    cast.ticket_id, cast.comment_id = created.ticket_id, note.item.comment_id
    cast.webhook_id, cast.delivery_id = _webhook(engine, created.ticket_id)
    cast.notification_id = add_notification(engine, "rep", created.ticket_id)
    bearer = {
        "bad": "iris_" + "A" * 43, "expired": expired, "revoked": revoked, "deactivated": secrets["gone"],
        "reporter": secrets["rep"], "reporter-who-reported": secrets["rep2"], "assignee": secrets["asg"],
        "agent": secrets["agent"], "admin": secrets["admin"],
    }  # fmt: skip
    cast.headers = {"none": {}, **{who: {"Authorization": f"Bearer {s}"} for who, s in bearer.items()}}
    cast.secrets = [*secrets.values(), spare, expired, revoked]
    return cast
