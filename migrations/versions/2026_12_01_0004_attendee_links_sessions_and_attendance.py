"""attendee links, sessions and attendance

Issue 6: the attendee's feed and join tokens (hashes only), followed sessions, workshop
seats with their own waiting list, join records, reminder bookkeeping; a recording link per
session; the join window and reminder lead time per conference; ``follows_all`` and
``erased_at`` on registrations.

Only new tables and added columns (SQLite's ADD COLUMN): nothing is rebuilt on upgrade.
The downgrade drops columns, which SQLite's batch mode does by rebuilding ``registration``;
with rows in tables that reference it, that cascades (see 0002): downgrade an empty
database only.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "attendee_link",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column(
            "registration_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("feed_token_hash", sa.String(length=64), nullable=False),
        sa.Column("join_token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_attendee_link_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendee_link")),
        sa.UniqueConstraint(
            "feed_token_hash", name=op.f("uq_attendee_link_feed_token_hash")
        ),
        sa.UniqueConstraint(
            "join_token_hash", name=op.f("uq_attendee_link_join_token_hash")
        ),
        sa.UniqueConstraint(
            "registration_id", name=op.f("uq_attendee_link_registration_id")
        ),
    )
    op.create_table(
        "session_attendance",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column(
            "session_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "registration_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "first_joined_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "last_joined_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.Column("joins", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_session_attendance_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["conference_session.id"],
            name=op.f("fk_session_attendance_session_id_conference_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_attendance")),
        sa.UniqueConstraint(
            "session_id",
            "registration_id",
            name=op.f("uq_session_attendance_session_id"),
        ),
    )
    with op.batch_alter_table("session_attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_attendance_registration_id"),
            ["registration_id"],
            unique=False,
        )

    op.create_table(
        "session_follow",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column(
            "registration_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "session_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_session_follow_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["conference_session.id"],
            name=op.f("fk_session_follow_session_id_conference_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_follow")),
        sa.UniqueConstraint(
            "registration_id",
            "session_id",
            name=op.f("uq_session_follow_registration_id"),
        ),
    )
    with op.batch_alter_table("session_follow", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_follow_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "session_reminder",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column(
            "registration_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "session_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "starts_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_session_reminder_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["conference_session.id"],
            name=op.f("fk_session_reminder_session_id_conference_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_reminder")),
        sa.UniqueConstraint(
            "registration_id",
            "session_id",
            "starts_at",
            name=op.f("uq_session_reminder_registration_id"),
        ),
    )
    with op.batch_alter_table("session_reminder", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_reminder_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "session_seat",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column(
            "session_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "registration_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "confirmed",
                "waitlisted",
                "cancelled",
                name="seat_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("waitlist_seq", sa.Integer(), nullable=True),
        sa.Column(
            "confirmed_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "cancelled_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_session_seat_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["conference_session.id"],
            name=op.f("fk_session_seat_session_id_conference_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_seat")),
        sa.UniqueConstraint(
            "session_id", "registration_id", name=op.f("uq_session_seat_session_id")
        ),
        sa.UniqueConstraint(
            "session_id", "waitlist_seq", name="uq_session_seat_waitlist_seq"
        ),
    )
    with op.batch_alter_table("session_seat", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_seat_registration_id"),
            ["registration_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_session_seat_session_status", ["session_id", "status"], unique=False
        )

    with op.batch_alter_table("conference_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recording_url", sa.Text(), nullable=True))

    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "follows_all", sa.Boolean(), server_default=sa.true(), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "erased_at",
                advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
                nullable=True,
            )
        )

    with op.batch_alter_table("registration_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "join_opens_minutes",
                sa.Integer(),
                server_default=sa.text("15"),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "join_closes_minutes",
                sa.Integer(),
                server_default=sa.text("0"),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "reminder_minutes",
                sa.Integer(),
                server_default=sa.text("60"),
                nullable=True,
            )
        )


def downgrade() -> None:

    with op.batch_alter_table("registration_settings", schema=None) as batch_op:
        batch_op.drop_column("reminder_minutes")
        batch_op.drop_column("join_closes_minutes")
        batch_op.drop_column("join_opens_minutes")

    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
        batch_op.drop_column("follows_all")

    with op.batch_alter_table("conference_session", schema=None) as batch_op:
        batch_op.drop_column("recording_url")

    with op.batch_alter_table("session_seat", schema=None) as batch_op:
        batch_op.drop_index("ix_session_seat_session_status")
        batch_op.drop_index(batch_op.f("ix_session_seat_registration_id"))

    op.drop_table("session_seat")
    with op.batch_alter_table("session_reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_reminder_session_id"))

    op.drop_table("session_reminder")
    with op.batch_alter_table("session_follow", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_follow_session_id"))

    op.drop_table("session_follow")
    with op.batch_alter_table("session_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_attendance_registration_id"))

    op.drop_table("session_attendance")
    op.drop_table("attendee_link")
