"""The `Iris-Signature` header: how a receiver knows a delivery came from iris and was not replayed.

    Iris-Signature: t=1767225600,v1=<hex HMAC-SHA256(secret, "1767225600." + body)>

The timestamp is signed with the body, so an old delivery captured on the way cannot be sent again later: receivers
refuse timestamps outside a tolerance (5 minutes by default). While a webhook's secret is being rotated the header
may carry one `v1=` per secret, and a receiver accepts the delivery if any of them matches its secret. The scheme is
the one Stripe popularised, so receivers' existing code and habits apply; docs/webhooks.md shows one.
"""

import hashlib
import hmac
import time
from typing import Optional

SCHEME = "v1"
MAX_HEADER_LENGTH = 4096  # a few signatures fit; a receiver need not parse megabytes


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<timestamp>,v1=<hex HMAC-SHA256(secret, f"{timestamp}." + body)>`."""
    return f"t={int(timestamp)},{SCHEME}={_mac(secret, int(timestamp), body)}"


def delivery_headers(secret: str, body: bytes, *, delivery_id: str, event: str, timestamp: int) -> dict[str, str]:
    """The headers of one delivery of `body` (JSON), signed with the webhook's `secret`."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "iris-webhooks/1",
        "Iris-Delivery": delivery_id,
        "Iris-Event": event,
        "Iris-Signature": signature_header(secret, timestamp, body),
    }


def verify(secret: str, body: bytes, header: str, *, tolerance_s: int = 300, now: Optional[float] = None) -> bool:
    """Whether `header` signs `body` with `secret` at a time within `tolerance_s` of `now` (either side)."""
    parsed = _parse(header)
    if parsed is None:
        return False
    timestamp, signatures = parsed
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False  # a replay of an old delivery, or a clock far off
    expected = _mac(secret, timestamp, body)
    # Compare with every candidate (no early exit), each in constant time.
    matches = [hmac.compare_digest(expected, candidate) for candidate in signatures]
    return any(matches)


def _parse(header: str) -> Optional[tuple[int, list[str]]]:
    if not header or len(header) > MAX_HEADER_LENGTH:
        return None
    timestamp, signatures = None, []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit() and timestamp is None:
            timestamp = int(value)
        elif key == SCHEME and value.isascii() and value:  # compare_digest refuses non-ASCII str
            signatures.append(value)
    if timestamp is None or not signatures:
        return None
    return timestamp, signatures
