"""Add ticket_history.told: the journal is the outbox, and this marks the entries the worker has passed on.

Entries written before this revision count as told (they predate the worker: nobody is notified of old history);
new ones start untold. A partial index finds the untold ones, however long the journal.

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-30
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: Union[str, None] = "0031"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # With a constant default, PostgreSQL 11+ adds the column without rewriting the table.
    op.add_column("ticket_history", sa.Column("told", sa.Boolean(), server_default=sa.text("true"), nullable=False))
    op.alter_column("ticket_history", "told", server_default=sa.text("false"))
    op.create_index("ix_ticket_history_untold", "ticket_history", ["entry_id"], postgresql_where=sa.text("NOT told"))


def downgrade() -> None:
    op.drop_index("ix_ticket_history_untold", table_name="ticket_history")
    op.drop_column("ticket_history", "told")
