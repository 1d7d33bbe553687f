"""Give tickets, comments and workflows a `version` that grows by one with every change (for ETags).

A ticket's version also grows when its comments change, because GET /tickets/{id} shows them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-22
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: Union[str, None] = "0013"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TOUCH = """
CREATE OR REPLACE FUNCTION tickets_touch_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated := now();
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$
"""
TOUCH_BEFORE = """
CREATE OR REPLACE FUNCTION tickets_touch_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated := now();
    RETURN NEW;
END
$$
"""
COMMENTS_TOUCH = """
CREATE FUNCTION comments_touch_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$
"""
COMMENT_SEARCH = """
CREATE OR REPLACE FUNCTION comments_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    affected integer := CASE WHEN TG_OP = 'DELETE' THEN OLD.ticket_id ELSE NEW.ticket_id END;
BEGIN
    UPDATE tickets SET search = tickets_search_document(ticket_id, title, description){bump} WHERE ticket_id = affected;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    for table in ("tickets", "comments", "workflows"):
        op.add_column(table, sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False))
    op.execute(TOUCH)
    op.execute(COMMENTS_TOUCH)
    op.execute(
        "CREATE TRIGGER comments_touch_version BEFORE UPDATE OF body ON comments "
        "FOR EACH ROW EXECUTE FUNCTION comments_touch_version()"
    )
    op.execute(COMMENT_SEARCH.replace("{bump}", ", version = version + 1"))


def downgrade() -> None:
    op.execute(COMMENT_SEARCH.replace("{bump}", ""))
    op.execute("DROP TRIGGER comments_touch_version ON comments")
    op.execute("DROP FUNCTION comments_touch_version()")
    op.execute(TOUCH_BEFORE)
    for table in ("workflows", "comments", "tickets"):
        op.drop_column(table, "version")
