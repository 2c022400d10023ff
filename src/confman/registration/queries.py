"""Registration's statements, prepared once: the submit's Core inserts, the tally and
waiting-list reads, and the few reads that several parts of registration share.

The submit's hot path writes with Core statements, not ORM units of work; the tables are here
as Core tables for it.
"""

from __future__ import annotations

import re
from typing import Any, cast

from sqlalchemy import Table, TextClause, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import (
    Conference,
    OutboxEvent,
    OutboxMail,
    Registration,
    RegistrationSettings,
    RegistrationStatus,
    RegistrationTally,
    RegistrationToken,
    SeatStatus,
    SessionFollow,
    SessionSeat,
    TokenPurpose,
)
from confman.lib.tokens import hash_token, tokens_match
from confman.registration.rules import EffectiveSettings, effective

REGISTRATION = cast(Table, Registration.__table__)
REGISTRATION_TOKEN = cast(Table, RegistrationToken.__table__)
MAIL_OUTBOX = cast(Table, OutboxMail.__table__)
OUTBOX_EVENT = cast(Table, OutboxEvent.__table__)
REGISTRATION_TALLY = cast(Table, RegistrationTally.__table__)


def _text(sql: str, *tables: tuple[str, Table]) -> TextClause:
    """``sql`` with its parameters typed by the columns they fill (``:r_email`` fills the
    ``email`` column of the table given with prefix ``r_``), so values convert as in the ORM."""
    params = [
        bindparam(f"{prefix}{column.name}", type_=column.type)
        for prefix, table in tables
        for column in table.c
        if re.search(rf":{prefix}{column.name}\b", sql)
    ]
    return text(sql).bindparams(*params)


# Text, not SQLAlchemy's dialect ``insert()``: its ON CONFLICT form is not compile-cached
# (``inherit_cache = False``), and this statement runs on every submit.
_INSERT_REGISTRATION = """
INSERT INTO registration (conference_id, email, name, country, timezone, language, answers, consented_at,
                          status, waitlist_seq, confirmed_at, created_at, updated_at)
VALUES (:r_conference_id, :r_email, :r_name, :r_country, :r_timezone, :r_language, :r_answers, :r_consented_at,
        :r_status, :r_waitlist_seq, :r_confirmed_at, :r_created_at, :r_updated_at)
ON CONFLICT (conference_id, email) DO NOTHING
RETURNING id"""
_GUARDED_INSERT_REGISTRATION = """
INSERT INTO registration (conference_id, email, name, country, timezone, language, answers, consented_at,
                          status, waitlist_seq, confirmed_at, created_at, updated_at)
SELECT :r_conference_id, :r_email, :r_name, :r_country, :r_timezone, :r_language, :r_answers, :r_consented_at,
       :r_status, :r_waitlist_seq, :r_confirmed_at, :r_created_at, :r_updated_at
 WHERE EXISTS (SELECT 1 FROM target)
ON CONFLICT (conference_id, email) DO NOTHING
RETURNING id"""
_TABLES = (("r_", REGISTRATION), ("t_", REGISTRATION_TOKEN), ("m_", MAIL_OUTBOX), ("e_", OUTBOX_EVENT))
# PostgreSQL: a registration, its token, its events and its e-mail in one statement
# (data-modifying CTEs; the events come as a JSON list, ``g_events``: name and payload besides
# the new id, in order, and the e-mail delivers the last of them); the new id, or no row when
# the address is registered already (then nothing is written).
# The insert happens only while the conference and its rules are as the submit checked them
# (their updated_at): so a worker may check a submit against its remembered copy of them (see
# ``submit.SubmitTargets``) and learn in the same statement whether that copy was current.
POSTGRESQL_INSERT_NEW = _text(
    f"""
WITH target AS (
    SELECT 1 FROM conference c LEFT JOIN registration_settings s ON s.conference_id = c.id
     WHERE c.id = :r_conference_id AND c.updated_at = :g_conference_updated_at
       AND s.updated_at IS NOT DISTINCT FROM :g_settings_updated_at
), new_registration AS ({_GUARDED_INSERT_REGISTRATION}
), new_token AS (
    INSERT INTO registration_token (registration_id, purpose, token_hash, created_at, updated_at)
    SELECT id, CAST(:t_purpose AS VARCHAR), CAST(:t_token_hash AS VARCHAR), CAST(:t_created_at AS TIMESTAMPTZ),
           CAST(:t_updated_at AS TIMESTAMPTZ)
      FROM new_registration
), new_event AS (
    INSERT INTO outbox_event (name, payload_version, payload, conference_id, created_at, updated_at)
    SELECT e.name, CAST(:e_payload_version AS INTEGER), jsonb_build_object('registration_id', r.id) || e.payload,
           CAST(:m_conference_id AS BIGINT), CAST(:m_created_at AS TIMESTAMPTZ), CAST(:m_updated_at AS TIMESTAMPTZ)
      FROM new_registration r,
           jsonb_to_recordset(CAST(:g_events AS JSONB)) AS e(seq INTEGER, name VARCHAR, payload JSONB)
     ORDER BY e.seq
    RETURNING id
), new_mail AS (
    INSERT INTO mail_outbox (registration_id, message_id, kind, recipient, language, conference_id, context,
                             status, attempts, next_attempt_at, created_at, updated_at, event_id)
    SELECT id, CAST(:m_message_id AS VARCHAR), CAST(:m_kind AS VARCHAR), CAST(:m_recipient AS VARCHAR),
           CAST(:m_language AS VARCHAR), CAST(:m_conference_id AS BIGINT), CAST(:m_context AS JSONB),
           CAST(:m_status AS VARCHAR), CAST(:m_attempts AS INTEGER), CAST(:m_next_attempt_at AS TIMESTAMPTZ),
           CAST(:m_created_at AS TIMESTAMPTZ), CAST(:m_updated_at AS TIMESTAMPTZ), (SELECT max(id) FROM new_event)
      FROM new_registration
)
SELECT (SELECT id FROM new_registration) AS id, EXISTS (SELECT 1 FROM target) AS current""",  # noqa: S608 (constants)
    *_TABLES,
).bindparams(
    bindparam("g_conference_updated_at", type_=REGISTRATION.c.updated_at.type),
    bindparam("g_settings_updated_at", type_=REGISTRATION.c.updated_at.type),
    bindparam("g_events", type_=OUTBOX_EVENT.c.payload.type),
)
# SQLite (no data-modifying CTEs): the registration alone; token and e-mail follow.
SQLITE_INSERT_REGISTRATION = _text(_INSERT_REGISTRATION, *_TABLES)


def _position() -> Any:
    """A waiting registration's position: its rank by waitlist_seq among those still waiting.
    O(waiting list): for the organiser's views and known addresses, not for every submit."""
    ahead = REGISTRATION.alias("ahead")
    return select(func.count()).where(
        ahead.c.conference_id == REGISTRATION.c.conference_id,
        ahead.c.status == RegistrationStatus.WAITLISTED,
        ahead.c.waitlist_seq <= REGISTRATION.c.waitlist_seq,
        REGISTRATION.c.id == bindparam("registration_id"),
    )


POSITION = _position()
# After a placement at COMMIT (PostgreSQL): the status, and the position that the placement
# wrote into its "waitlisted" e-mail (``confman_place_on_commit``), by the registration's index
# on mail_outbox: O(1), where ranking the waiting list cost ~2 ms of the database's CPU at 5,000.
PLACED = text("""
SELECT r.status,
       (SELECT CAST(m.context ->> 'position' AS INTEGER) FROM mail_outbox m
         WHERE m.registration_id = r.id AND m.kind = 'waitlisted' ORDER BY m.id DESC LIMIT 1)
  FROM registration r
 WHERE r.id = :registration_id""")
TALLY = select(
    REGISTRATION_TALLY.c.confirmed, REGISTRATION_TALLY.c.waiting, REGISTRATION_TALLY.c.last_waitlist_seq
).where(REGISTRATION_TALLY.c.conference_id == bindparam("conference_id"))


def _submit_target() -> Any:
    conference = cast(Table, Conference.__table__)
    rules = cast(Table, RegistrationSettings.__table__)
    return (
        select(
            conference.c.id, conference.c.slug, conference.c.status, conference.c.timezone, conference.c.ends_on,
            conference.c.languages, conference.c.updated_at.label("conference_updated_at"),
            rules.c.id.label("settings_id"), rules.c.opens_at, rules.c.closes_at, rules.c.capacity, rules.c.waitlist,
            rules.c.double_opt_in, rules.c.privacy_text, rules.c.questions, rules.c.join_opens_minutes,
            rules.c.join_closes_minutes, rules.c.reminder_minutes, rules.c.updated_at,
        )
        .select_from(conference.outerjoin(rules, rules.c.conference_id == conference.c.id))
        .where(conference.c.slug == bindparam("slug"))
    )  # fmt: skip


# A conference by slug with its rules, in one Core query (the public submit's first read).
SUBMIT_TARGET = _submit_target()


async def conference_rules(db: AsyncSession, conference: Conference) -> EffectiveSettings:
    """A conference's rules as plain values: a Core select, no ORM identity map (every submit reads them)."""
    columns = cast(Table, RegistrationSettings.__table__).c
    row = (
        await db.execute(
            select(
                columns.opens_at, columns.closes_at, columns.capacity, columns.waitlist, columns.double_opt_in,
                columns.privacy_text, columns.questions, columns.join_opens_minutes, columns.join_closes_minutes,
                columns.reminder_minutes, columns.updated_at,
            ).where(columns.conference_id == conference.id)
        )
    ).first()  # fmt: skip
    # A Core row has the model's attribute names: the one conversion serves both.
    return effective(row)


async def waitlist_position(db: AsyncSession, registration: Registration) -> int | None:
    """A waiting registration's place in the queue (1 is next); None for any other status."""
    if registration.status is not RegistrationStatus.WAITLISTED or registration.waitlist_seq is None:
        return None
    ahead = await db.scalar(
        select(func.count()).where(
            Registration.conference_id == registration.conference_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            Registration.waitlist_seq <= registration.waitlist_seq,
        )
    )
    return int(ahead or 0)


async def registration_by_token(
    db: AsyncSession, conference: Conference, token: str, purpose: TokenPurpose
) -> Registration | None:
    """The registration a private token belongs to; the lookup is by hash, never by token."""
    if not token or len(token) > 100:
        return None
    row = (
        await db.execute(
            select(Registration, RegistrationToken.token_hash)
            .join(RegistrationToken, RegistrationToken.registration_id == Registration.id)
            .where(
                RegistrationToken.token_hash == hash_token(token),
                RegistrationToken.purpose == purpose,
                Registration.conference_id == conference.id,
            )
        )
    ).first()
    if row is None or not tokens_match(token, row[1]):
        return None
    registration: Registration = row[0]
    return registration


async def chosen_session_ids(db: AsyncSession, registration_id: int) -> set[int] | None:
    """The sessions an attendee follows: None when they follow all (the default), else the
    chosen ones and those they hold a seat or waiting-list place in."""
    follows_all = await db.scalar(select(Registration.follows_all).where(Registration.id == registration_id))
    if follows_all is None or follows_all:
        return None
    chosen = set(
        await db.scalars(select(SessionFollow.session_id).where(SessionFollow.registration_id == registration_id))
    )
    seats = await db.scalars(
        select(SessionSeat.session_id).where(
            SessionSeat.registration_id == registration_id, SessionSeat.status != SeatStatus.CANCELLED
        )
    )
    return chosen | set(seats)
