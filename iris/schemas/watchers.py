"""Watchers of a ticket: what clients get back."""

from datetime import datetime
from typing import Any, Optional

from pydantic import BaseModel, Field

from iris.timeparse import iso_utc


class WatcherOut(BaseModel):
    username: str
    display_name: Optional[str]
    since: datetime = Field(description="when they started watching")


def watcher_json(row) -> dict[str, Any]:
    return {"username": row.username, "display_name": row.display_name, "since": iso_utc(row.created)}
