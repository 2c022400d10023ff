"""speaker country optional

A speaker's country may be unknown: schedules imported from frab/pretalx carry none.
The API still requires a country for the speakers it creates.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Placeholder for unknown countries on downgrade: CLDR's "Unknown Region".
UNKNOWN_COUNTRY = "ZZ"


@contextmanager
def _keeping_session_speakers() -> Iterator[None]:
    """Keep session_speaker rows across SQLite's table rebuild of ``speaker``.

    Batch mode copies ``speaker`` and drops the old table. With foreign keys on (confman
    always turns them on, and the PRAGMA cannot be changed inside the migration's
    transaction) SQLite's DROP TABLE deletes every row first, and ON DELETE CASCADE then
    empties session_speaker. So the rows are parked in a temporary table and put back.
    """
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    op.execute("CREATE TEMP TABLE _keep_session_speaker AS SELECT * FROM session_speaker")
    yield
    op.execute("INSERT INTO session_speaker SELECT * FROM _keep_session_speaker")
    op.execute("DROP TABLE _keep_session_speaker")


def upgrade() -> None:
    with _keeping_session_speakers(), op.batch_alter_table("speaker", schema=None) as batch_op:
        batch_op.alter_column("country", existing_type=sa.String(length=2), nullable=True)


def downgrade() -> None:
    op.execute(f"UPDATE speaker SET country = '{UNKNOWN_COUNTRY}' WHERE country IS NULL")
    with _keeping_session_speakers(), op.batch_alter_table("speaker", schema=None) as batch_op:
        batch_op.alter_column("country", existing_type=sa.String(length=2), nullable=False)
