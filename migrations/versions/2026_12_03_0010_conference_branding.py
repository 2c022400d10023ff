"""conference branding

A conference's accent colour (``conference.accent_color``, ``#rrggbb`` or NULL), the origins
allowed to frame its embedded programme (``conference.embed_origins``, a JSON list), and its
logo: a ``stored_file`` row with ``purpose = 'logo'`` (NULL for speakers' photos).

Only ADD COLUMN and DROP COLUMN of plain columns: no table is rebuilt, so nothing cascades
on SQLite.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("conference", sa.Column("accent_color", sa.String(length=7), nullable=True))
    op.add_column(
        "conference",
        sa.Column("embed_origins", advanced_alchemy.types.JsonB, server_default=sa.text("'[]'"), nullable=False),
    )
    op.add_column("stored_file", sa.Column("purpose", sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column("stored_file", "purpose")
    op.drop_column("conference", "embed_origins")
    op.drop_column("conference", "accent_color")
