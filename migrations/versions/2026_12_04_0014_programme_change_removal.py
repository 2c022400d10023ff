"""programme change removal

``programme_change.removal`` (private, for a ``removed`` change only): what the release e-mail
of a session that left the public programme needs once the session is gone, as its follows,
seats and speaker links cascade away with a deletion: the calendar UID's guid, the last
revision the public saw, and the ids of its followers and speakers.

A plain ADD COLUMN (nullable): no table is rebuilt, so nothing cascades on SQLite.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("programme_change", sa.Column("removal", advanced_alchemy.types.JsonB, nullable=True))


def downgrade() -> None:
    op.drop_column("programme_change", "removal")
