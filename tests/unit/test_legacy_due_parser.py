"""The documented formats of migration 0005, which turns the tutorial's text `due` into timestamptz."""

from datetime import datetime, timezone

import pytest

from tests.conftest import migration_module

parse = migration_module("0005").parse_legacy_due
UTC = timezone.utc


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01T09:30", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        ("2024-05-01 09:30:00+02:00", datetime(2024, 5, 1, 7, 30, tzinfo=UTC)),
        ("2024-05-01T09:30:00Z", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        (" 2024-05-01 ", datetime(2024, 5, 1, tzinfo=UTC)),
        ("03/04/2024", datetime(2024, 4, 3, tzinfo=UTC)),  # DD/MM/YYYY wins when both could be
        ("25/12/2024", datetime(2024, 12, 25, tzinfo=UTC)),
        ("12/25/2024", datetime(2024, 12, 25, tzinfo=UTC)),  # MM/DD/YYYY only because 25 cannot be a month
    ],
)
def test_documented_formats_parse(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [None, "", "   ", "tomorrow", "today", "next week", "31/31/2024", "2024-02-30", "ASAP", "1714550400", "May 1st"],
)
def test_anything_else_is_not_parsed(text):
    assert parse(text) is None
