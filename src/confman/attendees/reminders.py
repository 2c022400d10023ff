"""Reminder e-mails before each followed session, through the outbox.

Every mail worker (``confman worker`` and the embedded one) looks for due reminders every
``reminder_poll_seconds``. A reminder is due from ``reminder_minutes`` (per conference,
default 60) before a session's start until the start. It is claimed by inserting a
``session_reminder`` row (registration, session, start) with ``ON CONFLICT DO NOTHING …
RETURNING``, in the same transaction as its outbox event (``reminder.due``) and e-mail: however many workers look at the
same moment, the unique key lets each pair through once, and the e-mail exists exactly when
the claim does. A session moved later gets a new reminder for its new start.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from confman.attendees.links import attendee_tokens_for
from confman.attendees.notices import REMINDER
from confman.db.models import (
    Conference,
    ConferenceSession,
    ConferenceStatus,
    Event,
    Registration,
    RegistrationSettings,
    RegistrationStatus,
    SeatStatus,
    SessionFollow,
    SessionReminder,
    SessionSeat,
    SessionStatus,
)
from confman.lib.urls import join_url, session_url
from confman.mail.outbox import emit, enqueue
from confman.registration.rules import DEFAULTS
from confman.settings import Settings

# The longest lead time the settings allow: sessions further away are never due.
MAX_LEAD = timedelta(days=7)


async def _due_sessions(db: AsyncSession, now: datetime) -> list[tuple[ConferenceSession, str]]:
    """Confirmed sessions of published conferences whose reminders are due now, with the
    conference's slug."""
    rows = await db.execute(
        select(ConferenceSession, Conference.slug, RegistrationSettings.id, RegistrationSettings.reminder_minutes)
        .join(Conference, Conference.id == ConferenceSession.conference_id)
        .outerjoin(RegistrationSettings, RegistrationSettings.conference_id == Conference.id)
        .where(
            Conference.status == ConferenceStatus.PUBLISHED,
            ConferenceSession.status == SessionStatus.CONFIRMED,
            ConferenceSession.starts_at > now,
            ConferenceSession.starts_at <= now + MAX_LEAD,
        )
        .order_by(ConferenceSession.starts_at)
    )
    due = []
    for session, slug, settings_id, minutes in rows.tuples():
        lead = DEFAULTS.reminder_minutes if settings_id is None else minutes
        if lead is not None and session.starts_at - timedelta(minutes=lead) <= now:
            due.append((session, slug))
    return due


async def _recipients(db: AsyncSession, session: ConferenceSession) -> list[Registration]:
    """Confirmed registrants who follow the session (hold a seat, if it has a capacity) and
    have no reminder for this start yet."""
    follows = (
        exists().where(SessionSeat.session_id == session.id, SessionSeat.registration_id == Registration.id,
                       SessionSeat.status == SeatStatus.CONFIRMED)
        if session.capacity is not None
        else or_(
            Registration.follows_all,
            exists().where(SessionFollow.session_id == session.id, SessionFollow.registration_id == Registration.id),
        )
    )  # fmt: skip
    reminded = exists().where(
        SessionReminder.registration_id == Registration.id,
        SessionReminder.session_id == session.id,
        SessionReminder.starts_at == session.starts_at,
    )
    return list(
        await db.scalars(
            select(Registration)
            .where(
                Registration.conference_id == session.conference_id,
                Registration.status == RegistrationStatus.CONFIRMED,
                Registration.erased_at.is_(None),
                follows,
                ~reminded,
            )
            .order_by(Registration.id)
        )
    )


async def _claim(db: AsyncSession, session: ConferenceSession, registrations: list[Registration]) -> set[int]:
    """Insert the reminder rows; the registration ids this transaction got (others' are skipped)."""
    insert = postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = datetime.now(session.starts_at.tzinfo)
    statement = (
        insert(SessionReminder)
        .values(
            [
                {"registration_id": registration.id, "session_id": session.id, "starts_at": session.starts_at,
                 "created_at": now, "updated_at": now}
                for registration in registrations
            ]
        )
        .on_conflict_do_nothing(
            index_elements=[SessionReminder.registration_id, SessionReminder.session_id, SessionReminder.starts_at]
        )
        .returning(SessionReminder.registration_id)
    )  # fmt: skip
    return set(await db.scalars(statement))


async def queue_due_reminders(db: AsyncSession, settings: Settings, now: datetime) -> int:
    """Queue every due reminder in the caller's transaction; how many were queued."""
    queued = 0
    for session, slug in await _due_sessions(db, now):
        registrations = await _recipients(db, session)
        if not registrations:
            continue
        claimed = await _claim(db, session, registrations)
        chosen = [registration for registration in registrations if registration.id in claimed]
        tokens = await attendee_tokens_for(db, [registration.id for registration in chosen], settings.secret_key)
        for registration in chosen:
            context: dict[str, Any] = {
                "name": registration.name,
                "timezone": registration.timezone,
                "session": session.slug,
                "starts_at": session.starts_at.isoformat(),
                "join_url": join_url(settings.base_url, tokens[registration.id].join, session.slug),
                "session_url": session_url(settings.base_url, slug, session.slug),
            }
            due = emit(
                db, Event.REMINDER_DUE, conference_id=session.conference_id,
                payload={"registration_id": registration.id, "session_id": session.id, "session": session.slug,
                         "starts_at": session.starts_at.isoformat()},
            )  # fmt: skip
            enqueue(
                db, kind=REMINDER, recipient=registration.email, language=registration.language,
                conference_id=session.conference_id, registration_id=registration.id, context=context,
                base_url=settings.base_url, event=due,
            )  # fmt: skip
            queued += 1
    await db.flush()
    return queued
