"""E-mail: what a user was told since their last e-mail, as one message (many changes are grouped, not a flood).

The worker defers one `send_email` job per user at a time, a grouping window after the first change it will carry
(iris/jobs/handlers.py); this gathers what is due then and sends it through the `send` it is handed (SMTP).
"""

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Callable, Sequence

from iris.services.unit_of_work import UnitOfWork

MOST_PER_MESSAGE = 100  # more waits for the next message, deferred at once


@dataclass(frozen=True)
class Letterhead:
    sender: str
    public_url: str  # where links point


@dataclass(frozen=True)
class Mailed:
    sent: int  # notifications in the message (0: nothing was sent)
    more: bool  # more are due than one message carries


def send_digest(uow: UnitOfWork, user_id: int, head: Letterhead, send: Callable[[EmailMessage], None]) -> Mailed:
    with uow:
        user, due = uow.fanout.due_for_email(user_id, MOST_PER_MESSAGE)
        if due and user is not None and user.active and user.email:
            # Sent inside the transaction that holds these rows: another worker skips them, and a failed send
            # leaves them due for the retry.
            send(compose(user.email, user.display_name or user.username, due, head))
        uow.fanout.emailed([n.notification_id for n in due])
        if len(due) == MOST_PER_MESSAGE:
            uow.outbox.email_digest(user_id, 0)  # the rest, in the next message
        uow.commit()
    return Mailed(len(due), len(due) == MOST_PER_MESSAGE)


def compose(address: str, name: str, told: Sequence, head: Letterhead) -> EmailMessage:
    message = EmailMessage()
    message["From"] = head.sender
    message["To"] = address
    message["Subject"] = _subject(told)
    lines = [f"Hello {_one_line(name)},", "", "Here is what changed on tickets you follow:", ""]
    for n in told:
        lines.append(f"#{n.ticket_id} {_one_line(n.title)}: {n.event} by {n.actor} at {n.created:%Y-%m-%d %H:%M} UTC")
        lines.append(f"    {head.public_url}/ticket/{n.ticket_id}")
    lines += ["", f"Choose what you hear about: {head.public_url}/account", ""]
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
