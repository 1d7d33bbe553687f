"""Add the tables that define workflows: their statuses and the transitions between them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "workflows",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("initial_status", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_workflows")),
    )
    op.create_table(
        "workflow_statuses",
        sa.Column("workflow", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("is_closed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow"],
            ["workflows.name"],
            name=op.f("fk_workflow_statuses_workflow_workflows"),
            ondelete="CASCADE",
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.PrimaryKeyConstraint("workflow", "name", name=op.f("pk_workflow_statuses")),
    )
    # A workflow and its statuses point at each other; the check waits for the end of the transaction.
    op.create_foreign_key(
        "fk_workflows_initial_status_workflow_statuses",
        "workflows",
        "workflow_statuses",
        ["name", "initial_status"],
        ["workflow", "name"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_table(
        "workflow_transitions",
        sa.Column("workflow", sa.Text(), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=False),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow", "from_status"],
            ["workflow_statuses.workflow", "workflow_statuses.name"],
            name="fk_workflow_transitions_from_status_workflow_statuses",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workflow", "to_status"],
            ["workflow_statuses.workflow", "workflow_statuses.name"],
            name="fk_workflow_transitions_to_status_workflow_statuses",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workflow", "from_status", "to_status", name=op.f("pk_workflow_transitions")),
        sa.UniqueConstraint(
            "workflow", "from_status", "name", name=op.f("uq_workflow_transitions_workflow_from_status_name")
        ),
    )


def downgrade() -> None:
    op.drop_table("workflow_transitions")
    op.drop_constraint("fk_workflows_initial_status_workflow_statuses", "workflows", type_="foreignkey")
    op.drop_table("workflow_statuses")
    op.drop_table("workflows")
