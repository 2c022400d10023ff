"""The registration submit and the double opt-in confirmation: the public hot path.

A new registration, its private token and its e-mail are written with Core inserts (one
statement on PostgreSQL); ``INSERT … ON CONFLICT DO NOTHING`` tells a known address, which
gets the same answer and an e-mail that says so. Without double opt-in the submit takes a seat
or a waiting-list place (:mod:`confman.registration.placement`).
"""

from __future__ import annotations

from typing import Any

from litestar.di import NamedDependency
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.conferences.services import CONFERENCE_NOT_FOUND
from confman.db.models import (
    PAYLOAD_VERSION,
    Conference,
    ConferenceStatus,
    Event,
    OutboxEvent,
    Registration,
    RegistrationStatus,
    TokenPurpose,
)
from confman.lib.errors import ConflictError, FieldError, not_found
from confman.lib.timezones import utcnow
from confman.lib.tokens import hash_token, new_token
from confman.lib.validation import is_slug
from confman.mail.outbox import event_values, outbox_values
from confman.registration.notices import Kind, Links, RegistrationNotices, token_prefix
from confman.registration.placement import PLACING, Outcome, Placement, Placer, place
from confman.registration.queries import (
    MAIL_OUTBOX,
    OUTBOX_EVENT,
    POSTGRESQL_INSERT_NEW,
    REGISTRATION_TOKEN,
    SQLITE_INSERT_REGISTRATION,
    SUBMIT_TARGET,
    conference_rules,
    registration_by_token,
    waitlist_position,
)
from confman.registration.rules import (
    DEFAULTS,
    ConferenceLike,
    EffectiveSettings,
    RegistrationClosed,
    StaleTarget,
    SubmitTarget,
    check_answers,
    check_language,
    check_open,
    effective,
    rules_changed,
)
from confman.registration.schemas import RegistrationCreate
from confman.settings import Settings

MAX_CACHED_TARGETS = 256


class SubmitTargets:
    """One app's memory of the conferences (and their rules) that its submits last read, by
    slug, oldest first, at most ``size`` of them.

    Owned by the app (``create_app`` makes one per app, so per worker process), not by the
    module: apps share nothing. Safe to trust only because each use is verified by the insert
    (see ``queries.POSTGRESQL_INSERT_NEW``), which writes nothing when the copy is stale.
    """

    def __init__(self, size: int = MAX_CACHED_TARGETS) -> None:
        self.size = size
        self._entries: dict[str, tuple[SubmitTarget, EffectiveSettings]] = {}

    def get(self, slug: str) -> tuple[SubmitTarget, EffectiveSettings] | None:
        return self._entries.get(slug)

    def remember(self, slug: str, target: SubmitTarget, rules: EffectiveSettings) -> None:
        self._entries[slug] = (target, rules)
        while len(self._entries) > self.size:
            self._entries.pop(next(iter(self._entries)))

    def forget(self, slug: str) -> None:
        self._entries.pop(slug, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


# How handlers ask for the running app's memory of conferences.
AppSubmitTargets = NamedDependency[SubmitTargets]


class Submission:
    """Submits and confirmations of one request (its database session).

    ``targets`` (the app's :class:`SubmitTargets`) lets :meth:`submit_to` skip reading the
    conference where the insert verifies it (PostgreSQL); without it every submit reads.
    """

    def __init__(
        self, db: AsyncSession, settings: Settings, placement: Placement, targets: SubmitTargets | None = None
    ) -> None:
        self.db = db
        self.settings = settings
        self.placement = placement
        self.targets = targets
        self.notices = RegistrationNotices(db, settings)
        self.placer = Placer(db, self.notices)

    async def submit(
        self, conference: Conference, data: RegistrationCreate, rules: EffectiveSettings | None = None
    ) -> Outcome:
        """Register ``data`` for ``conference``; nothing is written when the input is refused."""
        rules = rules or await conference_rules(self.db, conference)
        try:
            return await self._submit(conference, rules, data)
        except StaleTarget:
            raise rules_changed() from None

    async def submit_to(self, slug: str, data: RegistrationCreate) -> Outcome:
        """The public JSON submit: the conference and its rules in one Core query, then
        :meth:`submit`'s work. A draft or unknown conference is the 404 of ``access``.

        On PostgreSQL the app remembers what it read (``targets``) and checks the next submit
        against it with no query: the insert itself verifies that the copy is current, and
        writes nothing when it is not. A stale copy, or any refusal made by a copy (closed,
        unknown language, an answer that is no longer a question), is checked again against
        fresh data, so no submit is accepted or refused by rules that no longer hold.
        """
        targets = self.targets if self.placement.at_commit(self.db) else None
        cached = targets.get(slug) if targets is not None else None
        if targets is not None and cached is not None:
            try:
                answers = self._check(*cached, data)
                return await self._write(*cached, data, answers)
            except (StaleTarget, RegistrationClosed, FieldError):  # refusals come before any write
                targets.forget(slug)
        row = (await self.db.execute(SUBMIT_TARGET, {"slug": slug})).first() if is_slug(slug) else None
        if row is None or ConferenceStatus(row.status) is not ConferenceStatus.PUBLISHED:
            raise not_found(CONFERENCE_NOT_FOUND)
        target = SubmitTarget(
            id=row.id, slug=row.slug, status=ConferenceStatus(row.status), timezone=row.timezone,
            ends_on=row.ends_on, languages=row.languages, updated_at=row.conference_updated_at,
        )  # fmt: skip
        # The settings' columns carry the model's names: the one conversion serves here too.
        rules = effective(row) if row.settings_id is not None else DEFAULTS
        if targets is not None:
            targets.remember(slug, target, rules)
        try:
            return await self._submit(target, rules, data)
        except StaleTarget:
            # Changed between this read and the insert (an organiser at this very moment).
            if targets is not None:
                targets.forget(slug)
            raise rules_changed() from None

    async def confirm(self, conference: Conference, token: str) -> Outcome:
        """Double opt-in: the attendee proves the address; a seat or a waiting-list place follows."""
        registration = await registration_by_token(self.db, conference, token, TokenPurpose.CONFIRM)
        if registration is None:
            raise not_found("This confirmation link is not valid.")
        if registration.status is not RegistrationStatus.PENDING:
            return Outcome(registration.status.value, await waitlist_position(self.db, registration), registration)
        if self.placement.at_commit(self.db):
            return await self._request_placement(conference, registration)
        rules = await conference_rules(self.db, conference)
        await self.placement.begin(self.db, conference)
        await self.db.refresh(registration)
        if registration.status is not RegistrationStatus.PENDING:
            return Outcome(registration.status.value, await waitlist_position(self.db, registration), registration)
        status, seq, position = await self.placement.allocation(self.db, conference, rules)
        if status is None:
            return Outcome("full", registration=registration)
        place(registration, status, seq)
        await self.db.flush()
        return await self.placer.after_placing(conference, registration, position)

    # --- checking -----------------------------------------------------------------------

    async def _submit(self, conference: ConferenceLike, rules: EffectiveSettings, data: RegistrationCreate) -> Outcome:
        return await self._write(conference, rules, data, self._check(conference, rules, data))

    def _check(self, conference: ConferenceLike, rules: EffectiveSettings, data: RegistrationCreate) -> dict[str, Any]:
        """Refuse a submit that the rules do not allow (nothing is written); the normalised answers."""
        check_open(conference, rules)
        check_language(conference, data.language)
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

    # --- writing ------------------------------------------------------------------------

    async def _submit_pending(
        self, conference: ConferenceLike, data: RegistrationCreate, answers: dict[str, Any], rules: EffectiveSettings
    ) -> Outcome:
        new_id = await self._insert_new(
            conference, rules, data, answers, RegistrationStatus.PENDING, None, TokenPurpose.CONFIRM,
            Kind.CONFIRM_REQUEST, self.notices.confirm_links(conference),
        )  # fmt: skip
        if new_id is not None:
            return Outcome("check_email", registration_id=new_id)
        # A known address (perhaps submitted at this moment by another request, whose commit
        # the insert waited for): the same answer, and an e-mail that says so.
        existing = await self._existing(conference, data.email)
        if existing is None:
            raise ConflictError(
                "email", "registering_now", "this address is being registered at this moment; please try again"
            )
        if existing.status is RegistrationStatus.CANCELLED:
            self._refill(existing, data, answers)
            await self.db.flush()
            created = self.notices.event(conference, existing, Event.REGISTRATION_CREATED)
            await self.notices.confirm_request(conference, existing, event=created)
        else:
            await self.notices.already_registered(conference, existing)
        return Outcome("check_email", registration=existing)

    async def _submit_direct(
        self, conference: ConferenceLike, data: RegistrationCreate, answers: dict[str, Any], rules: EffectiveSettings
    ) -> Outcome:
        """Without double opt-in the submit itself takes a seat (or a waiting-list place)."""
        if self.placement.at_commit(self.db):
            return await self._submit_direct_in_database(conference, data, answers, rules)
        # Placed here (SQLite): this request holds the write lock from its first statement
        # (BEGIN IMMEDIATE), so the allocation stays true until the insert.
        await self.placement.begin(self.db, conference)
        status, seq, position = await self.placement.allocation(self.db, conference, rules)
        if status is None:
            # Full without a waiting list; a known address still gets its own answer below.
            if await self._existing(conference, data.email) is None:
                return Outcome("full")
        else:
            new_id = await self._insert_new(
                conference, rules, data, answers, status, seq, TokenPurpose.MANAGE,
                Kind.CONFIRMED if status is RegistrationStatus.CONFIRMED else Kind.WAITLISTED,
                self.notices.manage_links(conference, position),
            )  # fmt: skip
            if new_id is not None:
                return Outcome(status.value, position, registration_id=new_id)
        # A known address: its own answer, or a cancelled one registering again.
        await self.placement.begin(self.db, conference)
        existing = await self._existing(conference, data.email)
        if existing is not None and existing.status is not RegistrationStatus.CANCELLED:
            await self.notices.already_registered(conference, existing)
            if existing.status is RegistrationStatus.PENDING:
                return Outcome("check_email", registration=existing)
            return Outcome(existing.status.value, await waitlist_position(self.db, existing), existing)
        status, seq, position = await self.placement.allocation(self.db, conference, rules)
        if status is None:
            return Outcome("full")
        registration = existing or self._new(conference, data, answers)
        if existing is not None:
            self._refill(existing, data, answers)
        place(registration, status, seq)
        self.db.add(registration)
        await self.db.flush()
        self.notices.event(conference, registration, Event.REGISTRATION_CREATED)
        return await self.placer.after_placing(conference, registration, position)

    async def _submit_direct_in_database(
        self, conference: ConferenceLike, data: RegistrationCreate, answers: dict[str, Any], rules: EffectiveSettings
    ) -> Outcome:
        """The PostgreSQL path: the registration (pending), its token and its e-mail are
        written without any lock, in parallel with other requests, in one statement; the seat
        or waiting-list place is given at COMMIT (see :func:`placement.commit_placement`)."""
        new_id = await self._insert_new(
            conference, rules, data, answers, RegistrationStatus.PENDING, None, TokenPurpose.MANAGE, Kind.PLACED,
            self.notices.manage_links(conference, None),
        )  # fmt: skip
        if new_id is not None:
            return Outcome(PLACING, registration_id=new_id)
        # A known address: the insert did nothing (after waiting for a concurrent one's commit).
        existing = await self._existing(conference, data.email)
        if existing is None:
            raise ConflictError(
                "email", "registering_now", "this address is being registered at this moment; please try again"
            )
        if existing.status is not RegistrationStatus.CANCELLED:
            await self.notices.already_registered(conference, existing)
            if existing.status is RegistrationStatus.PENDING:
                return Outcome("check_email", registration=existing)
            return Outcome(existing.status.value, await waitlist_position(self.db, existing), existing)
        self._refill(existing, data, answers)
        await self.db.flush()
        created = self.notices.event(conference, existing, Event.REGISTRATION_CREATED)
        return await self._request_placement(conference, existing, created)

    async def _request_placement(
        self, conference: ConferenceLike, registration: Registration, event: OutboxEvent | None = None
    ) -> Outcome:
        """Queue the placement e-mail; the trigger ``confman_place_on_commit`` (migration 0003)
        places ``registration`` (pending) at COMMIT, inside the conference's lock, and the
        placement's event (``registration.confirmed`` or ``.waitlisted``) is written then (0007)."""
        token = self.notices.token(registration, TokenPurpose.MANAGE)
        links = self.notices.manage_links(conference, None)(token)
        self.notices.enqueue(conference, registration, Kind.PLACED, links, event)
        await self.db.flush()
        return Outcome(PLACING, registration=registration)

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
        links: Links,
    ) -> int | None:
        """A new registration with its private token, its events and its e-mail, as Core inserts; the new
        id, or None (and nothing written) when the address is registered already.

        ``INSERT … ON CONFLICT DO NOTHING`` replaces a look-up and a savepoint: a concurrent
        insert of the same address makes this one wait for its commit and then do nothing.
        On PostgreSQL the three inserts are one statement (data-modifying CTEs), one round trip.
        ``links(token)`` gives the e-mail's private links for the fresh token.
        On PostgreSQL nothing is written, and :class:`StaleTarget` raised, when the conference
        or its rules changed since they were read (``conference.updated_at``, ``rules.version``).
        """
        now = utcnow()
        token = new_token(token_prefix(purpose))
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
            inserted = (await self.db.execute(POSTGRESQL_INSERT_NEW, parameters)).one()
            if not inserted.current:
                raise StaleTarget
            new_id: int | None = inserted.id
            return new_id
        new_id = await self.db.scalar(SQLITE_INSERT_REGISTRATION, parameters)
        if new_id is None:
            return None
        await self.db.execute(insert(REGISTRATION_TOKEN), {**token_row, "registration_id": new_id})
        # The events in one statement (VALUES in order, so ids rise); the e-mail delivers the last.
        rows = [
            event_values(event, conference_id=conference.id, payload={"registration_id": new_id, **payload}, now=now)
            for event, payload in events
        ]
        mail["event_id"] = max(await self.db.scalars(insert(OUTBOX_EVENT).values(rows).returning(OUTBOX_EVENT.c.id)))
        await self.db.execute(insert(MAIL_OUTBOX), {**mail, "registration_id": new_id})
        return new_id

    # --- the ORM row, where a known address is involved ------------------------------------

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
