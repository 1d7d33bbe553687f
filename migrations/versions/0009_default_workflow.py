"""Create the `default` workflow: Open, In Progress, Resolved, Closed.

| from        | to (transition name)                                   |
|-------------|--------------------------------------------------------|
| Open        | In Progress (start), Resolved (resolve), Closed (close) |
| In Progress | Open (stop), Resolved (resolve)                         |
| Resolved    | Closed (close), Open (reopen)                           |
| Closed      | Open (reopen)                                           |

Open is the initial status; Resolved and Closed count as closed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: Union[str, None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STATUSES = [("Open", False), ("In Progress", False), ("Resolved", True), ("Closed", True)]
TRANSITIONS = [
    ("Open", "In Progress", "start"),
    ("Open", "Resolved", "resolve"),
    ("Open", "Closed", "close"),
    ("In Progress", "Open", "stop"),
    ("In Progress", "Resolved", "resolve"),
    ("Resolved", "Closed", "close"),
    ("Resolved", "Open", "reopen"),
    ("Closed", "Open", "reopen"),
]


def upgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.text("INSERT INTO workflows (name, initial_status) VALUES ('default', 'Open')"))
    bind.execute(
        sa.text(
            "INSERT INTO workflow_statuses (workflow, name, is_closed, position) "
            "VALUES ('default', :name, :closed, :position)"
        ),
        [{"name": name, "closed": closed, "position": i} for i, (name, closed) in enumerate(STATUSES)],
    )
    bind.execute(
        sa.text(
            "INSERT INTO workflow_transitions (workflow, from_status, to_status, name) VALUES ('default', :f, :t, :n)"
        ),
        [{"f": f, "t": t, "n": n} for f, t, n in TRANSITIONS],
    )
    # Check the deferred keys now: later revisions alter these tables in the same transaction.
    op.execute("SET CONSTRAINTS ALL IMMEDIATE")


def downgrade() -> None:
    op.execute("DELETE FROM workflows WHERE name = 'default'")
    op.execute("SET CONSTRAINTS ALL IMMEDIATE")
