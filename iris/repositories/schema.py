"""Which alembic revisions the database is at: the CLI and /health both ask."""

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


class SchemaRepository:
    def __init__(self, connection: Connection | Session):
        self.connection = connection

    def current_revisions(self) -> list[str]:
        """The database's alembic revisions; none when iris has never migrated it."""
        if not self.connection.scalar(text("SELECT to_regclass('alembic_version') IS NOT NULL")):
            return []
        return list(self.connection.scalars(text("SELECT version_num FROM alembic_version")))
