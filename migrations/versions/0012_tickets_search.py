"""Full-text search: a stored `tickets.search` tsvector over title (A), description (B) and comments (C).

Triggers keep it current: on a ticket's insert or title/description change, and on any change to
its comments. A GIN index makes `@@` cheap. Existing tickets are indexed here.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: Union[str, None] = "0011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# A stored function's text: rewrapped, databases migrated before and after would hold different sources.
DOCUMENT = """
CREATE FUNCTION tickets_search_document(p_ticket_id integer, p_title text, p_description text) RETURNS tsvector
LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('english', coalesce(p_title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(p_description, '')), 'B')
        || setweight(to_tsvector('english', coalesce(
               (SELECT string_agg(body, ' ' ORDER BY comment_id) FROM comments WHERE ticket_id = p_ticket_id), '')), 'C')
$$
"""  # noqa: E501

TICKET_TRIGGER = """
CREATE FUNCTION tickets_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := tickets_search_document(NEW.ticket_id, NEW.title, NEW.description);
    RETURN NEW;
END
$$
"""

COMMENT_TRIGGER = """
CREATE FUNCTION comments_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    affected integer := CASE WHEN TG_OP = 'DELETE' THEN OLD.ticket_id ELSE NEW.ticket_id END;
BEGIN
    UPDATE tickets SET search = tickets_search_document(ticket_id, title, description) WHERE ticket_id = affected;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.add_column("tickets", sa.Column("search", postgresql.TSVECTOR(), nullable=True))
    op.execute(DOCUMENT)
    op.execute(TICKET_TRIGGER)
    op.execute(COMMENT_TRIGGER)
    op.execute(
        "CREATE TRIGGER tickets_search_refresh BEFORE INSERT OR UPDATE OF title, description ON tickets "
        "FOR EACH ROW EXECUTE FUNCTION tickets_search_refresh()"
    )
    op.execute(
        "CREATE TRIGGER comments_search_refresh AFTER INSERT OR DELETE OR UPDATE OF body ON comments "
        "FOR EACH ROW EXECUTE FUNCTION comments_search_refresh()"
    )
    indexed = (
        op.get_bind()
        .execute(sa.text("UPDATE tickets SET search = tickets_search_document(ticket_id, title, description)"))
        .rowcount
    )
    print(f"0012: indexed {indexed} ticket(s) for search")
    op.create_index("ix_tickets_search", "tickets", ["search"], postgresql_using="gin")


def downgrade() -> None:
    op.drop_index("ix_tickets_search", table_name="tickets")
    op.execute("DROP TRIGGER comments_search_refresh ON comments")
    op.execute("DROP TRIGGER tickets_search_refresh ON tickets")
    op.execute("DROP FUNCTION comments_search_refresh()")
    op.execute("DROP FUNCTION tickets_search_refresh()")
    op.execute("DROP FUNCTION tickets_search_document(integer, text, text)")
    op.drop_column("tickets", "search")
