"""API tokens: found by the hash of their secret, issued, listed, touched and revoked."""

from datetime import datetime
from typing import Optional, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from iris.models import ApiToken, User


class TokenRepository:
    def __init__(self, session: Session):
        self.session = session

    def find(self, secret_hash: bytes) -> Optional[tuple[ApiToken, User]]:
        """The token with this hash and its user, in one indexed query."""
        row = self.session.execute(
            select(ApiToken, User)
            .join(User, User.user_id == ApiToken.user_id)
            .where(ApiToken.secret_hash == secret_hash)
        ).first()
        return None if row is None else (row[0], row[1])

    def add(self, user_id: int, name: str, prefix: str, secret_hash: bytes, expires: Optional[datetime]) -> ApiToken:
        token = ApiToken(user_id=user_id, name=name, prefix=prefix, secret_hash=secret_hash, expires=expires)
        self.session.add(token)
        self.session.flush()
        self.session.refresh(token)
        return token

    def get_with_user(self, token_id: int) -> Optional[tuple[ApiToken, User]]:
        row = self.session.execute(
            select(ApiToken, User).join(User, User.user_id == ApiToken.user_id).where(ApiToken.token_id == token_id)
        ).first()
        return None if row is None else (row[0], row[1])

    def of_user(self, user_id: int) -> Sequence[ApiToken]:
        return self.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.token_id)
        ).all()

    def touch(self, token_id: int, now: datetime) -> None:
        self.session.execute(update(ApiToken).where(ApiToken.token_id == token_id).values(last_used=now))

    def revoke(self, token: ApiToken, now: datetime) -> ApiToken:
        if token.revoked is None:
            token.revoked = now
            self.session.flush()
        return token
