"""Add ticket_watchers: who hears about a ticket's changes; every ticket's reporter and assignee watch it already.

No foreign key to tickets: a deletion is told to the watchers after it commits, and the worker then drops them.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: Union[str, None] = "0025"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "ticket_watchers",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.user_id"], name=op.f("fk_ticket_watchers_user_id_users")),
        sa.PrimaryKeyConstraint("ticket_id", "user_id", name=op.f("pk_ticket_watchers")),
    )
    op.create_index("ix_ticket_watchers_user_id", "ticket_watchers", ["user_id"])
    # As the services do from now on: the reporter and the assignee of each ticket watch it (usernames are one
    # whatever their case; `anonymous`, open mode's caller without a token, never watches).
    op.execute(
        """
        INSERT INTO ticket_watchers (ticket_id, user_id)
        SELECT t.ticket_id, u.user_id FROM tickets t
        JOIN users u ON lower(u.username) IN (lower(t.reporter), lower(t.assignee)) AND u.username <> 'anonymous'
        ON CONFLICT DO NOTHING
        """
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_watchers_user_id", table_name="ticket_watchers")
    op.drop_table("ticket_watchers")
