from typing import Optional

from pydantic import BaseModel


class ErrorBody(BaseModel):
    """Every error: each offending field, parameter or topic with what is wrong."""

    errors: dict[str, str]


class HealthOut(BaseModel):
    status: str
    database: str


class FailedItem(BaseModel):
    index: int
    ticket_id: Optional[int]
    reason: str


class BulkFailure(BaseModel):
    """A bulk change that was not applied: the first failing item, and why."""

    errors: dict[str, str]
    failed: FailedItem
