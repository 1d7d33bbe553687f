"""Make every ticket's assignee a user: each distinct free-text assignee becomes an account.

The accounts are inactive and have no token, so nothing can act as them until an admin activates
one. An assignee that cannot be a username as it is (a space, a character outside
[A-Za-z0-9._-], more than 64 characters, or the same name as another in a different case) gets a
username made from it. The ticket then names that username, and the account keeps the original
text in `imported_as`. The migration prints each such mapping. `tickets.assignee` then references
`users.username`.

The downgrade drops the reference and puts each mapped ticket's original text back. It keeps
the accounts: revision 0019's downgrade drops them all.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30
"""

import re
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: Union[str, None] = "0019"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

USERNAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def username_for(text: str, taken: set[str]) -> str:
    """A username made from `text`, unlike any in `taken` (lower-cased) whatever the case."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-")[:56] or "user"
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def upgrade() -> None:
    conn = op.get_bind()
    users = conn.execute(sa.text("SELECT username, imported_as FROM users")).all()
    taken = {u.lower() for u, _ in users}
    existing = {u for u, _ in users}
    imported = {original: u for u, original in users if original is not None}
    # In byte order, so which of `Ann` and `ann` keeps its name does not depend on the database's collation.
    texts = conn.execute(
        sa.text('SELECT DISTINCT assignee COLLATE "C" FROM tickets WHERE assignee IS NOT NULL ORDER BY 1')
    )
    created = mapped = 0
    for (text,) in texts:
        if text in existing:
            continue
        if text in imported:
            name, original = imported[text], text
        elif USERNAME.match(text) and text.lower() not in taken:
            name, original = text, None
        else:
            name, original = username_for(text, taken), text
        if name not in existing:
            conn.execute(
                sa.text("INSERT INTO users (username, imported_as, active) VALUES (:name, :original, false)"),
                {"name": name, "original": original},
            )
            taken.add(name.lower())
            existing.add(name)
            created += 1
        if original is not None:
            conn.execute(
                sa.text("UPDATE tickets SET assignee = :name WHERE assignee = :text"), {"name": name, "text": text}
            )
            print(f"0020: assignee {text!r} cannot be a username as it is; its tickets now name {name!r}")
            mapped += 1
    print(f"0020: {created} assignee(s) became inactive user accounts, {mapped} of them under a new username")
    op.create_foreign_key(
        "fk_tickets_assignee_users", "tickets", "users", ["assignee"], ["username"], onupdate="CASCADE"
    )


def downgrade() -> None:
    op.drop_constraint("fk_tickets_assignee_users", "tickets", type_="foreignkey")
    op.execute(
        "UPDATE tickets SET assignee = users.imported_as FROM users "
        "WHERE tickets.assignee = users.username AND users.imported_as IS NOT NULL"
    )
