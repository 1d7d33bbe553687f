"""Users: found by name (whatever its case), listed, added and changed; never deleted."""

from typing import Any, Optional, Sequence

from sqlalchemy import Row, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from iris.models import User


class UserRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, username: str) -> Optional[User]:
        """The user named `username`, whatever the case."""
        return self.session.scalars(select(User).where(func.lower(User.username) == username.lower())).one_or_none()

    def credentials(self, username: str) -> Optional[Row]:
        """What signing in needs of the user named `username` (whatever the case), password hash included, in one
        query: user_id, username, role, active, password_hash."""
        return self.session.execute(
            select(User.user_id, User.username, User.role, User.active, User.password_hash).where(
                func.lower(User.username) == username.lower()
            )
        ).first()

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.session.execute(update(User).where(User.user_id == user_id).values(password_hash=password_hash))

    def with_email(self, email: str) -> Optional[User]:
        return self.session.scalars(select(User).where(func.lower(User.email) == email.lower())).one_or_none()

    def add(self, **fields: Any) -> User:
        user = User(**fields)
        self.session.add(user)
        self.session.flush()
        self.session.refresh(user)
        return user

    def add_placeholder(self, username: str) -> None:
        """An inactive, tokenless account for a name assigned before anyone made it (IRIS_AUTH=open)."""
        # Only a concurrent placeholder for the same name is fine to meet; any other clash is an error.
        placeholder = insert(User).values(username=username, active=False)
        self.session.execute(placeholder.on_conflict_do_nothing(constraint="uq_users_username"))

    def change(self, user: User, changes: dict[str, Any]) -> User:
        for name, value in changes.items():
            setattr(user, name, value)
        self.session.flush()
        return user

    def page(
        self, *, after: Optional[int], limit: int, roles: Sequence[str] = (), active: Optional[bool] = None
    ) -> Sequence[User]:
        query = select(User).order_by(User.user_id).limit(limit)
        if after is not None:
            query = query.where(User.user_id > after)
        if roles:
            query = query.where(User.role.in_(roles))
        if active is not None:
            query = query.where(User.active.is_(active))
        return self.session.scalars(query).all()
