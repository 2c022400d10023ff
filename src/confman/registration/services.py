"""Registration: submit, double opt-in, seat allocation, waiting list, cancellation.

Seats are allocated inside a per-conference lock: ``SELECT … FOR UPDATE`` of the
conference's ``registration_tally`` row on PostgreSQL (it serialises allocations of one
conference across every process and machine; no other row references it, so the lock never
meets the foreign-key checks on the conference row); on SQLite every writing request already
holds the database's write lock (``BEGIN IMMEDIATE``).
Counts and the next waiting-list number are read inside that lock from ``registration_tally``,
which database triggers keep (so a placement costs the same at any size), and every e-mail is
an outbox row written in the same transaction as the change it reports.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from litestar.exceptions import ClientException
from litestar.status_codes import HTTP_409_CONFLICT
from sqlalchemy import Row, Table, TextClause, bindparam, func, insert, or_, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from confman.conferences.services import CONFERENCE_NOT_FOUND
from confman.db.engine import set_write_intent
from confman.db.models import (
    PAYLOAD_VERSION,
    Conference,
    ConferenceStatus,
    Event,
    OutboxEvent,
    OutboxMail,
    Registration,
    RegistrationSettings,
    RegistrationStatus,
    RegistrationTally,
    RegistrationToken,
    TokenPurpose,
)
from confman.lib.countries import is_known_country
from confman.lib.errors import ConflictError, FieldError, not_found
from confman.lib.i18n import UI_LANGUAGES
from confman.lib.timezones import to_utc, to_zone, utcnow
from confman.lib.tokens import hash_token, new_token, tokens_match
from confman.lib.urls import attendee_url, registration_cancel_url, registration_confirm_url
from confman.lib.validation import is_slug
from confman.mail.outbox import emit, enqueue, event_values, outbox_values
from confman.registration.notices import STATUS_EVENTS, Kind
from confman.registration.schemas import (
    CHOICE_KINDS,
    Question,
    QuestionKind,
    RegistrationCreate,
    RegistrationSettingsWrite,
)
from confman.registration.seats import release_all_seats
from confman.settings import Settings

SEAT_HOLDING = (RegistrationStatus.CONFIRMED,)
# The tables as Core: the submit's hot path writes with Core statements, not ORM units of work.
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
# PostgreSQL: a registration, its token, its events and its e-mail in one statement (data-modifying
# CTEs); the events are given as a JSON list (``e_events``: name and payload besides the new id,
# in order), and the e-mail delivers the last of them;
# the new id, or no row when the address is registered already (then nothing is written).
# The insert happens only while the conference and its rules are as the submit checked them
# (their updated_at): so a worker may check a submit against its cached copy of them (see
# ``_TARGETS``) and learn in the same statement whether that copy was current.
_POSTGRESQL_INSERT_NEW = _text(
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
_SQLITE_INSERT_REGISTRATION = _text(_INSERT_REGISTRATION, *_TABLES)


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


_POSITION = _position()
# After a placement at COMMIT (PostgreSQL): the status, and the position that the placement
# wrote into its "waitlisted" e-mail (``confman_place_on_commit``), by the registration's index
# on mail_outbox: O(1), where ranking the waiting list cost ~2 ms of the database's CPU at 5,000.
_PLACED = text("""
SELECT r.status,
       (SELECT CAST(m.context ->> 'position' AS INTEGER) FROM mail_outbox m
         WHERE m.registration_id = r.id AND m.kind = 'waitlisted' ORDER BY m.id DESC LIMIT 1)
  FROM registration r
 WHERE r.id = :registration_id""")
_TALLY = select(
    REGISTRATION_TALLY.c.confirmed, REGISTRATION_TALLY.c.waiting, REGISTRATION_TALLY.c.last_waitlist_seq
).where(REGISTRATION_TALLY.c.conference_id == bindparam("conference_id"))
# The control run only (unsafe_unlocked_allocation): seconds between the capacity check and the insert.
UNSAFE_GAP_SECONDS = 0.05
MAX_TEXT_ANSWER = {QuestionKind.SHORT_TEXT: 300, QuestionKind.LONG_TEXT: 5000, QuestionKind.COUNTRY: 2}


class RegistrationClosed(ClientException):
    """409: the conference does not take registrations now; ``reason`` says why."""

    status_code = HTTP_409_CONFLICT

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(detail=message, extra=[{"key": "conference", "code": reason, "message": message, "reason": reason}])
        self.reason = reason


# An outcome that the commit decides (PostgreSQL): see commit_placement.
PLACING = "placing"


@dataclass(frozen=True)
class Outcome:
    """What happened to a registration: ``check_email`` (pending), ``confirmed``,
    ``waitlisted`` (with ``position``), ``full`` or ``cancelled``."""

    result: str
    position: int | None = None
    registration: Registration | None = None
    # Set instead of ``registration`` where the row was written with Core (the submit's fast path).
    registration_id: int | None = None


@dataclass(frozen=True)
class EffectiveSettings:
    opens_at: datetime | None
    closes_at: datetime | None
    capacity: int | None
    waitlist: bool
    double_opt_in: bool
    privacy_text: dict[str, str]
    questions: list[Question]
    # The join window and reminders (attendees/): minutes before a session's start and after its end.
    join_opens_minutes: int = 15
    join_closes_minutes: int = 0
    reminder_minutes: int | None = 60
    # The settings row's updated_at (None: no row, the defaults): what a cached copy is checked by.
    version: datetime | None = None


DEFAULTS = EffectiveSettings(None, None, None, True, True, {}, [])


@dataclass(frozen=True)
class SubmitTarget:
    """What a submit needs of its conference (read with its rules in one Core query)."""

    id: int
    slug: str
    status: ConferenceStatus
    timezone: str
    ends_on: date
    languages: list[str]
    updated_at: datetime

    @property
    def is_published(self) -> bool:
        return self.status is ConferenceStatus.PUBLISHED


# The submit path takes either; the rest of the service works with the ORM conference.
ConferenceLike = Conference | SubmitTarget


class StaleTarget(Exception):  # a signal, not an error: the caller reads again
    """The conference or its rules changed since the submit read them; nothing was written."""


def rules_changed() -> ConflictError:
    """What a submit answers when an organiser changed the rules between its check and its insert."""
    return ConflictError("conference", "rules_changed", "the registration rules changed just now; please submit again")


# Per worker: (database, slug) → the conference and rules a submit last read, oldest first.
# Safe to trust only because each use is verified by the insert (see _POSTGRESQL_INSERT_NEW).
_TARGETS: dict[tuple[str, str], tuple[SubmitTarget, EffectiveSettings]] = {}
MAX_CACHED_TARGETS = 256


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


_SUBMIT_TARGET = _submit_target()


def effective(row: RegistrationSettings | Row[Any] | None) -> EffectiveSettings:
    """The rules from a settings row (a model or a Core row with the same columns)."""
    if row is None:
        return DEFAULTS
    return EffectiveSettings(
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        capacity=row.capacity,
        waitlist=row.waitlist,
        double_opt_in=row.double_opt_in,
        privacy_text=row.privacy_text,
        questions=[Question.model_validate(question) for question in row.questions],
        join_opens_minutes=row.join_opens_minutes,
        join_closes_minutes=row.join_closes_minutes,
        reminder_minutes=row.reminder_minutes,
        version=row.updated_at,
    )


def check_answers(questions: Sequence[Question], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers normalised, or a FieldError naming ``answers.<key>``."""
    by_key = {question.key: question for question in questions}
    for key in answers:
        if key not in by_key:
            raise FieldError(f"answers.{key}", "unknown_question", "not a question of this conference")
    cleaned: dict[str, Any] = {}
    for question in questions:
        field = f"answers.{question.key}"
        value = answers.get(question.key)
        if value is None or value == "" or value == []:
            if question.required:
                raise FieldError(field, "required", "an answer is required")
            continue
        if question.kind is QuestionKind.YES_NO:
            if not isinstance(value, bool):
                raise FieldError(field, "not_boolean", "must be true or false")
            cleaned[question.key] = value
        elif question.kind in CHOICE_KINDS:
            keys = {choice.key for choice in question.choices}
            chosen = value if isinstance(value, list) else [value]
            if question.kind is QuestionKind.SINGLE_CHOICE and (isinstance(value, list) or len(chosen) != 1):
                raise FieldError(field, "choose_one", "choose exactly one")
            for item in chosen:
                if not isinstance(item, str) or item not in keys:
                    raise FieldError(field, "not_a_choice", f"{str(item)[:50]!r} is not one of the choices")
            cleaned[question.key] = (
                chosen[0] if question.kind is QuestionKind.SINGLE_CHOICE else list(dict.fromkeys(chosen))
            )
        else:
            if not isinstance(value, str):
                raise FieldError(field, "not_text", "must be text")
            if question.kind is QuestionKind.COUNTRY:
                if not is_known_country(value.upper()):
                    raise FieldError(field, "unknown_country", f"unknown country code {value[:8]!r}")
                value = value.upper()
            if len(value) > MAX_TEXT_ANSWER[question.kind]:
                raise FieldError(field, "too_long", f"at most {MAX_TEXT_ANSWER[question.kind]} characters")
            if "\x00" in value or any(ord(ch) < 32 and ch not in "\n\t\r" for ch in value):
                raise FieldError(field, "control_characters", "must not contain control characters (such as NUL)")
            if question.kind is QuestionKind.SHORT_TEXT and ("\n" in value or "\r" in value):
                raise FieldError(field, "multiple_lines", "must be a single line")
            cleaned[question.key] = value.strip()
    return cleaned


class RegistrationSettingsService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def row(self, conference: Conference) -> RegistrationSettings | None:
        row: RegistrationSettings | None = await self.db.scalar(
            select(RegistrationSettings).where(RegistrationSettings.conference_id == conference.id)
        )
        return row

    async def get(self, conference: Conference) -> EffectiveSettings:
        """The rules as plain values: a Core select, no ORM identity map (every submit reads them)."""
        columns = cast(Table, RegistrationSettings.__table__).c
        row = (
            await self.db.execute(
                select(
                    columns.opens_at, columns.closes_at, columns.capacity, columns.waitlist, columns.double_opt_in,
                    columns.privacy_text, columns.questions, columns.join_opens_minutes, columns.join_closes_minutes,
                    columns.reminder_minutes, columns.updated_at,
                ).where(columns.conference_id == conference.id)
            )
        ).first()  # fmt: skip
        # A Core row has the model's attribute names: the one conversion serves both.
        return effective(row)

    async def replace(
        self, conference: Conference, data: RegistrationSettingsWrite, settings: Settings
    ) -> EffectiveSettings:
        for field in data.privacy_text:
            if field not in conference.languages:
                raise FieldError(f"privacy_text.{field}", "language_not_offered", "language not offered by the conference")
        for index, question in enumerate(data.questions):
            for language in question.label:
                if language not in conference.languages:
                    raise FieldError(f"questions.{index}.label.{language}", "language_not_offered", "language not offered by the conference")
        opens_at = to_utc(data.opens_at, conference.timezone) if data.opens_at else None
        closes_at = to_utc(data.closes_at, conference.timezone) if data.closes_at else None
        if opens_at and closes_at and closes_at <= opens_at:
            raise FieldError("closes_at", "before_start", "must be after opens_at")
        await lock_conference(self.db, conference, settings)
        row = await self.row(conference)
        if row is None:
            row = RegistrationSettings(conference_id=conference.id)
            self.db.add(row)
        row.opens_at = opens_at
        row.closes_at = closes_at
        row.capacity = data.capacity
        row.waitlist = data.waitlist
        row.double_opt_in = data.double_opt_in
        row.privacy_text = data.privacy_text
        row.questions = [question.model_dump(mode="json") for question in data.questions]
        row.join_opens_minutes = data.join_opens_minutes
        row.join_closes_minutes = data.join_closes_minutes
        row.reminder_minutes = data.reminder_minutes
        await self.db.flush()
        rules = effective(row)
        # More seats: the head of the waiting list moves up at once.
        await RegistrationService(self.db, settings).promote(conference, rules)
        return rules


async def lock_conference(db: AsyncSession, conference: ConferenceLike, settings: Settings) -> None:
    """Serialise seat allocation for one conference until the transaction ends: its tally row,
    the lock that ``confman_place_on_commit`` takes too (migration 0005)."""
    if settings.unsafe_unlocked_allocation or db.get_bind().dialect.name != "postgresql":
        return
    await db.execute(
        select(RegistrationTally.id).where(RegistrationTally.conference_id == conference.id).with_for_update()
    )


def check_open(conference: ConferenceLike, rules: EffectiveSettings) -> None:
    now = utcnow()
    if not conference.is_published:
        raise RegistrationClosed("unpublished", "This conference is not published.")
    if rules.opens_at is not None and now < rules.opens_at:
        raise RegistrationClosed("not_open", "Registration has not opened yet.")
    if rules.closes_at is not None and now >= rules.closes_at:
        raise RegistrationClosed("closed", "Registration is closed.")
    if to_zone(now, conference.timezone).date() > conference.ends_on:
        raise RegistrationClosed("past", "This conference is over.")


class RegistrationService:
    def __init__(self, db: AsyncSession, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    # --- reading -------------------------------------------------------------------

    async def counts(self, conference: Conference) -> dict[RegistrationStatus, int]:
        rows = await self.db.execute(
            select(Registration.status, func.count())
            .where(Registration.conference_id == conference.id)
            .group_by(Registration.status)
        )
        found = dict(rows.tuples().all())
        return {status: found.get(status, 0) for status in RegistrationStatus}

    async def tally(self, conference_id: int) -> tuple[int, int, int]:
        """Confirmed, waiting and the last waiting-list number, from the row the database's
        triggers keep (migration 0005); exact inside the conference's lock."""
        row = (await self.db.execute(_TALLY, {"conference_id": conference_id})).first()
        return (0, 0, 0) if row is None else (row[0], row[1], row[2])

    async def counts_by_country(self, conference: Conference) -> dict[str, int]:
        rows = await self.db.execute(
            select(Registration.country, func.count())
            .where(
                Registration.conference_id == conference.id,
                Registration.status.in_([RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]),
            )
            .group_by(Registration.country)
            .order_by(func.count().desc(), Registration.country)
        )
        return {country or "": count for country, count in rows.tuples()}

    async def position(self, registration: Registration) -> int | None:
        if registration.status is not RegistrationStatus.WAITLISTED or registration.waitlist_seq is None:
            return None
        ahead = await self.db.scalar(
            select(func.count()).where(
                Registration.conference_id == registration.conference_id,
                Registration.status == RegistrationStatus.WAITLISTED,
                Registration.waitlist_seq <= registration.waitlist_seq,
            )
        )
        return int(ahead or 0)

    async def positions(self, conference: Conference) -> dict[int, int]:
        ids = await self.db.scalars(
            select(Registration.id)
            .where(Registration.conference_id == conference.id, Registration.status == RegistrationStatus.WAITLISTED)
            .order_by(Registration.waitlist_seq)
        )
        return {registration_id: index for index, registration_id in enumerate(ids, start=1)}

    async def find(
        self,
        conference: Conference,
        *,
        status: RegistrationStatus | None = None,
        country: str | None = None,
        search: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Registration]:
        query = select(Registration).where(Registration.conference_id == conference.id)
        if status is not None:
            query = query.where(Registration.status == status)
        if country is not None:
            query = query.where(Registration.country == country.upper())
        if search:
            pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(
                or_(
                    func.lower(Registration.name).like(pattern, escape="\\"),
                    Registration.email.like(pattern, escape="\\"),
                )
            )
        query = query.order_by(Registration.id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return list(await self.db.scalars(query))

    async def get(self, conference: Conference, registration_id: int) -> Registration:
        registration = await self.db.scalar(
            select(Registration).where(Registration.conference_id == conference.id, Registration.id == registration_id)
        )
        if registration is None:
            raise not_found("Registration not found")
        return registration

    async def by_token(self, conference: Conference, token: str, purpose: TokenPurpose) -> Registration | None:
        """The registration a private token belongs to; the lookup is by hash, never by token."""
        if not token or len(token) > 100:
            return None
        row = (
            await self.db.execute(
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

    # --- submitting ------------------------------------------------------------------

    async def submit(
        self, conference: Conference, data: RegistrationCreate, rules: EffectiveSettings | None = None
    ) -> Outcome:
        """Register ``data`` for ``conference``; nothing is written when the input is refused."""
        rules = rules or await RegistrationSettingsService(self.db).get(conference)
        try:
            return await self._submit(conference, rules, data)
        except StaleTarget:
            raise rules_changed() from None

    async def submit_to(self, slug: str, data: RegistrationCreate) -> Outcome:
        """The public JSON submit: the conference and its rules in one Core query, then
        :meth:`submit`'s work. A draft or unknown conference is the 404 of ``access``.

        On PostgreSQL a worker keeps what it read (``_TARGETS``) and checks the next submit
        against it with no query: the insert itself verifies that the copy is current, and
        writes nothing when it is not. A stale copy, or any refusal made by a copy (closed,
        unknown language, an answer that is no longer a question), is checked again against
        fresh data, so no submit is accepted or refused by rules that no longer hold.
        """
        remembers = self._places_in_database()
        key = (self.db.get_bind().engine.url.render_as_string(), slug)
        cached = _TARGETS.get(key) if remembers else None
        if cached is not None:
            try:
                answers = self._check(*cached, data)
                return await self._write(*cached, data, answers)
            except (StaleTarget, RegistrationClosed, FieldError):  # refusals come before any write
                _TARGETS.pop(key, None)
        row = (await self.db.execute(_SUBMIT_TARGET, {"slug": slug})).first() if is_slug(slug) else None
        if row is None or ConferenceStatus(row.status) is not ConferenceStatus.PUBLISHED:
            raise not_found(CONFERENCE_NOT_FOUND)
        target = SubmitTarget(
            id=row.id, slug=row.slug, status=ConferenceStatus(row.status), timezone=row.timezone,
            ends_on=row.ends_on, languages=row.languages, updated_at=row.conference_updated_at,
        )  # fmt: skip
        # The settings' columns carry the model's names: the one conversion serves here too.
        rules = effective(row) if row.settings_id is not None else DEFAULTS
        if remembers:
            _TARGETS[key] = (target, rules)
            while len(_TARGETS) > MAX_CACHED_TARGETS:
                _TARGETS.pop(next(iter(_TARGETS)))
        try:
            return await self._submit(target, rules, data)
        except StaleTarget:
            # Changed between this read and the insert (an organiser at this very moment).
            _TARGETS.pop(key, None)
            raise rules_changed() from None

    async def _submit(self, conference: ConferenceLike, rules: EffectiveSettings, data: RegistrationCreate) -> Outcome:
        return await self._write(conference, rules, data, self._check(conference, rules, data))

    def _check(self, conference: ConferenceLike, rules: EffectiveSettings, data: RegistrationCreate) -> dict[str, Any]:
        """Refuse a submit that the rules do not allow (nothing is written); the normalised answers."""
        check_open(conference, rules)
        self.check_language(conference, data.language)
        answers = check_answers(rules.questions, data.answers)
        if not data.consent:
            raise FieldError("consent", "consent_required", "consent to the privacy text is required")
        return answers

    async def _write(
        self, conference: ConferenceLike, rules: EffectiveSettings, data: RegistrationCreate, answers: dict[str, Any]
    ) -> Outcome:
        if rules.double_opt_in:
            return await self._submit_pending(conference, data, answers, rules)
        return await self._submit_direct(conference, data, answers, rules)

    def check_language(self, conference: ConferenceLike, language: str) -> None:
        if language not in UI_LANGUAGES and language not in conference.languages:
            offered = sorted({*UI_LANGUAGES, *conference.languages})
            raise FieldError("language", "language_not_offered", f"not offered (offered: {', '.join(offered)})")

    def _new(self, conference: ConferenceLike, data: RegistrationCreate, answers: dict[str, Any]) -> Registration:
        return Registration(
            conference_id=conference.id,
            email=data.email,
            name=data.name,
            country=data.country,
            timezone=data.timezone,
            language=data.language,
            answers=answers,
            consented_at=utcnow(),
            status=RegistrationStatus.PENDING,
        )

    async def _existing(self, conference: ConferenceLike, email: str) -> Registration | None:
        found: Registration | None = await self.db.scalar(
            select(Registration).where(Registration.conference_id == conference.id, Registration.email == email)
        )
        return found

    def _refill(self, registration: Registration, data: RegistrationCreate, answers: dict[str, Any]) -> None:
        """A cancelled registration registering again starts afresh with the new details."""
        registration.name = data.name
        registration.country = data.country
        registration.timezone = data.timezone
        registration.language = data.language
        registration.answers = answers
        registration.consented_at = utcnow()
        registration.status = RegistrationStatus.PENDING
        registration.cancelled_at = None
        registration.confirmed_at = None
        registration.waitlist_seq = None

    async def _submit_pending(
        self, conference: ConferenceLike, data: RegistrationCreate, answers: dict[str, Any], rules: EffectiveSettings
    ) -> Outcome:
        def confirm_request(token: str) -> dict[str, Any]:
            return {"confirm_url": registration_confirm_url(self.settings.base_url, conference.slug, token)}

        new_id = await self._insert_new(
            conference, rules, data, answers, RegistrationStatus.PENDING, None, TokenPurpose.CONFIRM,
            Kind.CONFIRM_REQUEST, confirm_request,
        )  # fmt: skip
        if new_id is not None:
            return Outcome("check_email", registration_id=new_id)
        # A known address (perhaps submitted at this moment by another request, whose commit
        # the insert waited for): the same answer, and an e-mail that says so.
        existing = await self._existing(conference, data.email)
        if existing is None:
            raise ConflictError("email", "registering_now", "this address is being registered at this moment; please try again")
        if existing.status is RegistrationStatus.CANCELLED:
            self._refill(existing, data, answers)
            await self.db.flush()
            created = self._event(conference, existing, Event.REGISTRATION_CREATED)
            await self._mail_confirm_request(conference, existing, Kind.CONFIRM_REQUEST, created)
        else:
            await self._mail_already(conference, existing)
        return Outcome("check_email", registration=existing)

    async def _insert_new(
        self,
        conference: ConferenceLike,
        rules: EffectiveSettings,
        data: RegistrationCreate,
        answers: dict[str, Any],
        status: RegistrationStatus,
        waitlist_seq: int | None,
        purpose: TokenPurpose,
        kind: str,
        links: Callable[[str], dict[str, Any]],
    ) -> int | None:
        """A new registration with its private token and its e-mail, as Core inserts; the new
        id, or None (and nothing written) when the address is registered already.

        ``INSERT … ON CONFLICT DO NOTHING`` replaces a look-up and a savepoint: a concurrent
        insert of the same address makes this one wait for its commit and then do nothing.
        On PostgreSQL the three inserts are one statement (data-modifying CTEs), one round trip.
        ``links(token)`` gives the e-mail's private links for the fresh token.
        On PostgreSQL nothing is written, and :class:`StaleTarget` raised, when the conference
        or its rules changed since they were read (``conference.updated_at``, ``rules.version``).
        """
        now = utcnow()
        token = new_token("c" if purpose is TokenPurpose.CONFIRM else "m")
        registration = {
            "conference_id": conference.id,
            "email": data.email,
            "name": data.name,
            "country": data.country,
            "timezone": data.timezone,
            "language": data.language,
            "answers": answers,
            "consented_at": now,
            "status": status,
            "waitlist_seq": waitlist_seq,
            "confirmed_at": now if status is RegistrationStatus.CONFIRMED else None,
            "created_at": now,
            "updated_at": now,
        }
        token_row = {"purpose": purpose, "token_hash": hash_token(token), "created_at": now, "updated_at": now}
        context = {"name": data.name, "timezone": data.timezone, "status": status.value, **links(token)}
        # A new registration is created; placed at once (SQLite), it is confirmed or waitlisted too.
        events: list[tuple[Event, dict[str, Any]]] = [(Event.REGISTRATION_CREATED, {})]
        if status is RegistrationStatus.CONFIRMED:
            events.append((Event.REGISTRATION_CONFIRMED, {}))
        elif status is RegistrationStatus.WAITLISTED:
            events.append((Event.REGISTRATION_WAITLISTED, {"position": context.get("position")}))
        mail = outbox_values(
            kind=kind, recipient=data.email, language=data.language, conference_id=conference.id,
            registration_id=None, context=context, base_url=self.settings.base_url, now=now,
        )  # fmt: skip
        parameters = {f"r_{name}": value for name, value in registration.items()}
        if self.db.get_bind().dialect.name == "postgresql":
            parameters.update({f"t_{name}": value for name, value in token_row.items()})
            parameters.update({f"m_{name}": value for name, value in mail.items()})
            parameters["g_conference_updated_at"] = conference.updated_at
            parameters["g_settings_updated_at"] = rules.version
            parameters["g_events"] = [
                {"seq": seq, "name": event.value, "payload": payload} for seq, (event, payload) in enumerate(events)
            ]
            parameters["e_payload_version"] = PAYLOAD_VERSION
            inserted = (await self.db.execute(_POSTGRESQL_INSERT_NEW, parameters)).one()
            if not inserted.current:
                raise StaleTarget
            new_id: int | None = inserted.id
            return new_id
        new_id = await self.db.scalar(_SQLITE_INSERT_REGISTRATION, parameters)
        if new_id is None:
            return None
        await self.db.execute(insert(REGISTRATION_TOKEN), {**token_row, "registration_id": new_id})
        for event, payload in events:
            values = event_values(
                event, conference_id=conference.id, payload={"registration_id": new_id, **payload}, now=now
            )
            mail["event_id"] = await self.db.scalar(insert(OUTBOX_EVENT).returning(OUTBOX_EVENT.c.id), values)
        await self.db.execute(insert(MAIL_OUTBOX), {**mail, "registration_id": new_id})
        return new_id

    async def _submit_direct(
        self, conference: ConferenceLike, data: RegistrationCreate, answers: dict[str, Any], rules: EffectiveSettings
    ) -> Outcome:
        """Without double opt-in the submit itself takes a seat (or a waiting-list place)."""
        if self._places_in_database():
            return await self._submit_direct_in_database(conference, data, answers, rules)
        if not self.settings.unsafe_unlocked_allocation:
            # SQLite: this request holds the write lock from its first statement (BEGIN
            # IMMEDIATE), so the allocation stays true until the insert.
            status, seq, position = await self._allocation(conference, rules)
            if status is None:
                # Full without a waiting list; a known address still gets its own answer below.
                if await self._existing(conference, data.email) is None:
                    return Outcome("full")
            else:
                new_id = await self._insert_new(
                    conference, rules, data, answers, status, seq, TokenPurpose.MANAGE,
                    Kind.CONFIRMED if status is RegistrationStatus.CONFIRMED else Kind.WAITLISTED,
                    self._manage_links(conference, position),
                )  # fmt: skip
                if new_id is not None:
                    return Outcome(status.value, position, registration_id=new_id)
        await self._begin_allocation(conference)
        existing = await self._existing(conference, data.email)
        if existing is not None and existing.status is not RegistrationStatus.CANCELLED:
            await self._mail_already(conference, existing)
            if existing.status is RegistrationStatus.PENDING:
                return Outcome("check_email", registration=existing)
            return Outcome(existing.status.value, await self.position(existing), existing)
        status, seq, position = await self._allocation(conference, rules)
        if status is None:
            return Outcome("full")
        registration = existing or self._new(conference, data, answers)
        if existing is not None:
            self._refill(existing, data, answers)
        self._place(registration, status, seq)
        # Under the lock no other request can insert this address now; without it (control
        # runs only) a duplicate is the IntegrityError handler's 409.
        self.db.add(registration)
        await self.db.flush()
        self._event(conference, registration, Event.REGISTRATION_CREATED)
        return await self._after_placing(conference, registration, position)

    def _manage_links(self, conference: ConferenceLike, position: int | None) -> Callable[[str], dict[str, Any]]:
        """The context of a placement e-mail (as ``_mail_status`` writes it) for a fresh manage token."""

        def links(token: str) -> dict[str, Any]:
            return {
                "position": position,
                "manage_url": attendee_url(self.settings.base_url, token),
                "cancel_url": registration_cancel_url(self.settings.base_url, conference.slug, token),
            }

        return links

    def _places_in_database(self) -> bool:
        """PostgreSQL places at COMMIT (``confman_place_on_commit``); SQLite, and the control
        run without the lock, place here."""
        return self.db.get_bind().dialect.name == "postgresql" and not self.settings.unsafe_unlocked_allocation

    async def _submit_direct_in_database(
        self, conference: ConferenceLike, data: RegistrationCreate, answers: dict[str, Any], rules: EffectiveSettings
    ) -> Outcome:
        """The PostgreSQL path: the registration (pending), its token and its e-mail are
        written without any lock, in parallel with other requests, in one statement; the seat
        or waiting-list place is given at COMMIT (see :func:`commit_placement`)."""
        new_id = await self._insert_new(
            conference, rules, data, answers, RegistrationStatus.PENDING, None, TokenPurpose.MANAGE, Kind.PLACED,
            self._manage_links(conference, None),
        )  # fmt: skip
        if new_id is not None:
            return Outcome(PLACING, registration_id=new_id)
        # A known address: the insert did nothing (after waiting for a concurrent one's commit).
        existing = await self._existing(conference, data.email)
        if existing is None:
            raise ConflictError("email", "registering_now", "this address is being registered at this moment; please try again")
        if existing.status is not RegistrationStatus.CANCELLED:
            await self._mail_already(conference, existing)
            if existing.status is RegistrationStatus.PENDING:
                return Outcome("check_email", registration=existing)
            return Outcome(existing.status.value, await self.position(existing), existing)
        self._refill(existing, data, answers)
        await self.db.flush()
        created = self._event(conference, existing, Event.REGISTRATION_CREATED)
        return await self._request_placement(conference, existing, created)

    async def _request_placement(
        self, conference: ConferenceLike, registration: Registration, event: OutboxEvent | None = None
    ) -> Outcome:
        """Queue the placement e-mail; the trigger ``confman_place_on_commit`` (migration 0003)
        places ``registration`` (pending) at COMMIT, inside the conference's lock, and the
        placement's event (``registration.confirmed`` or ``.waitlisted``) is written then (0007)."""
        token = self._token(registration, TokenPurpose.MANAGE)
        self._enqueue(
            conference,
            registration,
            Kind.PLACED,
            {
                "position": None,
                "manage_url": attendee_url(self.settings.base_url, token),
                "cancel_url": registration_cancel_url(self.settings.base_url, conference.slug, token),
            },
            event,
        )
        await self.db.flush()
        return Outcome(PLACING, registration=registration)

    async def placed(self, registration_id: int) -> Outcome:
        """After the commit: what the placement gave, and the position it told the attendee."""
        status, position = (await self.db.execute(_PLACED, {"registration_id": registration_id})).one()
        result = RegistrationStatus(status)
        if result is not RegistrationStatus.WAITLISTED:
            return Outcome(result.value, registration_id=registration_id)
        if position is None:  # no waiting-list e-mail (an organiser's change): rank it
            position = await self.db.scalar(_POSITION, {"registration_id": registration_id})
        return Outcome(result.value, int(position), registration_id=registration_id)

    # --- confirming and allocating ------------------------------------------------------

    async def confirm(self, conference: Conference, token: str) -> Outcome:
        """Double opt-in: the attendee proves the address; a seat or a waiting-list place follows."""
        registration = await self.by_token(conference, token, TokenPurpose.CONFIRM)
        if registration is None:
            raise not_found("This confirmation link is not valid.")
        if registration.status is not RegistrationStatus.PENDING:
            return Outcome(registration.status.value, await self.position(registration), registration)
        if self._places_in_database():
            return await self._request_placement(conference, registration)
        rules = await RegistrationSettingsService(self.db).get(conference)
        await self._begin_allocation(conference)
        await self.db.refresh(registration)
        if registration.status is not RegistrationStatus.PENDING:
            return Outcome(registration.status.value, await self.position(registration), registration)
        status, seq, position = await self._allocation(conference, rules)
        if status is None:
            return Outcome("full", registration=registration)
        self._place(registration, status, seq)
        await self.db.flush()
        return await self._after_placing(conference, registration, position)

    async def _begin_allocation(self, conference: ConferenceLike) -> None:
        if self.settings.unsafe_unlocked_allocation:
            # Control runs only: end the transaction so that the capacity check below runs
            # in a new one that another request's check can overtake.
            set_write_intent(False)
            await self.db.commit()
            return
        await lock_conference(self.db, conference, self.settings)

    async def _allocation(
        self, conference: ConferenceLike, rules: EffectiveSettings
    ) -> tuple[RegistrationStatus | None, int | None, int | None]:
        """Inside the lock: a seat if one is free, else the next waiting-list number and the
        position it gives, else None. One row read: the lock is held for as short as possible."""
        confirmed, waiting, last_seq = await self.tally(conference.id)
        granted: tuple[RegistrationStatus | None, int | None, int | None]
        if rules.capacity is None or confirmed < rules.capacity:
            granted = (RegistrationStatus.CONFIRMED, None, None)
        elif rules.waitlist:
            granted = (RegistrationStatus.WAITLISTED, last_seq + 1, waiting + 1)
        else:
            granted = (None, None, None)
        if self.settings.unsafe_unlocked_allocation:
            await self.db.commit()
            set_write_intent(True)
            # Hold the gap between check and act open a moment, so that the control run
            # oversells every time rather than when the scheduler happens to allow it.
            await asyncio.sleep(UNSAFE_GAP_SECONDS)
        return granted

    def _place(self, registration: Registration, status: RegistrationStatus, seq: int | None) -> None:
        registration.status = status
        registration.waitlist_seq = seq
        if status is RegistrationStatus.CONFIRMED:
            registration.confirmed_at = utcnow()

    async def _after_placing(
        self, conference: ConferenceLike, registration: Registration, position: int | None = None
    ) -> Outcome:
        if registration.status is RegistrationStatus.CONFIRMED:
            await self._mail_status(conference, registration, Kind.CONFIRMED)
            return Outcome("confirmed", registration=registration)
        if position is None:
            position = await self.position(registration)
        await self._mail_status(conference, registration, Kind.WAITLISTED, position=position)
        return Outcome("waitlisted", position, registration)

    async def promote(self, conference: Conference, rules: EffectiveSettings | None = None) -> list[Registration]:
        """Fill free seats from the head of the waiting list (the caller holds the lock)."""
        rules = rules or await RegistrationSettingsService(self.db).get(conference)
        confirmed, waiting, _ = await self.tally(conference.id)
        free = waiting if rules.capacity is None else rules.capacity - confirmed
        if free <= 0 or waiting == 0:
            return []
        heads = list(
            await self.db.scalars(
                select(Registration)
                .where(
                    Registration.conference_id == conference.id, Registration.status == RegistrationStatus.WAITLISTED
                )
                .order_by(Registration.waitlist_seq)
                .limit(free)
            )
        )
        for registration in heads:
            self._place(registration, RegistrationStatus.CONFIRMED, None)
            await self._mail_status(conference, registration, Kind.PROMOTED)
        await self.db.flush()
        return heads

    # --- cancelling and organiser changes -------------------------------------------------

    async def cancel(self, conference: Conference, registration: Registration) -> list[Registration]:
        """Cancel and, in the same transaction, give the freed seat to the head of the waiting list."""
        await lock_conference(self.db, conference, self.settings)
        await self.db.refresh(registration)
        if registration.status is RegistrationStatus.CANCELLED:
            return []
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = utcnow()
        registration.waitlist_seq = None
        await self.db.flush()
        # Workshop seats go too, each to the head of its session's waiting list.
        await release_all_seats(self.db, registration.id, base_url=self.settings.base_url)
        await self._mail_status(conference, registration, Kind.CANCELLED)
        return await self.promote(conference)

    async def cancel_by_token(self, conference: Conference, token: str) -> Registration:
        registration = await self.by_token(conference, token, TokenPurpose.MANAGE)
        if registration is None:
            raise not_found("This link is not valid.")
        await self.cancel(conference, registration)
        return registration

    async def set_status(self, conference: Conference, registration: Registration, status: RegistrationStatus) -> None:
        """An organiser's change. A seat is never given beyond capacity."""
        if status is registration.status:
            return
        if status is RegistrationStatus.CANCELLED:
            await self.cancel(conference, registration)
            return
        if status is RegistrationStatus.PENDING:
            raise FieldError("status", "invalid_transition", "a registration cannot be made pending again")
        rules = await RegistrationSettingsService(self.db).get(conference)
        await lock_conference(self.db, conference, self.settings)
        await self.db.refresh(registration)
        if registration.status is RegistrationStatus.CONFIRMED:
            raise FieldError("status", "invalid_transition", "a confirmed registration can only be cancelled")
        confirmed, _, last_seq = await self.tally(conference.id)
        if status is RegistrationStatus.CONFIRMED:
            if rules.capacity is not None and confirmed >= rules.capacity:
                raise ConflictError("status", "no_free_seat", "no free seat; raise the capacity first")
            self._place(registration, RegistrationStatus.CONFIRMED, None)
            await self.db.flush()
            await self._after_placing(conference, registration)
            return
        # To the waiting list: only when it is on, and at its end.
        if not rules.waitlist:
            raise FieldError("status", "waitlist_off", "the waiting list is off")
        if rules.capacity is None or confirmed < rules.capacity:
            raise FieldError("status", "seats_free", "seats are free; confirm instead")
        self._place(registration, RegistrationStatus.WAITLISTED, last_seq + 1)
        await self.db.flush()
        await self._after_placing(conference, registration)

    async def resend(self, conference: Conference, registration: Registration) -> None:
        """Send the confirmation again (a fresh link: the old secret is not kept)."""
        if registration.status is RegistrationStatus.CANCELLED:
            raise FieldError("status", "cancelled", "the registration is cancelled")
        resent = self._event(conference, registration, Event.REGISTRATION_RESENT, status=registration.status.value)
        if registration.status is RegistrationStatus.PENDING:
            await self._mail_confirm_request(conference, registration, Kind.CONFIRM_REQUEST, resent)
        else:
            kind = Kind.CONFIRMED if registration.status is RegistrationStatus.CONFIRMED else Kind.WAITLISTED
            position = await self.position(registration)
            await self._mail_status(conference, registration, kind, position=position, event=resent)

    # --- e-mails -------------------------------------------------------------------------------

    def _token(self, registration: Registration, purpose: TokenPurpose) -> str:
        token = new_token("c" if purpose is TokenPurpose.CONFIRM else "m")
        self.db.add(RegistrationToken(registration_id=registration.id, purpose=purpose, token_hash=hash_token(token)))
        return token

    def _base_context(self, conference: ConferenceLike, registration: Registration) -> dict[str, Any]:
        return {"name": registration.name, "timezone": registration.timezone, "status": registration.status.value}

    def _event(
        self, conference: ConferenceLike, registration: Registration, event: Event, **payload: Any
    ) -> OutboxEvent:
        """Record ``event`` of ``registration`` (its id, and ``payload``: never a token or link)."""
        return emit(
            self.db, event, conference_id=conference.id, payload={"registration_id": registration.id, **payload}
        )

    def _enqueue(
        self,
        conference: ConferenceLike,
        registration: Registration,
        kind: str,
        context: dict[str, Any],
        event: OutboxEvent | None,
    ) -> OutboxMail:
        return enqueue(
            self.db,
            kind=kind,
            recipient=registration.email,
            language=registration.language,
            conference_id=conference.id,
            registration_id=registration.id,
            context={**self._base_context(conference, registration), **context},
            base_url=self.settings.base_url,
            event=event,
        )

    async def _mail_confirm_request(
        self, conference: ConferenceLike, registration: Registration, kind: str, event: OutboxEvent
    ) -> None:
        token = self._token(registration, TokenPurpose.CONFIRM)
        url = registration_confirm_url(self.settings.base_url, conference.slug, token)
        self._enqueue(conference, registration, kind, {"confirm_url": url}, event)
        await self.db.flush()

    async def _mail_already(self, conference: ConferenceLike, registration: Registration) -> None:
        context: dict[str, Any] = {}
        if registration.status is RegistrationStatus.PENDING:
            token = self._token(registration, TokenPurpose.CONFIRM)
            context["confirm_url"] = registration_confirm_url(self.settings.base_url, conference.slug, token)
        else:
            token = self._token(registration, TokenPurpose.MANAGE)
            context["manage_url"] = attendee_url(self.settings.base_url, token)
            context["cancel_url"] = registration_cancel_url(self.settings.base_url, conference.slug, token)
            context["position"] = await self.position(registration)
        event = self._event(conference, registration, Event.REGISTRATION_REPEATED)
        self._enqueue(conference, registration, Kind.ALREADY_REGISTERED, context, event)
        await self.db.flush()

    async def _mail_status(
        self,
        conference: ConferenceLike,
        registration: Registration,
        kind: str,
        *,
        position: int | None = None,
        event: OutboxEvent | None = None,
    ) -> None:
        """The e-mail of a status change (``kind``), delivering ``event`` (by default the
        change's own: ``STATUS_EVENTS``)."""
        if event is None:
            payload = {"position": position} if kind == Kind.WAITLISTED else {}
            event = self._event(conference, registration, STATUS_EVENTS[Kind(kind)], **payload)
        context: dict[str, Any] = {"position": position}
        if kind != Kind.CANCELLED:
            token = self._token(registration, TokenPurpose.MANAGE)
            context["manage_url"] = attendee_url(self.settings.base_url, token)
            context["cancel_url"] = registration_cancel_url(self.settings.base_url, conference.slug, token)
        self._enqueue(conference, registration, kind, context, event)
        await self.db.flush()


FULL_ON_COMMIT = "confman: conference full"
# What confman_place_on_commit (migration 0005) tells the committing client: "confman placed
# <registration id> confirmed" or "confman placed <registration id> waitlisted <position>".
_PLACED_NOTICE = re.compile(r"confman placed (\d+) (confirmed|waitlisted)(?: (\d+))?")


async def commit_placement(db: AsyncSession, service: RegistrationService, outcome: Outcome) -> Outcome:
    """Commit a placement that PostgreSQL makes at COMMIT, and say what it gave.

    The one commit on a request path outside ``provide_db_session`` (PostgreSQL only): the answer must say
    whether the attendee got a seat, and that is decided by the commit (its trigger holds the
    conference's lock for no client round trip). A full conference without a waiting list
    aborts the commit: nothing of the submit stays, and the answer is "full". Other outcomes
    pass through; ``provide_db_session`` commits them as usual.

    The trigger reports the placement as a notice within the COMMIT's answer, so a commit is
    one round trip and no query follows it. Should the notice not arrive (a server configured
    with ``client_min_messages`` above NOTICE, say), the answer is read back instead.
    """
    registration_id = outcome.registration.id if outcome.registration is not None else outcome.registration_id
    if outcome.result != PLACING or registration_id is None:
        return outcome
    driver = (await (await db.connection()).get_raw_connection()).driver_connection  # asyncpg's
    assert driver is not None  # a connection is checked out: the submit wrote with it
    reported: dict[int, Outcome] = {}

    def on_notice(_connection: Any, message: Any) -> None:
        # Only ours: the connection goes back to the pool within the commit.
        found = _PLACED_NOTICE.fullmatch(getattr(message, "message", "") or "")
        if found is not None and int(found[1]) == registration_id:
            position = int(found[3]) if found[3] is not None else None
            reported[registration_id] = Outcome(found[2], position, registration_id=registration_id)

    driver.add_log_listener(on_notice)
    try:
        await db.commit()
    except DBAPIError as error:
        await db.rollback()
        if FULL_ON_COMMIT in str(error):
            return Outcome("full")
        raise
    finally:
        driver.remove_log_listener(on_notice)
    # asyncpg hands notices to listeners with call_soon, before it wakes the committing task;
    # the fallback is a new transaction, which provide_db_session commits.
    return reported.get(registration_id) or await service.placed(registration_id)
