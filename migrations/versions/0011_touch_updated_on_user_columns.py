"""Keep `updated` for changes people make: fire the touch trigger only when a ticket's own fields change.

Derived columns that later revisions add (the search document, kept current when comments
change) must not make a ticket look edited.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22
"""

from typing import Sequence, Union

from alembic import op

revision: str = "0011"
down_revision: Union[str, None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

USER_COLUMNS = "title, assignee, description, due, due_raw, workflow, status"


def upgrade() -> None:
    op.execute("DROP TRIGGER tickets_touch_updated ON tickets")
    op.execute(
        f"CREATE TRIGGER tickets_touch_updated BEFORE UPDATE OF {USER_COLUMNS} ON tickets "
        "FOR EACH ROW EXECUTE FUNCTION tickets_touch_updated()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER tickets_touch_updated ON tickets")
    op.execute(
        "CREATE TRIGGER tickets_touch_updated BEFORE UPDATE ON tickets "
        "FOR EACH ROW EXECUTE FUNCTION tickets_touch_updated()"
    )
