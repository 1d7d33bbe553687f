"""Web sessions: found by the hash of their cookie's secret (with their user), started, touched and ended."""

from datetime import datetime
from typing import Optional

from sqlalchemy import Row, delete, func, or_, select, update
from sqlalchemy.orm import Session

from iris.models import User, WebSession
from iris.models_notify import Notification

UNREAD_COUNTED = 100  # the header's count of unread notifications stops here ("99+"): the cost is bounded too


class WebSessionRepository:
    def __init__(self, session: Session):
        self.session = session

    def find(self, secret_hash: bytes) -> Optional[Row]:
        """The session with this hash and what matters of its user, in one indexed query, as a plain row (read on
        every page, so no ORM objects): session_id, last_seen, expires, username, role, active, and `unread`: how
        many of the user's notifications are unread, up to UNREAD_COUNTED (from the partial index of unread ones,
        in the same statement, so the header's count costs no round trip and at most that many index entries)."""
        return self.session.execute(
            select(
                WebSession.session_id,
                WebSession.last_seen,
                WebSession.expires,
                User.username,
                User.role,
                User.active,
                _unread().label("unread"),
            )
            .join(User, User.user_id == WebSession.user_id)
            .where(WebSession.secret_hash == secret_hash)
        ).first()

    def start(self, user_id: int, secret_hash: bytes, now: datetime, expires: datetime) -> WebSession:
        record = WebSession(user_id=user_id, secret_hash=secret_hash, created=now, last_seen=now, expires=expires)
        self.session.add(record)
        self.session.flush()
        return record

    def touch(self, session_id: int, now: datetime) -> None:
        self.session.execute(update(WebSession).where(WebSession.session_id == session_id).values(last_seen=now))

    def end(self, secret_hash: bytes) -> None:
        self.session.execute(delete(WebSession).where(WebSession.secret_hash == secret_hash))

    def end_for_user(self, user_id: int, keep: Optional[int] = None) -> None:
        query = delete(WebSession).where(WebSession.user_id == user_id)
        if keep is not None:
            query = query.where(WebSession.session_id != keep)
        self.session.execute(query)

    def purge(self, now: datetime, idle_since: datetime) -> int:
        ended = or_(WebSession.expires <= now, WebSession.last_seen < idle_since)
        return self.session.execute(delete(WebSession).where(ended)).rowcount

    def end_expired(self, user_id: int, now: datetime, idle_since: datetime) -> None:
        """A user's sessions past their end or unused since `idle_since`: pruned whenever the user signs in."""
        self.session.execute(
            delete(WebSession).where(
                WebSession.user_id == user_id, or_(WebSession.expires <= now, WebSession.last_seen < idle_since)
            )
        )


def _unread():
    capped = (
        select(Notification.notification_id)
        .where(Notification.user_id == User.user_id, Notification.read_at.is_(None))
        .limit(UNREAD_COUNTED)
        .correlate(User)
        .subquery("unread")
    )
    return select(func.count()).select_from(capped).correlate(User).scalar_subquery()
