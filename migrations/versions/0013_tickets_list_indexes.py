"""Indexes that make every filter and sort order of GET /tickets cheap.

Each sort key is paired with ticket_id (the tie-breaker) so a keyset page is one index range scan.
Nullable sort keys are indexed as the expressions the queries sort by: a missing `due` sorts as
'infinity' (after every date), a missing assignee as '' (before every name).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-22
"""

from typing import Sequence, Union

from alembic import op

revision: str = "0013"
down_revision: Union[str, None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

INDEXES = {
    "ix_tickets_created_ticket_id": "(created, ticket_id)",
    "ix_tickets_updated_ticket_id": "(updated, ticket_id)",
    "ix_tickets_due_sort": "((COALESCE(due, 'infinity'::timestamptz)), ticket_id)",
    "ix_tickets_title_ticket_id": "(title, ticket_id)",
    "ix_tickets_status_ticket_id": "(status, ticket_id)",
    "ix_tickets_assignee_sort": "((COALESCE(assignee, '')), ticket_id)",
    "ix_tickets_assignee_ticket_id": "(assignee, ticket_id)",
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON tickets {columns}")


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")
