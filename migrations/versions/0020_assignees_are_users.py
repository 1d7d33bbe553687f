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
from typing import Optional, Sequence, Union

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


def mapping(texts: list[str], users: list[tuple[str, Optional[str]]]) -> dict[str, tuple[str, Optional[str]]]:
    """Each assignee text's (username, imported_as): its own name when it can be one, the account an
    earlier run made for it, or else a name made from it that no other text or account has."""
    taken = {u.lower() for u, _ in users}
    existing = {u for u, _ in users}
    imported = {original: u for u, original in users if original is not None}
    names: dict[str, tuple[str, Optional[str]]] = {}
    for text in texts:  # first, every text that is a username as it is keeps it
        if text in existing:
            names[text] = (text, None)
        elif text in imported:
            names[text] = (imported[text], text)
        elif USERNAME.fullmatch(text) and text.lower() not in taken:
            names[text] = (text, None)
            taken.add(text.lower())
    for text in texts:  # then the others get names no text or account has
        if text not in names:
            names[text] = (username_for(text, taken), text)
            taken.add(names[text][0].lower())
    return names


def upgrade() -> None:
    conn = op.get_bind()
    users = [tuple(row) for row in conn.execute(sa.text("SELECT username, imported_as FROM users"))]
    # In byte order, so which of `Ann` and `ann` keeps its name does not depend on the database's collation.
    query = sa.text('SELECT DISTINCT assignee COLLATE "C" FROM tickets WHERE assignee IS NOT NULL ORDER BY 1')
    names = mapping([text for (text,) in conn.execute(query)], users)
    existing = {u for u, _ in users}
    new = {name: original for name, original in names.values() if name not in existing}
    for name, original in sorted(new.items()):
        conn.execute(
            sa.text("INSERT INTO users (username, imported_as, active) VALUES (:name, :original, false)"),
            {"name": name, "original": original},
        )
    _rename_assignees(conn, {text: name for text, (name, original) in names.items() if original is not None})
    mapped = sum(1 for original in new.values() if original is not None)
    print(f"0020: {len(new)} assignee(s) became inactive user accounts, {mapped} of them under a new username")
    op.create_foreign_key(
        "fk_tickets_assignee_users", "tickets", "users", ["assignee"], ["username"], onupdate="CASCADE"
    )


def _rename_assignees(conn, renamed: dict[str, str]) -> None:
    """Point tickets at their new usernames, leaving `updated`, `version` and the kept totals alone: the
    tickets did not change, only the name their assignee goes by."""
    conn.execute(sa.text("ALTER TABLE tickets DISABLE TRIGGER USER"))
    for text, name in sorted(renamed.items()):
        conn.execute(
            sa.text("UPDATE tickets SET assignee = :name WHERE assignee = :text"), {"name": name, "text": text}
        )
        print(f"0020: assignee {text!r} cannot be a username as it is; its tickets now name {name!r}")
    conn.execute(sa.text("ALTER TABLE tickets ENABLE TRIGGER USER"))


def downgrade() -> None:
    op.drop_constraint("fk_tickets_assignee_users", "tickets", type_="foreignkey")
    op.execute("ALTER TABLE tickets DISABLE TRIGGER USER")
    op.execute(
        "UPDATE tickets SET assignee = users.imported_as FROM users "
        "WHERE tickets.assignee = users.username AND users.imported_as IS NOT NULL"
    )
    op.execute("ALTER TABLE tickets ENABLE TRIGGER USER")
