"""Add notifications: each user's inbox, one row per change set per ticket told to them.

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-30
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0028"
down_revision: Union[str, None] = "0027"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("notification_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("changeset", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("changes", postgresql.JSONB(), nullable=False),
        sa.Column("entry_ids", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email_due", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.user_id"], name=op.f("fk_notifications_user_id_users")),
        sa.PrimaryKeyConstraint("notification_id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "user_id", "changeset", "ticket_id", name=op.f("uq_notifications_user_id_changeset_ticket_id")
        ),
    )
    op.create_index("ix_notifications_user_id_notification_id", "notifications", ["user_id", "notification_id"])
    op.create_index(
        "ix_notifications_unread",
        "notifications",
        ["user_id", "notification_id"],
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_index("ix_notifications_email_due", "notifications", ["user_id"], postgresql_where=sa.text("email_due"))


def downgrade() -> None:
    op.drop_index("ix_notifications_email_due", table_name="notifications")
    op.drop_index("ix_notifications_unread", table_name="notifications")
    op.drop_index("ix_notifications_user_id_notification_id", table_name="notifications")
    op.drop_table("notifications")
