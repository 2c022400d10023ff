"""announcements

A conference's news (``announcement``: slug unique per conference, title and Markdown body per
language, draft or published, the publish time (later than now: scheduled), pinned, and a
revision that every change raises), and what was sent of each to attendees
(``announcement_sending``: one row per announcement and registration status, unique, so a
status is sent an announcement at most once; the organiser's message that carried it).

Only new tables: no table is rebuilt, so nothing cascades on SQLite.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def upgrade() -> None:
    op.create_table(
        "announcement",
        sa.Column("id", ID, sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("guid", advanced_alchemy.types.GUID(length=16), nullable=False),
        sa.Column("conference_id", ID, nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("title", advanced_alchemy.types.JsonB, nullable=False),
        sa.Column("body", advanced_alchemy.types.JsonB, nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "published", name="announcement_status", native_enum=False, create_constraint=True, length=16
            ),
            nullable=False,
        ),
        sa.Column("publish_at", UTC, nullable=True),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_announcement_conference_id_conference"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcement")),
        sa.UniqueConstraint("guid", name=op.f("uq_announcement_guid")),
        sa.UniqueConstraint("conference_id", "slug", name=op.f("uq_announcement_conference_id")),
    )
    op.create_index(
        "ix_announcement_conference_id_publish_at", "announcement", ["conference_id", "publish_at"], unique=False
    )
    op.create_table(
        "announcement_sending",
        sa.Column("id", ID, sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("announcement_id", ID, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message_id", ID, nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("sent_at", UTC, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcement.id"],
            name=op.f("fk_announcement_sending_announcement_id_announcement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["attendee_message.id"],
            name=op.f("fk_announcement_sending_message_id_attendee_message"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcement_sending")),
        sa.UniqueConstraint("announcement_id", "status", name=op.f("uq_announcement_sending_announcement_id")),
    )


def downgrade() -> None:
    op.drop_table("announcement_sending")
    op.drop_index("ix_announcement_conference_id_publish_at", table_name="announcement")
    op.drop_table("announcement")
