"""E-mail: what a user was told since their last e-mail, as one message (many changes are grouped, not a flood).

The worker defers one `send_email` job per user at a time, a grouping window after the first change it will carry
(iris/jobs/handlers.py); this gathers what is due then and sends it through the `send` it is handed (SMTP).
"""

from dataclasses import dataclass
from datetime import timezone
from email.message import EmailMessage
from typing import Callable, Sequence

from iris.services.unit_of_work import UnitOfWork

MOST_PER_MESSAGE = 100  # more waits for the next message, deferred at once


@dataclass(frozen=True)
class Letterhead:
    sender: str
    ticket_link: str  # a ticket's page, with `{ticket_id}` in it
    footer: str  # how to choose what one hears about


@dataclass(frozen=True)
class Mailed:
    sent: int  # notifications in the message (0: nothing was sent)


def send_digest(uow_factory: Callable[[], UnitOfWork], user_id: int, head: Letterhead,
                send: Callable[[EmailMessage], None]) -> Mailed:  # fmt: skip
    """Claims what is due (no longer due, committed), sends it with no connection held, and gives the claim back
    if the send fails, for the job's retry: the user's own reads and marks never wait on a slow mail server."""
    with uow_factory() as uow:
        user, due = uow.fanout.due_for_email(user_id, MOST_PER_MESSAGE)
        ids = [n.notification_id for n in due]
        uow.fanout.emailed(ids)
        if len(due) == MOST_PER_MESSAGE:
            uow.outbox.email_digest(user_id, 0)  # the rest, in the next message
        uow.commit()
    if not (due and user is not None and user.active and user.email):
        return Mailed(0)
    try:
        send(compose(user.email, user.display_name or user.username, due, head))
    except Exception:
        with uow_factory() as uow:
            uow.fanout.due_again(ids)
            uow.commit()
        raise
    return Mailed(len(due))


def compose(address: str, name: str, told: Sequence, head: Letterhead) -> EmailMessage:
    message = EmailMessage()
    message["From"] = head.sender
    message["To"] = address
    message["Subject"] = _subject(told)
    lines = [f"Hello {_one_line(name)},", "", "Here is what changed on tickets you follow:", ""]
    for n in told:
        at = n.created.astimezone(timezone.utc)
        lines.append(f"#{n.ticket_id} {_one_line(n.title)}: {n.event} by {n.actor} at {at:%Y-%m-%d %H:%M} UTC")
        lines.append("    " + head.ticket_link.format(ticket_id=n.ticket_id))
    lines += ["", head.footer, ""]
    message.set_content("\n".join(lines))
    return message


def _subject(told: Sequence) -> str:
    if len(told) == 1:
        n = told[0]
        return f"[iris] #{n.ticket_id} {_one_line(n.title)[:80]}: {n.event} by {n.actor}"
    tickets = len({n.ticket_id for n in told})
    return f"[iris] {len(told)} changes on {tickets} ticket{'s' if tickets > 1 else ''}"


def _one_line(text: str) -> str:
    """User text goes into headers and lines: no line breaks or other control characters may get through."""
    return "".join(ch if ch.isprintable() else " " for ch in text or "")
