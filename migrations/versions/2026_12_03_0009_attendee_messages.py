"""attendee messages

Organisers' messages to their attendees (``attendee_message``: subject and Markdown body per
language, the audience filter used, the number of recipients, who sent it and when, and the
``message.sent`` event that each recipient's e-mail delivers). ``mail_outbox.event_id`` gets
an index: a message's deliveries (sent, pending, failed) are counted by its event.
``registration`` gets ``ix_registration_facets`` (conference, status, country, zone): the
registrations page counts by all three from the index alone.

Only new tables and indexes: no table is rebuilt, so nothing cascades on SQLite.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def upgrade() -> None:
    op.create_table(
        "attendee_message",
        sa.Column("id", ID, sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("conference_id", ID, nullable=False),
        sa.Column("subject", advanced_alchemy.types.JsonB, nullable=False),
        sa.Column("body", advanced_alchemy.types.JsonB, nullable=False),
        sa.Column("audience", advanced_alchemy.types.JsonB, nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("sent_by_id", ID, nullable=True),
        sa.Column("sent_by_name", sa.String(length=320), nullable=False),
        sa.Column("sent_at", UTC, nullable=False),
        sa.Column("event_id", ID, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_attendee_message_conference_id_conference"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"],
            ["user_account.id"],
            name=op.f("fk_attendee_message_sent_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["outbox_event.id"],
            name=op.f("fk_attendee_message_event_id_outbox_event"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendee_message")),
    )
    op.create_index("ix_attendee_message_conference_id_id", "attendee_message", ["conference_id", "id"])
    op.create_index(op.f("ix_mail_outbox_event_id"), "mail_outbox", ["event_id"])
    op.create_index("ix_registration_facets", "registration", ["conference_id", "status", "country", "timezone"])


def downgrade() -> None:
    op.drop_index("ix_registration_facets", table_name="registration")
    op.drop_index(op.f("ix_mail_outbox_event_id"), table_name="mail_outbox")
    op.drop_index("ix_attendee_message_conference_id_id", table_name="attendee_message")
    op.drop_table("attendee_message")
