from typing import Optional

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    """Every error: each offending field, parameter or topic with what is wrong."""

    errors: dict[str, str]


class LiveOut(BaseModel):
    status: str


class HealthOut(BaseModel):
    status: str
    database: str


class StaleBody(BaseModel):
    """A write refused because the resource changed since the client read it: its current version."""

    errors: dict[str, str]
    etag: str = Field(description='the current ETag, e.g. `"4"`')
    version: int = Field(ge=1, description="the current version")


class FailedItem(BaseModel):
    index: int
    ticket_id: Optional[int]
    reason: str


class BulkFailure(BaseModel):
    """A bulk change that was not applied: the first failing item, and why."""

    errors: dict[str, str]
    failed: FailedItem
