"""Make ticket_id the primary key of tickets.

initdb.sql gave ticket_id no key, so a hand-made row could repeat an id. Such duplicates are
renumbered from the sequence (the first one keeps its id) and reported, so no row is lost.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from typing import Sequence, Union

from alembic import op
from sqlalchemy import text

revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    bind = op.get_bind()
    renumbered = bind.execute(
        text(
            """
            WITH dupes AS (
                SELECT ctid FROM (
                    SELECT ctid, row_number() OVER (PARTITION BY ticket_id ORDER BY ctid) AS n FROM tickets
                ) ranked WHERE n > 1
            )
            UPDATE tickets SET ticket_id = nextval(pg_get_serial_sequence('tickets', 'ticket_id'))
            WHERE ctid IN (SELECT ctid FROM dupes)
            RETURNING ticket_id
            """
        )
    ).fetchall()
    if renumbered:
        print(f"0002: renumbered {len(renumbered)} duplicate ticket_id(s) to {[r[0] for r in renumbered]}")
    op.create_primary_key("pk_tickets", "tickets", ["ticket_id"])


def downgrade() -> None:
    op.drop_constraint("pk_tickets", "tickets", type_="primary")
