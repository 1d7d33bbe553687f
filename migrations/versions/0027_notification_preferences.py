"""Add notification_preferences: which events a user hears about, and by which channels.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0027"
down_revision: Union[str, None] = "0026"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

EVENTS = "ARRAY['created', 'assigned', 'commented', 'moved', 'changed', 'deleted']::text[]"
CHANNELS = "ARRAY['inbox', 'email']::text[]"


def upgrade() -> None:
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("events", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("channels", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(f"events <@ {EVENTS}", name=op.f("ck_notification_preferences_events_known")),
        sa.CheckConstraint(f"channels <@ {CHANNELS}", name=op.f("ck_notification_preferences_channels_known")),
        sa.ForeignKeyConstraint(["user_id"], ["users.user_id"], name=op.f("fk_notification_preferences_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
    )


def downgrade() -> None:
    op.drop_table("notification_preferences")
