"""Baseline: the tickets table exactly as postgres/initdb.sql creates it.

Idempotent: a database that initdb.sql already set up keeps its table and rows, and an empty one
gets the same table, so both reach the same state.

`base` is therefore the initdb.sql state, not an empty database: the downgrade leaves the
tutorial's table (and its rows) in place, so a downgrade to base never destroys data that
existed before Alembic. `iris db reset` is the way to start from nothing.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from typing import Sequence, Union

from alembic import op

revision: str = "0001"
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS tickets (
            ticket_id serial,
            title text,
            assignee text,
            description text,
            created timestamp default now(),
            due text
        )
        """
    )


def downgrade() -> None:
    pass  # the tutorial table predates Alembic; see the module docstring
