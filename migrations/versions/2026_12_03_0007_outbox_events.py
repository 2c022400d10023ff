"""outbox events

Events as rows of their own (``outbox_event``: name, versioned JSON payload without secrets,
conference), written in the transaction of the change they report; an e-mail refers to the
event it delivers (``mail_outbox.event_id``).

On PostgreSQL a direct registration is placed at COMMIT by ``confman_place_on_commit``, which
renames its ``placed`` e-mail to ``confirmed`` or ``waitlisted``. The trigger added here turns
that rename into the placement's event (``registration.confirmed`` or
``registration.waitlisted``, with the position) and points the e-mail at it, in the same
statement: the placement function itself is not changed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

from confman.db.sql import load_sql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLACEMENT_EVENT_TRIGGER = """
CREATE TRIGGER confman_placement_event BEFORE UPDATE OF kind ON mail_outbox
FOR EACH ROW WHEN (OLD.kind = 'placed' AND NEW.kind IN ('confirmed', 'waitlisted'))
EXECUTE FUNCTION confman_placement_event()
"""


def upgrade() -> None:
    op.create_table(
        "outbox_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("payload_version", sa.Integer(), nullable=False),
        sa.Column("payload", advanced_alchemy.types.JsonB, nullable=False),
        sa.Column(
            "conference_id",
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
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_outbox_event_conference_id_conference"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_event")),
    )
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_event_conference_id_id", ["conference_id", "id"], unique=False)
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "event_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_mail_outbox_event_id_outbox_event"),
            "outbox_event",
            ["event_id"],
            ["id"],
            ondelete="SET NULL",
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(load_sql("confman_placement_event", 1))
        op.execute(PLACEMENT_EVENT_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS confman_placement_event ON mail_outbox")
        op.execute("DROP FUNCTION IF EXISTS confman_placement_event()")
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_mail_outbox_event_id_outbox_event"), type_="foreignkey")
        batch_op.drop_column("event_id")
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_event_conference_id_id")
    op.drop_table("outbox_event")
