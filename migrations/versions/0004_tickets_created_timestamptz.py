"""Make tickets.created a `timestamptz NOT NULL DEFAULT now()`.

The tutorial's `timestamp` values carry no zone; they are read as UTC. Rows whose `created` is
NULL (inserted with an explicit NULL) are backfilled with the time of this migration, the best
honest value left, and the count is printed. The downgrade turns the values back into UTC
wall-clock `timestamp`s and relaxes NOT NULL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from typing import Sequence, Union

from alembic import op
from sqlalchemy import text

revision: str = "0004"
down_revision: Union[str, None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute("ALTER TABLE tickets ALTER COLUMN created TYPE timestamptz USING created AT TIME ZONE 'UTC'")
    result = op.get_bind().execute(text("UPDATE tickets SET created = now() WHERE created IS NULL"))
    print(f"0004: backfilled {result.rowcount} NULL created value(s) with the migration time")
    op.execute("ALTER TABLE tickets ALTER COLUMN created SET NOT NULL")


def downgrade() -> None:
    op.execute("ALTER TABLE tickets ALTER COLUMN created DROP NOT NULL")
    op.execute("ALTER TABLE tickets ALTER COLUMN created TYPE timestamp USING created AT TIME ZONE 'UTC'")
