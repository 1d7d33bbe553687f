"""Add the ticket journal: every change to a ticket, field by field, grouped by change-set.

Entries have no foreign key to tickets, so a deleted ticket's history stays readable. Existing
tickets get a `created` entry (actor `migration`) at their creation time.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-22
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: Union[str, None] = "0014"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "ticket_history",
        sa.Column("entry_id", sa.BigInteger(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("changeset", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("field", sa.Text(), nullable=True),
        sa.Column("old", postgresql.JSONB(), nullable=True),
        sa.Column("new", postgresql.JSONB(), nullable=True),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_ticket_history")),
    )
    op.create_index("ix_ticket_history_ticket_id_entry_id", "ticket_history", ["ticket_id", "entry_id"])
    added = (
        op.get_bind()
        .execute(
            sa.text(
                "INSERT INTO ticket_history (ticket_id, changeset, at, actor, action) "
                "SELECT ticket_id, gen_random_uuid(), created, 'migration', 'created' FROM tickets ORDER BY ticket_id"
            )
        )
        .rowcount
    )
    print(f"0015: recorded {added} existing ticket(s) as created")


def downgrade() -> None:
    op.drop_index("ix_ticket_history_ticket_id_entry_id", table_name="ticket_history")
    op.drop_table("ticket_history")
