"""Add tickets.reporter: the user who created the ticket. Tickets from before have none.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: Union[str, None] = "0020"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("reporter", sa.Text(), nullable=True))
    op.create_foreign_key(
        "fk_tickets_reporter_users", "tickets", "users", ["reporter"], ["username"], onupdate="CASCADE"
    )
    # `reporter=` filters, in ticket order.
    op.create_index("ix_tickets_reporter_ticket_id", "tickets", ["reporter", "ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_tickets_reporter_ticket_id", table_name="tickets")
    op.drop_constraint("fk_tickets_reporter_users", "tickets", type_="foreignkey")
    op.drop_column("tickets", "reporter")
