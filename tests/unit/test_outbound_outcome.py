"""What a delivery's Outcome means for a retry, and how Retry-After is read (iris/outbound/client.py)."""

from email.utils import formatdate

import pytest

from iris.outbound.client import Outcome, parse_retry_after


@pytest.mark.parametrize(
    "status, error, delivered, retryable",
    [
        (200, None, True, False),
        (204, None, True, False),
        (299, None, True, False),
        (301, "the receiver answered 301 (redirects are not followed)", False, False),
        (302, "the receiver answered 302 (redirects are not followed)", False, False),
        (400, "the receiver answered 400", False, False),
        (404, "the receiver answered 404", False, False),
        (410, "the receiver answered 410", False, False),
        (429, "the receiver answered 429", False, True),
        (500, "the receiver answered 500", False, True),
        (503, "the receiver answered 503", False, True),
        (None, "timeout: waiting to 192.0.2.1 took too long", False, True),
        (None, "connect: 192.0.2.1: [Errno 111] Connection refused", False, True),
        (None, "network: 192.0.2.1: Server disconnected", False, True),
        (None, "unresolved: hooks.example does not resolve", False, True),
        (None, "refused: localhost resolves to a loopback address (127.0.0.1)", False, False),
    ],
)
def test_what_an_outcome_means(status, error, delivered, retryable):
    outcome = Outcome(status_code=status, retry_after_s=None, error=error, duration_ms=5)
    assert (outcome.delivered, outcome.retryable) == (delivered, retryable)


NOW = 1767225600.0


@pytest.mark.parametrize(
    "value, seconds",
    [
        (None, None),
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("99999", 3600.0),  # bounded
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (formatdate(NOW + 90, usegmt=True), 90.0),
        (formatdate(NOW - 90, usegmt=True), 0.0),  # a date in the past: now
        (formatdate(NOW + 86400, usegmt=True), 3600.0),
    ],
)
def test_retry_after_in_seconds_or_as_a_date(value, seconds):
    assert parse_retry_after(value, now=NOW) == seconds
