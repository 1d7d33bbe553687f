"""Turn the tutorial's free-text `tickets.due` into a `timestamptz`, keeping what cannot be parsed.

Accepted formats (anything else is kept verbatim in `due_raw`, with `due` NULL):
- ISO 8601 dates and datetimes, with or without a zone; no zone means UTC ("2024-05-01",
  "2024-05-01T09:30", "2024-05-01 09:30:00+02:00", "2024-05-01T09:30:00Z");
- DD/MM/YYYY;
- MM/DD/YYYY, only when it cannot be DD/MM/YYYY (its second number is above 12);
- relative words such as "today" or "tomorrow" are NOT accepted: their meaning is lost.

Each distinct text is parsed once in Python and applied with one UPDATE, so the cost grows with
the number of distinct values rather than with the number of rows. The migration prints how many
values it converted and how many it kept raw. The downgrade writes timestamps back as ISO 8601
UTC text and restores the raw values.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import re
from datetime import datetime, timezone
from typing import Optional, Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_legacy_due(value: Optional[str]) -> Optional[datetime]:
    """The UTC datetime a tutorial-era `due` text stands for, or None when it is not a documented format."""
    if value is None:
        return None
    candidate = value.strip()
    if not candidate:
        return None
    match = _SLASHED.match(candidate)
    if match:
        first, second, year = (int(g) for g in match.groups())
        for day, month in ((first, second), (second, first)):  # DD/MM first; MM/DD only if DD/MM is impossible
            try:
                return datetime(year, month, day, tzinfo=timezone.utc)
            except ValueError:
                continue
        return None
    if not candidate[:4].isdigit():
        return None  # fromisoformat would accept other shapes that ISO 8601 does not
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("tickets", sa.Column("due_raw", sa.Text(), nullable=True))
    op.add_column("tickets", sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))

    distinct = [row[0] for row in bind.execute(text("SELECT DISTINCT due FROM tickets WHERE due IS NOT NULL"))]
    mapping = [{"raw": raw, "parsed": parse_legacy_due(raw)} for raw in distinct]
    bind.execute(text("CREATE TEMPORARY TABLE due_map (raw text PRIMARY KEY, parsed timestamptz) ON COMMIT DROP"))
    if mapping:
        bind.execute(text("INSERT INTO due_map (raw, parsed) VALUES (:raw, :parsed)"), mapping)
    converted = bind.execute(
        text("UPDATE tickets t SET due_at = m.parsed FROM due_map m WHERE m.raw = t.due AND m.parsed IS NOT NULL")
    ).rowcount
    kept_raw = bind.execute(
        text("UPDATE tickets t SET due_raw = t.due FROM due_map m WHERE m.raw = t.due AND m.parsed IS NULL")
    ).rowcount
    bind.execute(text("DROP TABLE due_map"))

    op.drop_column("tickets", "due")
    op.alter_column("tickets", "due_at", new_column_name="due")
    print(f"0005: due converted for {converted} ticket(s), kept raw in due_raw for {kept_raw} ticket(s)")


def downgrade() -> None:
    op.add_column("tickets", sa.Column("due_text", sa.Text(), nullable=True))
    op.execute(
        """
        UPDATE tickets SET due_text = COALESCE(
            due_raw,
            to_char(due AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
        )
        """
    )
    op.drop_column("tickets", "due")
    op.drop_column("tickets", "due_raw")
    op.alter_column("tickets", "due_text", new_column_name="due")
