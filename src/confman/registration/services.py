"""Registration, the organisers' side: reading and finding registrations, changing a status,
sending the confirmation again, cancelling; and the registration rules.

The parts it stands on: ``rules.py`` (the rules as values and the checks), ``queries.py`` (the
statements), ``placement.py`` (seats, the lock, the waiting list), ``notices.py`` (the
e-mails), ``submit.py`` (the public submit and confirmation).
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import (
    Conference,
    Event,
    Registration,
    RegistrationSettings,
    RegistrationStatus,
    TokenPurpose,
)
from confman.lib.errors import ConflictError, FieldError, not_found
from confman.lib.timezones import to_utc, utcnow
from confman.lib.validation import refuse_nulls
from confman.registration.filters import EVERYONE, AudienceFilter
from confman.registration.notices import Kind, RegistrationNotices
from confman.registration.placement import LOCKED, Placement, Placer, place, tally
from confman.registration.queries import conference_rules, registration_by_token, waitlist_position
from confman.registration.rules import EffectiveSettings, effective
from confman.registration.schemas import RegistrationSettingsUpdate, RegistrationSettingsWrite
from confman.registration.seats import release_all_seats
from confman.settings import Settings


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
        return await conference_rules(self.db, conference)

    async def replace(
        self,
        conference: Conference,
        data: RegistrationSettingsWrite,
        settings: Settings,
        placement: Placement = LOCKED,
    ) -> EffectiveSettings:
        """All the rules at once (PUT): a field not given takes its default."""
        _check(conference, data)
        await placement.lock(self.db, conference)
        return await self._write(conference, data, settings)

    async def update(
        self,
        conference: Conference,
        data: RegistrationSettingsUpdate,
        settings: Settings,
        placement: Placement = LOCKED,
    ) -> EffectiveSettings:
        """Only the rules ``data`` names (PATCH, and every organiser page): the others stay.
        Read inside the lock, so two partial updates at once both keep what the other wrote."""
        refuse_nulls(data)
        changes = data.model_dump(exclude_unset=True)
        await placement.lock(self.db, conference)
        current = await self.get(conference)
        merged = RegistrationSettingsWrite.model_validate({**_write_values(current), **changes})
        # Only what was sent is checked: rules written before a language was dropped stay as they were.
        _check(conference, merged, changes)
        return await self._write(conference, merged, settings)

    async def _write(
        self, conference: Conference, data: RegistrationSettingsWrite, settings: Settings
    ) -> EffectiveSettings:
        row = await self.row(conference)
        if row is None:
            # Written with its defaults first: on INSERT SQLAlchemy takes an attribute set to None
            # as "not given" and applies the column's default, so "no reminders" (null) became
            # 60 minutes on a conference's first rules. An UPDATE writes the NULL.
            row = RegistrationSettings(conference_id=conference.id)
            self.db.add(row)
            await self.db.flush()
        row.opens_at = to_utc(data.opens_at, conference.timezone) if data.opens_at else None
        row.closes_at = to_utc(data.closes_at, conference.timezone) if data.closes_at else None
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
        await Placer(self.db, RegistrationNotices(self.db, settings)).promote(conference, rules)
        return rules


_ALL = frozenset(RegistrationSettingsWrite.model_fields)


def _check(conference: Conference, data: RegistrationSettingsWrite, fields: Container[str] = _ALL) -> None:
    """What the schema cannot know: the conference's languages and zone (of ``fields``)."""
    for field in data.privacy_text if "privacy_text" in fields else ():
        if field not in conference.languages:
            raise FieldError(f"privacy_text.{field}", "language_not_offered", "language not offered by the conference")
    for index, question in enumerate(data.questions if "questions" in fields else ()):
        for language in question.label:
            if language not in conference.languages:
                raise FieldError(
                    f"questions.{index}.label.{language}",
                    "language_not_offered",
                    "language not offered by the conference",
                )
    opens_at = to_utc(data.opens_at, conference.timezone) if data.opens_at else None
    closes_at = to_utc(data.closes_at, conference.timezone) if data.closes_at else None
    if opens_at and closes_at and closes_at <= opens_at:
        raise FieldError("closes_at", "before_start", "must be after opens_at")


def _write_values(rules: EffectiveSettings) -> dict[str, Any]:
    """The rules in force, as the input that would write them again."""
    return {
        "opens_at": rules.opens_at,
        "closes_at": rules.closes_at,
        "capacity": rules.capacity,
        "waitlist": rules.waitlist,
        "double_opt_in": rules.double_opt_in,
        "privacy_text": dict(rules.privacy_text),
        "questions": [question.model_dump() for question in rules.questions],
        "join_opens_minutes": rules.join_opens_minutes,
        "join_closes_minutes": rules.join_closes_minutes,
        "reminder_minutes": rules.reminder_minutes,
    }


class RegistrationService:
    """One request's view of a conference's registrations. ``placement`` is the app's (see
    :class:`~confman.registration.placement.Placement`); changes that give or free a seat use it."""

    def __init__(self, db: AsyncSession, settings: Settings, placement: Placement = LOCKED) -> None:
        self.db = db
        self.settings = settings
        self.placement = placement
        self.notices = RegistrationNotices(db, settings)
        self.placer = Placer(db, self.notices)

    # --- reading -------------------------------------------------------------------

    async def counts(self, conference: Conference) -> dict[RegistrationStatus, int]:
        rows = await self.db.execute(
            select(Registration.status, func.count())
            .where(Registration.conference_id == conference.id)
            .group_by(Registration.status)
        )
        found = dict(rows.tuples().all())
        return {status: found.get(status, 0) for status in RegistrationStatus}

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
        return await waitlist_position(self.db, registration)

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
        audience: AudienceFilter = EVERYONE,
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Registration]:
        """The registrations ``audience`` names, oldest first (by id)."""
        clauses = audience.clauses(conference.id, self.db.get_bind().dialect.name)
        query = select(Registration).where(*clauses).order_by(Registration.id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return list(await self.db.scalars(query))

    async def count(self, conference: Conference, audience: AudienceFilter = EVERYONE) -> int:
        clauses = audience.clauses(conference.id, self.db.get_bind().dialect.name)
        return int(await self.db.scalar(select(func.count()).select_from(Registration).where(*clauses)) or 0)

    async def get(self, conference: Conference, registration_id: int) -> Registration:
        registration = await self.db.scalar(
            select(Registration).where(Registration.conference_id == conference.id, Registration.id == registration_id)
        )
        if registration is None:
            raise not_found("Registration not found")
        return registration

    async def by_token(self, conference: Conference, token: str, purpose: TokenPurpose) -> Registration | None:
        """The registration a private token belongs to; the lookup is by hash, never by token."""
        return await registration_by_token(self.db, conference, token, purpose)

    # --- cancelling and organiser changes -------------------------------------------------

    async def cancel(self, conference: Conference, registration: Registration) -> list[Registration]:
        """Cancel and, in the same transaction, give the freed seat to the head of the waiting list."""
        await self.placement.lock(self.db, conference)
        await self.db.refresh(registration)
        if registration.status is RegistrationStatus.CANCELLED:
            return []
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = utcnow()
        registration.waitlist_seq = None
        await self.db.flush()
        # Workshop seats go too, each to the head of its session's waiting list.
        await release_all_seats(self.db, registration.id, base_url=self.settings.base_url)
        await self.notices.status(conference, registration, Kind.CANCELLED)
        return await self.placer.promote(conference)

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
        rules = await conference_rules(self.db, conference)
        await self.placement.lock(self.db, conference)
        await self.db.refresh(registration)
        if registration.status is RegistrationStatus.CONFIRMED:
            raise FieldError("status", "invalid_transition", "a confirmed registration can only be cancelled")
        confirmed, _, last_seq = await tally(self.db, conference.id)
        if status is RegistrationStatus.CONFIRMED:
            if rules.capacity is not None and confirmed >= rules.capacity:
                raise ConflictError("status", "no_free_seat", "no free seat; raise the capacity first")
            place(registration, RegistrationStatus.CONFIRMED, None)
            await self.db.flush()
            await self.placer.after_placing(conference, registration)
            return
        # To the waiting list: only when it is on, and at its end.
        if not rules.waitlist:
            raise FieldError("status", "waitlist_off", "the waiting list is off")
        if rules.capacity is None or confirmed < rules.capacity:
            raise FieldError("status", "seats_free", "seats are free; confirm instead")
        place(registration, RegistrationStatus.WAITLISTED, last_seq + 1)
        await self.db.flush()
        await self.placer.after_placing(conference, registration)

    async def resend(self, conference: Conference, registration: Registration) -> None:
        """Send the confirmation again (a fresh link: the old secret is not kept)."""
        if registration.status is RegistrationStatus.CANCELLED:
            raise FieldError("status", "cancelled", "the registration is cancelled")
        resent = self.notices.event(
            conference, registration, Event.REGISTRATION_RESENT, status=registration.status.value
        )
        if registration.status is RegistrationStatus.PENDING:
            await self.notices.confirm_request(conference, registration, event=resent)
        else:
            kind = Kind.CONFIRMED if registration.status is RegistrationStatus.CONFIRMED else Kind.WAITLISTED
            position = await self.position(registration)
            await self.notices.status(conference, registration, kind, position=position, event=resent)
