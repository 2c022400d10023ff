"""programme changes and releases

Every public change of a session (``programme_change``: kind, the session's public state
before and after, the release that took it) and the named releases organisers publish
(``programme_release``: name unique per conference, a note per language, the programme
version it raised, how many changes it grouped). Speakers get an organiser-only ``email``
(release e-mails).

Only new tables, indexes and a plain ADD COLUMN: no table is rebuilt, so nothing cascades on
SQLite.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def upgrade() -> None:
    op.create_table(
        "programme_release",
        sa.Column("id", ID, sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("conference_id", ID, nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("note", advanced_alchemy.types.JsonB, nullable=False),
        sa.Column("programme_version", sa.Integer(), nullable=False),
        sa.Column("change_count", sa.Integer(), nullable=False),
        sa.Column("released_at", UTC, nullable=False),
        sa.Column("released_by_name", sa.String(length=320), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_programme_release_conference_id_conference"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_release")),
        sa.UniqueConstraint("conference_id", "name", name=op.f("uq_programme_release_conference_id")),
    )
    op.create_table(
        "programme_change",
        sa.Column("id", ID, sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("conference_id", ID, nullable=False),
        sa.Column("release_id", ID, nullable=True),
        sa.Column("session_id", ID, nullable=True),
        sa.Column("session_slug", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("before", advanced_alchemy.types.JsonB, nullable=True),
        sa.Column("after", advanced_alchemy.types.JsonB, nullable=True),
        sa.Column("changed_at", UTC, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_programme_change_conference_id_conference"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["programme_release.id"],
            name=op.f("fk_programme_change_release_id_programme_release"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["conference_session.id"],
            name=op.f("fk_programme_change_session_id_conference_session"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_change")),
    )
    op.create_index(
        "ix_programme_change_conference_id_release_id", "programme_change", ["conference_id", "release_id"]
    )
    op.create_index(op.f("ix_programme_change_release_id"), "programme_change", ["release_id"])
    op.create_index(op.f("ix_programme_change_session_id"), "programme_change", ["session_id"])
    op.add_column("speaker", sa.Column("email", sa.String(length=320), nullable=True))


def downgrade() -> None:
    op.drop_column("speaker", "email")
    op.drop_index(op.f("ix_programme_change_session_id"), table_name="programme_change")
    op.drop_index(op.f("ix_programme_change_release_id"), table_name="programme_change")
    op.drop_index("ix_programme_change_conference_id_release_id", table_name="programme_change")
    op.drop_table("programme_change")
    op.drop_table("programme_release")
