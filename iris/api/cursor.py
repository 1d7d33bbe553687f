"""Opaque keyset cursors: the sort order and the last row's sort values, base64url-encoded JSON."""

import base64
import binascii
import json
from datetime import datetime
from typing import Any, Optional, Sequence

from iris.errors import RuleBroken

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
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        # Well-formed (the published pattern) but not one of ours, or from another sort order.
        raise RuleBroken({"cursor": _BAD}) from None
    return values


def _value(value: Any, kind: type) -> Any:
    if value is None:
        return None
    if kind is datetime:
        if not isinstance(value, dict) or not isinstance(value.get("t"), str):
            raise ValueError
        return datetime.fromisoformat(value["t"])
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError
    return value
