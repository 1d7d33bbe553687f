"""Add procrastinate's tables and functions: the job queue of the background worker (iris/jobs).

The SQL is procrastinate 3.10.0's own schema, copied into migrations/sql so that this revision does the same thing
whatever release is installed later; a newer procrastinate's migrations come as revisions of their own.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30
"""

from pathlib import Path
from typing import Sequence, Union

from alembic import op

revision: str = "0025"
down_revision: Union[str, None] = "0024"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SCHEMA = Path(__file__).resolve().parents[1] / "sql" / "procrastinate-3.10.0.sql"
TABLES = ("procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs", "procrastinate_workers")
TYPES = ("procrastinate_job_to_defer_v1", "procrastinate_job_event_type", "procrastinate_job_status")


def upgrade() -> None:
    # The driver's own cursor, given no parameters: the file's `%` (in RAISE messages) stay as they are.
    with op.get_bind().connection.dbapi_connection.cursor() as cursor:
        cursor.execute(SCHEMA.read_text())


def downgrade() -> None:
    op.execute(f"DROP TABLE {', '.join(TABLES)} CASCADE")
    op.execute(
        """
        DO $$
        DECLARE f regprocedure;
        BEGIN
            FOR f IN SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'
            LOOP
                EXECUTE 'DROP FUNCTION ' || f;
            END LOOP;
        END $$
        """
    )
    op.execute(f"DROP TYPE {', '.join(TYPES)}")
