from datetime import datetime, timedelta, timezone

import pytest

from iris.timeparse import iso_utc, parse_iso8601

UTC = timezone.utc


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2025-01-31", datetime(2025, 1, 31, tzinfo=UTC)),
        ("2025-01-31T17:00", datetime(2025, 1, 31, 17, tzinfo=UTC)),
        ("2025-01-31T17:00:00Z", datetime(2025, 1, 31, 17, tzinfo=UTC)),
        ("2025-01-31 17:00:00+02:00", datetime(2025, 1, 31, 15, tzinfo=UTC)),
        ("2025-01-31T17:00:00.250-05:30", datetime(2025, 1, 31, 22, 30, 0, 250000, tzinfo=UTC)),
    ],
)
def test_iso_8601_dates_and_datetimes_become_utc(text, expected):
    assert parse_iso8601(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "tomorrow",
        "today",
        "31/01/2025",
        "01/31/2025",
        "2025-02-30",
        "20250131",
        "2025-1-3",
        "",
        None,
        5,
        "0001-01-01T00:00:00+05:00",
    ],
)
def test_everything_else_is_refused(text):
    with pytest.raises(ValueError):
        parse_iso8601(text)


def test_iso_utc_always_has_an_offset():
    assert iso_utc(datetime(2025, 1, 1, 12)) == "2025-01-01T12:00:00+00:00"
    assert iso_utc(None) is None


def test_iso_utc_converts_other_offsets_to_utc():
    plus_two = timezone(timedelta(hours=2))
    assert iso_utc(datetime(2025, 1, 1, 12, 30, 0, 5, tzinfo=plus_two)) == "2025-01-01T10:30:00.000005+00:00"
    assert iso_utc(datetime(2025, 1, 1, 12, tzinfo=timezone(timedelta(0)))) == "2025-01-01T12:00:00+00:00"
