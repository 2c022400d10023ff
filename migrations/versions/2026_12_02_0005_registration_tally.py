"""registration tally

A row per conference with its confirmed and waiting counts and the last waiting-list number,
kept by triggers (PostgreSQL and SQLite alike, so no code path can forget it): one is made
with each conference, and every change of a registration's status adjusts it.

The tally row is also the lock that serialises seat allocation for its conference (it was the
conference row). ``confman_place_on_commit`` takes it and reads the counts in one statement,
instead of locking the conference and counting every registration of it: a placement held the
lock 1.2 ms at 100 registrations and about 3 ms at 8,000, so the rate fell as a conference
filled; now it is the same at any size. Locking a row that nothing references also ends the
multixacts that every registration's foreign-key check on the conference row (FOR KEY SHARE)
made together with the allocation lock on that same row.

The triggers count only what holds or awaits a seat (confirmed, waitlisted). Registrations are
deleted only with their conference, whose tally row goes with it: the delete trigger only
updates.

Only a new table, triggers and functions: nothing is rebuilt on upgrade.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

from confman.db.sql import load_sql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every conference's counts, as they are before the triggers exist.
BACKFILL = """
INSERT INTO registration_tally (conference_id, confirmed, waiting, last_waitlist_seq, created_at, updated_at)
SELECT c.id,
       coalesce(sum(CASE WHEN r.status = 'confirmed' THEN 1 ELSE 0 END), 0),
       coalesce(sum(CASE WHEN r.status = 'waitlisted' THEN 1 ELSE 0 END), 0),
       coalesce(max(r.waitlist_seq), 0),
       {now}, {now}
  FROM conference c LEFT JOIN registration r ON r.conference_id = c.id
 GROUP BY c.id
"""
NEW_CONFERENCE_TALLY = """
INSERT INTO registration_tally (conference_id, confirmed, waiting, last_waitlist_seq, created_at, updated_at)
VALUES (NEW.id, 0, 0, 0, {now}, {now})"""

# An update that changes what is counted (pending → cancelled, say, changes nothing).
UPDATE_COUNTS = (
    "(OLD.status IS DISTINCT FROM NEW.status OR OLD.waitlist_seq IS DISTINCT FROM NEW.waitlist_seq)"
    " AND (OLD.status IN ('confirmed', 'waitlisted') OR NEW.status IN ('confirmed', 'waitlisted')"
    " OR NEW.waitlist_seq IS NOT NULL)"
)
# The functions are src/confman/db/sql/confman_registration_tally.v1.sql,
# confman_new_conference_tally.v1.sql and confman_place_on_commit.v2.sql.
POSTGRESQL_TALLY = [
    load_sql("confman_registration_tally", 1),
    """
CREATE TRIGGER confman_registration_tally_insert AFTER INSERT ON registration
FOR EACH ROW WHEN (NEW.status IN ('confirmed', 'waitlisted'))
EXECUTE FUNCTION confman_registration_tally()
""",
    """
CREATE TRIGGER confman_registration_tally_update AFTER UPDATE OF status, waitlist_seq ON registration
FOR EACH ROW WHEN ({UPDATE_COUNTS})
EXECUTE FUNCTION confman_registration_tally()
""".format(UPDATE_COUNTS=UPDATE_COUNTS),
    """
CREATE TRIGGER confman_registration_tally_delete AFTER DELETE ON registration
FOR EACH ROW WHEN (OLD.status IN ('confirmed', 'waitlisted'))
EXECUTE FUNCTION confman_registration_tally()
""",
    load_sql("confman_new_conference_tally", 1),
    """
CREATE TRIGGER confman_new_conference_tally AFTER INSERT ON conference
FOR EACH ROW EXECUTE FUNCTION confman_new_conference_tally()
""",
    # The placement of 0003 with the same rule and answers: the tally row is the lock and
    # the counts (one statement with the rules), and "still pending?" is the update's condition.
    # A notice tells the committing client what it gave (registration.services.commit_placement),
    # so the answer needs no query after the commit.
    load_sql("confman_place_on_commit", 2),
]

# SQLite has no trigger functions: one trigger per event, the deltas as 0/1 comparisons.
# (Not an upsert, for the reason given in the PostgreSQL function.)
_SQLITE_ADD = """
    INSERT INTO registration_tally (conference_id, confirmed, waiting, last_waitlist_seq, created_at, updated_at)
    VALUES (NEW.conference_id, 0, 0, 0, {now}, {now})
    ON CONFLICT (conference_id) DO NOTHING;
    UPDATE registration_tally
       SET confirmed = confirmed + ({confirmed}), waiting = waiting + ({waiting}),
           last_waitlist_seq = max(last_waitlist_seq, coalesce(NEW.waitlist_seq, 0)), updated_at = {now}
     WHERE conference_id = NEW.conference_id;
"""
SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
_SQLITE_TRIGGER = """
CREATE TRIGGER confman_registration_tally_{event} AFTER {on} ON registration
FOR EACH ROW WHEN {when}
BEGIN
{body}
END
"""
SQLITE_TALLY = [
    f"""
CREATE TRIGGER confman_new_conference_tally AFTER INSERT ON conference
FOR EACH ROW
BEGIN
{NEW_CONFERENCE_TALLY.format(now=SQLITE_NOW)};
END
""",
    _SQLITE_TRIGGER.format(
        event="insert",
        on="INSERT",
        when="NEW.status IN ('confirmed', 'waitlisted')",
        body=_SQLITE_ADD.format(
            confirmed="NEW.status = 'confirmed'", waiting="NEW.status = 'waitlisted'", now=SQLITE_NOW
        ),
    ),
    _SQLITE_TRIGGER.format(
        event="update",
        on="UPDATE OF status, waitlist_seq",
        when=UPDATE_COUNTS.replace("IS DISTINCT FROM", "IS NOT"),
        body=_SQLITE_ADD.format(
            confirmed="(NEW.status = 'confirmed') - (OLD.status = 'confirmed')",
            waiting="(NEW.status = 'waitlisted') - (OLD.status = 'waitlisted')",
            now=SQLITE_NOW,
        ),
    ),
    _SQLITE_TRIGGER.format(
        event="delete",
        on="DELETE",
        when="OLD.status IN ('confirmed', 'waitlisted')",
        body=f"""
    UPDATE registration_tally
       SET confirmed = confirmed - (OLD.status = 'confirmed'), waiting = waiting - (OLD.status = 'waitlisted'),
           updated_at = {SQLITE_NOW}
     WHERE conference_id = OLD.conference_id;""",
    ),
]
TRIGGERS = ("insert", "update", "delete")


def upgrade() -> None:
    op.create_table(
        "registration_tally",
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
        sa.Column("confirmed", sa.Integer(), nullable=False),
        sa.Column("waiting", sa.Integer(), nullable=False),
        sa.Column("last_waitlist_seq", sa.Integer(), nullable=False),
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
            "confirmed >= 0 AND waiting >= 0",
            name=op.f("ck_registration_tally_counts_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_registration_tally_conference_id_conference"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_tally")),
        sa.UniqueConstraint(
            "conference_id", name=op.f("uq_registration_tally_conference_id")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("LOCK TABLE registration IN SHARE MODE")
        op.execute(BACKFILL.format(now="now()"))
        for statement in POSTGRESQL_TALLY:
            op.execute(statement)
    else:
        op.execute(BACKFILL.format(now=SQLITE_NOW))
        for statement in SQLITE_TALLY:
            op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for event in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS confman_registration_tally_{event}" + (" ON registration" if postgresql else ""))
    op.execute("DROP TRIGGER IF EXISTS confman_new_conference_tally" + (" ON conference" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS confman_registration_tally()")
        op.execute("DROP FUNCTION IF EXISTS confman_new_conference_tally()")
        # Back to 0003's placement, which counts.
        op.execute(load_sql("confman_place_on_commit", 1))
    op.drop_table("registration_tally")

