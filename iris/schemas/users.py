"""Users and API tokens: what clients send and what they get back."""

from datetime import datetime
from typing import Any, Literal, Optional

from pydantic import BaseModel, Field

from iris.schemas.fields import Input, IsoDateTime, Username, text
from iris.timeparse import iso_utc

Role = Literal["reporter", "agent", "admin"]
# Checked as an address by the service (iris/services/users.py), which answers 422 for one it refuses:
# JSON Schema's `email` format and a mail library never agree on every corner of RFC 5322.
Email = text(254)
DisplayName = text(200)


class UserCreate(Input):
    REFUSED = {"user_id": "is set by the server", "created": "is set by the server", "active": "a new user is active"}

    username: Username
    email: Optional[Email] = None
    display_name: Optional[DisplayName] = None
    role: Role = Field("reporter", description="reporter, agent or admin")


class PasswordSet(Input):
    """A new password (iris/services/passwords.py says what makes one acceptable)."""

    password: str = Field(min_length=1, max_length=1024, description="at least 10 characters, never the username")
    current_password: Optional[str] = Field(
        None, max_length=1024, description="your current one, when you set your own and have one"
    )


class UserPatch(Input):
    """An admin changes `role` and `active`; a user changes their own `display_name` and `email`."""

    REFUSED = {"username": "a username cannot be changed", "user_id": "is set by the server"}

    email: Optional[Email] = None
    display_name: Optional[DisplayName] = None
    role: Role = None
    active: bool = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class UserOut(BaseModel):
    username: str
    email: Optional[str]
    display_name: Optional[str]
    role: Role
    active: bool
    created: datetime


class TokenCreate(Input):
    name: text(100, required=True) = Field(description="what the token is for")
    expires: Optional[IsoDateTime] = Field(None, description="when it stops working (ISO 8601); none: never")


class TokenOut(BaseModel):
    token_id: int
    name: str
    prefix: str = Field(description="the secret's first characters, to tell tokens apart")
    created: datetime
    last_used: Optional[datetime] = Field(description="to the minute: written at most once a minute")
    expires: Optional[datetime]
    revoked: Optional[datetime]


class TokenIssued(TokenOut):
    secret: str = Field(description="send as `Authorization: Bearer <secret>`; shown this once, never again")


def user_json(user) -> dict[str, Any]:
    return {
        "username": user.username,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "active": user.active,
        "created": iso_utc(user.created),
    }


def token_json(token) -> dict[str, Any]:
    return {
        "token_id": token.token_id,
        "name": token.name,
        "prefix": token.prefix,
        "created": iso_utc(token.created),
        "last_used": iso_utc(token.last_used),
        "expires": iso_utc(token.expires),
        "revoked": iso_utc(token.revoked),
    }
