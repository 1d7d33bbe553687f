"""Timestamps as the API takes and gives them: ISO 8601, returned in UTC with an offset."""

from datetime import datetime, timezone
from typing import Optional

_EXPECTED = "must be an ISO 8601 date or datetime, e.g. 2025-01-31 or 2025-01-31T17:00:00Z"


def parse_iso8601(value: object) -> datetime:
    """An ISO 8601 date or datetime as an aware UTC datetime; a date means UTC midnight, no zone means UTC."""
    if not isinstance(value, str):
        raise ValueError(_EXPECTED)
    candidate = value.strip()
    # fromisoformat also takes shapes that are not ISO 8601 calendar dates; insist on YYYY-MM-DD first.
    if len(candidate) < 10 or not (candidate[:4].isdigit() and candidate[4] == "-" and candidate[7] == "-"):
        raise ValueError(_EXPECTED)
    try:
        parsed = datetime.fromisoformat(candidate)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise ValueError(_EXPECTED) from None


def iso_utc(value: Optional[datetime]) -> Optional[str]:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat()
