"""Add the comments table: comments on a ticket, deleted with it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: Union[str, None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("comment_id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.Text(), server_default=sa.text("'anonymous'"), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("edited", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("char_length(body) BETWEEN 1 AND 10000", name=op.f("ck_comments_body_length")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.ticket_id"], name=op.f("fk_comments_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("comment_id", name=op.f("pk_comments")),
    )
    # Keyset paging of a ticket's comments, oldest first.
    op.create_index("ix_comments_ticket_id_comment_id", "comments", ["ticket_id", "comment_id"])


def downgrade() -> None:
    op.drop_index("ix_comments_ticket_id_comment_id", table_name="comments")
    op.drop_table("comments")
