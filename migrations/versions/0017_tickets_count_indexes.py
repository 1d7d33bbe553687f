"""Indexes that let exact totals of common filters be index-only counts.

`assignee` with `status` (the two filters most often combined), and `due` for date ranges (only
dated tickets: a range never matches a ticket without a due date).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-22
"""

from typing import Sequence, Union

from alembic import op

revision: str = "0017"
down_revision: Union[str, None] = "0016"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_tickets_assignee_status ON tickets (assignee, status)")
    op.execute("CREATE INDEX ix_tickets_due ON tickets (due) WHERE due IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX ix_tickets_due")
    op.execute("DROP INDEX ix_tickets_assignee_status")
