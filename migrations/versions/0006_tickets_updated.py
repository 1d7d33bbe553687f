"""Add tickets.updated, a `timestamptz NOT NULL` kept current on every change.

Existing rows start with `updated = created`. A BEFORE UPDATE trigger sets it to the time of
the changing transaction, so every writer (the API, the CLI, plain SQL) keeps it right.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("updated", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE tickets SET updated = created")
    op.alter_column("tickets", "updated", nullable=False, server_default=sa.text("now()"))
    op.execute(
        """
        CREATE FUNCTION tickets_touch_updated() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.updated := now();
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER tickets_touch_updated BEFORE UPDATE ON tickets "
        "FOR EACH ROW EXECUTE FUNCTION tickets_touch_updated()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER tickets_touch_updated ON tickets")
    op.execute("DROP FUNCTION tickets_touch_updated()")
    op.drop_column("tickets", "updated")
