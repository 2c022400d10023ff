"""registration and mail outbox

Attendee registrations with their private tokens (hashes only), per-conference
registration settings, and the e-mail outbox. Only new tables: nothing existing is
rebuilt, so the SQLite batch-mode cascade trap (see 0002) does not arise.

On PostgreSQL also the trigger ``confman_place_on_commit``: a registration whose placement
e-mail is queued with kind ``placed`` gets its seat or waiting-list place at COMMIT, inside
the conference's lock, so the lock is held for no client round trip
(``registration/services.py`` has the same rule for SQLite, whose writers queue anyway).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 18:32:07.288873
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

from confman.db.sql import load_sql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Placing a registration at COMMIT: a deferred constraint trigger on the e-mail that reports
# the placement. The conference's lock is taken inside the commit, so it is held for no client
# round trip at all; "full" (no waiting list) aborts the commit, so nothing of it stays.
# The function is src/confman/db/sql/confman_place_on_commit.v1.sql.
PLACE_ON_COMMIT = [
    load_sql("confman_place_on_commit", 1),
    """
CREATE CONSTRAINT TRIGGER confman_place_on_commit
AFTER INSERT ON mail_outbox DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW WHEN (NEW.kind = 'placed')
EXECUTE FUNCTION confman_place_on_commit()
""",
]


def upgrade() -> None:
    op.create_table(
        "registration",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column(
            "conference_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("answers", advanced_alchemy.types.JsonB, nullable=False),
        sa.Column(
            "consented_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "waitlisted",
                "cancelled",
                name="registration_status",
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
        sa.Column("note", sa.Text(), nullable=True),
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
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_registration_conference_id_conference"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration")),
        sa.UniqueConstraint(
            "conference_id", "email", name=op.f("uq_registration_email")
        ),
        sa.UniqueConstraint(
            "conference_id", "waitlist_seq", name=op.f("uq_registration_waitlist_seq")
        ),
    )
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registration_conference_status",
            ["conference_id", "status"],
            unique=False,
        )

    op.create_table(
        "registration_settings",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column(
            "conference_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "opens_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "closes_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=True,
        ),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("waitlist", sa.Boolean(), nullable=False),
        sa.Column("double_opt_in", sa.Boolean(), nullable=False),
        sa.Column("privacy_text", advanced_alchemy.types.JsonB, nullable=False),
        sa.Column("questions", advanced_alchemy.types.JsonB, nullable=False),
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
        sa.CheckConstraint(
            "capacity IS NULL OR capacity >= 0",
            name=op.f("ck_registration_settings_capacity_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_registration_settings_conference_id_conference"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_settings")),
        sa.UniqueConstraint(
            "conference_id", name=op.f("uq_registration_settings_conference_id")
        ),
    )
    op.create_table(
        "mail_outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column(
            "conference_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "registration_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("context", advanced_alchemy.types.JsonB, nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sent",
                "failed",
                name="mail_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "lease_until",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=True,
        ),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "sent_at",
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
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_mail_outbox_conference_id_conference"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_mail_outbox_registration_id_registration"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_mail_outbox_message_id")),
    )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_outbox_conference_id"), ["conference_id"], unique=False
        )
        batch_op.create_index(
            "ix_mail_outbox_due", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mail_outbox_registration_id"),
            ["registration_id"],
            unique=False,
        )

    op.create_table(
        "registration_token",
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
            "purpose",
            sa.Enum(
                "confirm",
                "manage",
                name="token_purpose",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
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
            name=op.f("fk_registration_token_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_token")),
        sa.UniqueConstraint(
            "token_hash", name=op.f("uq_registration_token_token_hash")
        ),
    )
    with op.batch_alter_table("registration_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registration_token_registration_id"),
            ["registration_id"],
            unique=False,
        )

    if op.get_bind().dialect.name == "postgresql":
        for statement in PLACE_ON_COMMIT:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS confman_place_on_commit ON mail_outbox")
        op.execute("DROP FUNCTION IF EXISTS confman_place_on_commit()")
    with op.batch_alter_table("registration_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registration_token_registration_id"))

    op.drop_table("registration_token")
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_outbox_registration_id"))
        batch_op.drop_index("ix_mail_outbox_due")
        batch_op.drop_index(batch_op.f("ix_mail_outbox_conference_id"))

    op.drop_table("mail_outbox")
    op.drop_table("registration_settings")
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_index("ix_registration_conference_status")

    op.drop_table("registration")
