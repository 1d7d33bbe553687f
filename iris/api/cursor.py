"""Opaque keyset cursors: the sort order and the last row's sort values, base64url-encoded JSON."""

import base64
import binascii
import json
import math
from datetime import datetime, timezone
from typing import Any, Optional, Sequence

from iris.errors import RuleBroken

INT32 = 2**31  # every integer sort key (ticket_id) is an int4
_BAD = "is not a cursor of this listing; start again from the first page"


def encode(order: str, values: Sequence[Any]) -> str:
    plain = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    raw = json.dumps({"o": order, "v": plain}, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: Optional[str], order: str, types: Sequence[type]) -> Optional[list[Any]]:
    """The sort values in `token`, checked against the current sort `order` and the key `types`."""
    if token is None:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(data, dict) or data.get("o") != order or len(data.get("v", ())) != len(types):
            raise ValueError
        values = [_value(v, t) for v, t in zip(data["v"], types, strict=True)]
    except (ValueError, TypeError, OverflowError, RecursionError, binascii.Error):
        # Well-formed (the published pattern) but not one of ours, or from another sort order.
        raise RuleBroken({"cursor": _BAD}) from None
    return values


def _value(value: Any, kind: type) -> Any:
    """One sort value, as only a cursor of ours can hold it: anything else could not have come from a row,
    and some of it (a NUL, a lone surrogate, an integer or a date out of range) PostgreSQL cannot take."""
    if value is None:
        return None
    if kind is datetime:
        if not isinstance(value, dict) or not isinstance(value.get("t"), str):
            raise ValueError
        moment = datetime.fromisoformat(value["t"])
        if moment.tzinfo is None:
            raise ValueError
        # In UTC: the same instant, and PostgreSQL refuses offsets past 15:59 (OverflowError past year 9999).
        return moment.astimezone(timezone.utc)
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError
        return float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError
    if kind is int and not -INT32 <= value < INT32:
        raise ValueError
    if kind is str and ("\x00" in value or not value.encode("utf-8")):  # lone surrogates raise here
        raise ValueError
    return value
