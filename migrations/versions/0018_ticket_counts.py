"""Exact ticket totals per (workflow, status), kept by triggers, so that the total of an unfiltered or
status-only list is a sum over a few rows however many tickets there are.

Statement-level triggers with transition tables add each statement's net change per (workflow,
status), so a COPY of a million rows costs one update, not a million. Writers never wait for each
other here: each folds the rows it can lock at once (SKIP LOCKED) into fresh rows holding the sums
plus its own change, and leaves rows that other transactions are folding alone. Every committed
change is in exactly one visible row, so a sum over the table is exact in any snapshot.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-22
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: Union[str, None] = "0017"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ADD = """
CREATE FUNCTION ticket_counts_add(p_workflow text[], p_status text[], p_delta bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(array_length(p_delta, 1), 0) = 0 THEN
        RETURN;
    END IF;
    -- Under REPEATABLE READ or SERIALIZABLE, locking a row that a later transaction folded away is a
    -- serialization failure, so such transactions only add their change; the next fold absorbs it.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        INSERT INTO ticket_counts (workflow, status, tickets) SELECT * FROM unnest(p_workflow, p_status, p_delta);
        RETURN;
    END IF;
    WITH folded AS (
        DELETE FROM ticket_counts
        WHERE ctid = ANY (ARRAY(SELECT ctid FROM ticket_counts FOR UPDATE SKIP LOCKED))
        RETURNING workflow, status, tickets
    )
    INSERT INTO ticket_counts (workflow, status, tickets)
    SELECT workflow, status, sum(tickets)::bigint
    FROM (SELECT * FROM folded UNION ALL SELECT * FROM unnest(p_workflow, p_status, p_delta)) AS change (workflow, status, tickets)
    GROUP BY workflow, status
    HAVING sum(tickets) <> 0;
END
$$
"""  # noqa: E501 (a stored function's text: rewrapped, databases migrated before and after would differ)


def _counted(name: str, rows: str, sign: str) -> str:
    """A trigger function adding each (workflow, status)'s number of `rows`, with `sign`."""
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ticket_counts_add(array_agg(workflow), array_agg(status), array_agg(n))
    FROM (SELECT workflow, status, {sign}count(*) AS n FROM {rows} GROUP BY workflow, status) AS change;
    RETURN NULL;
END
$$
"""


INSERTED = _counted("ticket_counts_inserted", "new_rows", "")
DELETED = _counted("ticket_counts_deleted", "old_rows", "-")

UPDATED = """
CREATE FUNCTION ticket_counts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ticket_counts_add(array_agg(workflow), array_agg(status), array_agg(n))
    FROM (
        SELECT workflow, status, sum(n)::bigint AS n
        FROM (SELECT workflow, status, 1::bigint AS n FROM new_rows
              UNION ALL SELECT workflow, status, -1::bigint FROM old_rows) AS moved
        GROUP BY workflow, status
        HAVING sum(n) <> 0
    ) AS change;
    RETURN NULL;
END
$$
"""

TRUNCATED = """
CREATE FUNCTION ticket_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ticket_counts;
    RETURN NULL;
END
$$
"""

TRIGGERS = {
    "ticket_counts_inserted": "AFTER INSERT ON tickets REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT",
    "ticket_counts_deleted": "AFTER DELETE ON tickets REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT",
    # Transition tables rule out `UPDATE OF status`; the function writes nothing unless a status moved.
    "ticket_counts_updated": (
        "AFTER UPDATE ON tickets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT"
    ),
    "ticket_counts_truncated": "AFTER TRUNCATE ON tickets FOR EACH STATEMENT",
}


def upgrade() -> None:
    op.create_table(
        "ticket_counts",
        sa.Column("workflow", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("tickets", sa.BigInteger(), nullable=False),
    )
    for function in (ADD, INSERTED, DELETED, UPDATED, TRUNCATED):
        op.execute(function)
    for name, when in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION {name}()")
    # The triggers' lock on tickets holds writers off until this commits, so the backfill misses nothing.
    op.execute(
        "INSERT INTO ticket_counts (workflow, status, tickets) "
        "SELECT workflow, status, count(*) FROM tickets GROUP BY workflow, status"
    )


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON tickets")
        op.execute(f"DROP FUNCTION {name}()")
    op.execute("DROP FUNCTION ticket_counts_add(text[], text[], bigint[])")
    op.drop_table("ticket_counts")
