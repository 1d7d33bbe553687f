"""Put every ticket on a workflow and a status.

Every existing ticket, including rows that initdb.sql-era clients inserted before Alembic ran,
goes to `default`/Open; the migration prints how many. The columns default to the same, so
raw SQL inserts keep working. The downgrade drops the columns (statuses are lost with them).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: Union[str, None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("workflow", sa.Text(), nullable=True))
    op.add_column("tickets", sa.Column("status", sa.Text(), nullable=True))
    placed = op.get_bind().execute(sa.text("UPDATE tickets SET workflow = 'default', status = 'Open'")).rowcount
    print(f"0010: put {placed} existing ticket(s) on default/Open")
    op.alter_column("tickets", "workflow", nullable=False, server_default=sa.text("'default'"))
    op.alter_column("tickets", "status", nullable=False, server_default=sa.text("'Open'"))
    op.create_foreign_key(
        "fk_tickets_workflow_status_workflow_statuses",
        "tickets",
        "workflow_statuses",
        ["workflow", "status"],
        ["workflow", "name"],
        onupdate="CASCADE",
    )
    # Status filters (`status=`, `open=`) and the FK check on status deletes both use it.
    op.create_index("ix_tickets_status_workflow", "tickets", ["status", "workflow"])


def downgrade() -> None:
    op.drop_index("ix_tickets_status_workflow", table_name="tickets")
    op.drop_constraint("fk_tickets_workflow_status_workflow_statuses", "tickets", type_="foreignkey")
    op.drop_column("tickets", "status")
    op.drop_column("tickets", "workflow")
