"""webhooks

Organisers' webhook endpoints (``webhook_endpoint``: URL, subscribed event names, the sealed
signing secret, enabled, and the failure counters that disable it) and their deliveries
(``webhook_delivery``: one per event and subscribed endpoint, with its ``webhook-id``, order
key, attempts and the last answer).

A trigger on ``outbox_event`` writes the deliveries in the transaction that writes the event,
whatever statement inserts it (``confman_webhook_deliveries.v1.sql`` on PostgreSQL; SQLite has
no trigger functions, so the same INSERT is the trigger's body). Only public events fire it.

Only new tables, indexes and a trigger: nothing is rebuilt, so nothing cascades on SQLite.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

from confman.db.sql import load_sql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)
# The public events (confman.db.models.events.PUBLIC_EVENTS as they are at this revision).
PUBLIC = (
    "'registration.created', 'registration.confirmed', 'registration.waitlisted', 'registration.promoted',"
    " 'registration.cancelled', 'session.changed', 'programme.released', 'attendance.joined'"
)
POSTGRESQL_TRIGGER = [
    load_sql("confman_webhook_deliveries", 1),
    f"""
CREATE TRIGGER confman_webhook_deliveries AFTER INSERT ON outbox_event
FOR EACH ROW WHEN (NEW.name IN ({PUBLIC}))
EXECUTE FUNCTION confman_webhook_deliveries()
""",
]
SQLITE_TRIGGER = f"""
CREATE TRIGGER confman_webhook_deliveries AFTER INSERT ON outbox_event
FOR EACH ROW WHEN NEW.name IN ({PUBLIC})
BEGIN
    INSERT INTO webhook_delivery (endpoint_id, event_id, webhook_id, event_type, order_key, status, attempts,
                                  next_attempt_at, due_since, created_at, updated_at)
    SELECT e.id, NEW.id, 'msg_' || lower(hex(randomblob(16))), NEW.name,
           coalesce('registration:' || json_extract(NEW.payload, '$.registration_id'),
                    'session:' || json_extract(NEW.payload, '$.session_id'), 'conference'),
           'pending', 0, NEW.created_at, NEW.created_at, NEW.created_at, NEW.created_at
      FROM webhook_endpoint e
     WHERE e.conference_id = NEW.conference_id AND e.enabled
       AND EXISTS (SELECT 1 FROM json_each(e.event_types) AS t WHERE t.value = NEW.name)
     ORDER BY e.id;
END
"""


def upgrade() -> None:
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", ID, sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("conference_id", ID, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("event_types", advanced_alchemy.types.JsonB, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("secret_sealed", sa.String(length=300), nullable=False),
        sa.Column("disabled_reason", sa.String(length=32), nullable=True),
        sa.Column("disabled_at", UTC, nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("failing_since", UTC, nullable=True),
        sa.Column("last_success_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_webhook_endpoint_conference_id_conference"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoint")),
    )
    op.create_index("ix_webhook_endpoint_conference_id_id", "webhook_endpoint", ["conference_id", "id"])
    op.create_table(
        "webhook_delivery",
        sa.Column("id", ID, sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("endpoint_id", ID, nullable=False),
        sa.Column("event_id", ID, nullable=False),
        sa.Column("webhook_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("order_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("due_since", UTC, nullable=False),
        sa.Column("lease_until", UTC, nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("last_attempt_at", UTC, nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=2000), nullable=True),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.Column("delivered_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoint.id"],
            name=op.f("fk_webhook_delivery_endpoint_id_webhook_endpoint"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["outbox_event.id"],
            name=op.f("fk_webhook_delivery_event_id_outbox_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
        sa.UniqueConstraint("event_id", "endpoint_id", name=op.f("uq_webhook_delivery_event_id")),
        sa.UniqueConstraint("webhook_id", name=op.f("uq_webhook_delivery_webhook_id")),
    )
    op.create_index("ix_webhook_delivery_due", "webhook_delivery", ["status", "next_attempt_at"])
    op.create_index(
        "ix_webhook_delivery_endpoint_order", "webhook_delivery", ["endpoint_id", "order_key", "status", "id"]
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_TRIGGER:
            op.execute(statement)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS confman_webhook_deliveries"
        + (" ON outbox_event" if op.get_bind().dialect.name == "postgresql" else "")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS confman_webhook_deliveries()")
    op.drop_index("ix_webhook_delivery_endpoint_order", table_name="webhook_delivery")
    op.drop_index("ix_webhook_delivery_due", table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_index("ix_webhook_endpoint_conference_id_id", table_name="webhook_endpoint")
    op.drop_table("webhook_endpoint")
