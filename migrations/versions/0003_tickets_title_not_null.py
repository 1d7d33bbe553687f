"""Require a title on every ticket.

Tickets whose title is NULL or blank get the visible placeholder '(untitled ticket N)', and the
migration prints how many it changed. The downgrade only relaxes the constraint: the placeholders
stay, because they are now the stored titles.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from typing import Sequence, Union

from alembic import op
from sqlalchemy import text

revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PLACEHOLDER = "(untitled ticket {id})"


def upgrade() -> None:
    result = op.get_bind().execute(
        text(
            "UPDATE tickets SET title = '(untitled ticket ' || ticket_id || ')' "
            "WHERE title IS NULL OR btrim(title) = ''"
        )
    )
    print(f"0003: backfilled {result.rowcount} NULL or blank title(s) with '{PLACEHOLDER}'")
    op.alter_column("tickets", "title", nullable=False)


def downgrade() -> None:
    op.alter_column("tickets", "title", nullable=True)
