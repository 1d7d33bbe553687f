"""Add users: who may act in iris, with a role, never deleted (deactivated instead).

It also adds `anonymous`, the built-in admin that requests without a token act as when
IRIS_AUTH=open. It is inactive, so no token can be issued for it and it cannot be assigned.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: Union[str, None] = "0018"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("role", sa.Text(), server_default=sa.text("'reporter'"), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("imported_as", sa.Text(), nullable=True),
        sa.CheckConstraint("username ~ '^[A-Za-z0-9._-]{1,64}$'", name=op.f("ck_users_username_format")),
        sa.CheckConstraint("role IN ('reporter', 'agent', 'admin')", name=op.f("ck_users_role_known")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index("ix_users_username_lower", "users", [sa.text("lower(username)")], unique=True)
    op.create_index("ix_users_email_lower", "users", [sa.text("lower(email)")], unique=True)
    op.execute(
        "INSERT INTO users (username, display_name, role, active) "
        "VALUES ('anonymous', 'anyone, when IRIS_AUTH=open', 'admin', false)"
    )


def downgrade() -> None:
    op.drop_index("ix_users_email_lower", table_name="users")
    op.drop_index("ix_users_username_lower", table_name="users")
    op.drop_table("users")
