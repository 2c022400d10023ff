"""seat rule function

The seat rule as a function of its own, ``confman_seat_rule`` (the twin of
``registration/seat_rule.seat_rule``, which SQLite's path and workshop seats use), and
``confman_place_on_commit`` deciding with it. The placement now reports what it gave in a form
read without parsing words: the notice ``confman.placed`` with a JSON DETAIL, and SQLSTATE
CF001 when the conference is full.

Functions only (PostgreSQL); nothing on SQLite, which has none. The statements are the files
``src/confman/db/sql/<function>.v<version>.sql``; the downgrade restores 0005's placement.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from confman.db.sql import load_sql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(load_sql("confman_seat_rule", 1))
    op.execute(load_sql("confman_place_on_commit", 3))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(load_sql("confman_place_on_commit", 2))
    op.execute("DROP FUNCTION IF EXISTS confman_seat_rule(INTEGER, INTEGER, BOOLEAN, INTEGER, INTEGER)")
