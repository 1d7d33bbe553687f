"""Timestamps as the API takes and gives them: ISO 8601, returned in UTC with an offset."""

import re
from datetime import datetime, timezone
from typing import Optional

_EXPECTED = "must be an ISO 8601 date or datetime from year 1000 to 9998, e.g. 2025-01-31 or 2025-01-31T17:00:00Z"

# Years are bounded so that any offset still gives a UTC time Python can hold (1 to 9999).
_YEAR = r"^(1\d{3}|[2-8]\d{3}|9[0-8]\d{2}|99[0-8]\d)-"
# Each branch is typed, so generated clients take a date or a datetime (an untyped branch becomes `Any`);
# no `type` beside `anyOf`, which generators would read instead of the branches.
ISO8601_SCHEMA = {
    "anyOf": [
        {"type": "string", "format": "date", "pattern": _YEAR},
        {"type": "string", "format": "date-time", "pattern": _YEAR},
    ],
    "description": "ISO 8601 date (UTC midnight) or RFC 3339 date-time; returned in UTC",
}
_YEAR_RE = re.compile(_YEAR)


def parse_iso8601(value: object) -> datetime:
    """An ISO 8601 date or datetime as an aware UTC datetime; a date means UTC midnight, no zone means UTC."""
    if not isinstance(value, str):
        raise ValueError(_EXPECTED)
    # RFC 3339 allows a lowercase "t" and "z"; fromisoformat wants them in capitals.
    candidate = value.strip().upper()
    # fromisoformat also takes shapes that are not ISO 8601 calendar dates; insist on YYYY-MM-DD first.
    if len(candidate) < 10 or not (_YEAR_RE.match(candidate) and candidate[7] == "-"):
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
    if value.tzinfo is not timezone.utc:  # psycopg2's values already are when the session's TimeZone is UTC
        value = (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    return value.isoformat()
