"""The release e-mail: per release, one e-mail to each person who follows a session that moved,
was rescheduled, cancelled, restored or removed from the programme (attendees through their
follows, speakers through their organiser-only address), listing just those sessions in both
zones and carrying them as an ``.ics`` with the same UIDs and their new SEQUENCE. Queued in the
release's transaction (one row per address, whatever their roles), worded when the worker sends
it.

A removed session (deleted, or back to draft) is no longer in the published programme, and a
deleted one's follows, seats and speaker links are gone: its followers and calendar identity
come from its change's private ``removal`` (``conferences.change_record``), its last public
state from the change's before-snapshot, and its event is written cancelled, one SEQUENCE past
the last the public saw, so calendar apps drop it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.calendar.ical import build_calendar
from confman.changes.wording import SessionChange, describe, moment, net_changes
from confman.db.models import (
    Conference,
    OutboxEvent,
    OutboxMail,
    ProgrammeChange,
    ProgrammeRelease,
    Registration,
    RegistrationStatus,
    SeatStatus,
    SessionFollow,
    SessionKind,
    SessionSeat,
    SessionSpeaker,
    Speaker,
)
from confman.lib.i18n import ui_language
from confman.lib.templating import gettext_callables
from confman.lib.timezones import utcnow
from confman.lib.translations import pick
from confman.lib.urls import changes_url, programme_ics_url
from confman.mail.messages import (
    Attachment,
    Link,
    MailContent,
    RenderRequest,
    date_line,
    greeting,
    register,
    zones_note,
)
from confman.mail.outbox import outbox_values
from confman.published.model import PublicSession
from confman.registration.notices import MailProgramme, attendee_zone, mail_programme

# The e-mail kind of a release's changes (it delivers the event ``programme.released``).
RELEASE_CHANGES = "release_changes"


@dataclass
class _Recipient:
    address: str
    name: str
    language: str
    timezone: str | None
    registration_id: int | None
    sessions: set[int] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)  # slugs of sessions removed from the programme


@dataclass(frozen=True)
class _Removal:
    """A removed session's ``removal`` record and when it was removed."""

    slug: str
    shown: dict[str, Any]  # its last public state: the before-snapshot of the change removing it
    guid: uuid.UUID
    revision: int
    registrations: frozenset[int]
    speakers: frozenset[int]
    removed_at: datetime


def _removals(changes: Iterable[ProgrammeChange], removed: Iterable[SessionChange]) -> dict[str, _Removal]:
    """Per removed session's slug, what its last change (the one that removed it) recorded; none
    for a change recorded before ``removal`` existed."""
    last = {change.session_slug: change for change in sorted(changes, key=lambda row: row.id)}
    found = {}
    for change in removed:
        row = last[change.slug]
        if row.removal and row.before:
            found[change.slug] = _Removal(
                change.slug,
                row.before,
                uuid.UUID(row.removal["guid"]),
                int(row.removal["revision"]),
                frozenset(row.removal["registrations"]),
                frozenset(row.removal["speakers"]),
                row.changed_at,
            )
    return found


async def queue_release_mails(
    db: AsyncSession,
    conference: Conference,
    release: ProgrammeRelease,
    changes: Sequence[ProgrammeChange],
    *,
    event: OutboxEvent,
    base_url: str,
) -> int:
    """One e-mail per address that follows a session this release moved, cancelled or removed; how many."""
    notified = [change for change in net_changes(changes) if change.notified]
    affected = {change.session_id for change in notified if not change.removed and change.session_id}
    removals = _removals(changes, [change for change in notified if change.removed])
    if not affected and not removals:
        return 0
    recipients: dict[str, _Recipient] = {}
    chosen: dict[int, set[int]] = {}
    for registration_id, session_id in await db.execute(
        select(SessionFollow.registration_id, SessionFollow.session_id).where(SessionFollow.session_id.in_(affected))
    ):
        chosen.setdefault(registration_id, set()).add(session_id)
    for registration_id, session_id in await db.execute(
        select(SessionSeat.registration_id, SessionSeat.session_id).where(
            SessionSeat.session_id.in_(affected), SessionSeat.status != SeatStatus.CANCELLED
        )
    ):
        chosen.setdefault(registration_id, set()).add(session_id)
    gone: dict[int, set[str]] = {}  # registration id → removed sessions they followed
    for removal in removals.values():
        for registration_id in removal.registrations:
            gone.setdefault(registration_id, set()).add(removal.slug)
    attendees = await db.execute(
        select(
            Registration.id,
            Registration.email,
            Registration.name,
            Registration.language,
            Registration.timezone,
            Registration.follows_all,
            Registration.created_at,
        )
        .where(
            Registration.conference_id == conference.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.erased_at.is_(None),
            or_(Registration.follows_all, Registration.id.in_(list(chosen.keys() | gone.keys()) or [0])),
        )
        .order_by(Registration.id)
    )
    for registration_id, email, name, language, timezone, follows_all, registered_at in attendees:
        sessions = set(affected) if follows_all else chosen.get(registration_id, set())
        removed = gone.get(registration_id, set())
        if follows_all:  # each session they could have followed: those public when they registered
            removed |= {slug for slug, removal in removals.items() if registered_at <= removal.removed_at}
        if sessions or removed:
            found = recipients.setdefault(
                email.casefold(), _Recipient(email, name, language, timezone, registration_id)
            )
            found.sessions |= sessions
            found.removed |= removed
    speakers = await db.execute(
        select(Speaker.email, Speaker.name, Speaker.timezone, SessionSpeaker.session_id)
        .join(SessionSpeaker, SessionSpeaker.speaker_id == Speaker.id)
        .where(Speaker.conference_id == conference.id, Speaker.email.is_not(None),
               SessionSpeaker.session_id.in_(affected))
        .order_by(Speaker.id)
    )  # fmt: skip

    def speaker(email: str, name: str, timezone: str | None) -> _Recipient:
        # Speakers have no language of their own: the conference's default.
        return recipients.setdefault(
            email.casefold(), _Recipient(email, name, conference.default_language, timezone, None)
        )

    for email, name, timezone, session_id in speakers:
        if email:
            speaker(email, name, timezone).sessions.add(session_id)
    speaker_ids = {speaker_id for removal in removals.values() for speaker_id in removal.speakers}
    removed_speakers = await db.execute(
        select(Speaker.id, Speaker.email, Speaker.name, Speaker.timezone)
        .where(Speaker.conference_id == conference.id, Speaker.email.is_not(None),
               Speaker.id.in_(speaker_ids or {0}))
        .order_by(Speaker.id)
    )  # fmt: skip
    for speaker_id, email, name, timezone in removed_speakers:
        if email:
            speaker(email, name, timezone).removed |= {
                slug for slug, removal in removals.items() if speaker_id in removal.speakers
            }
    if not recipients:
        return 0
    await db.flush()  # the event's id, for the e-mails that deliver it
    now = utcnow()
    rows = [
        outbox_values(
            kind=RELEASE_CHANGES,
            recipient=recipient.address,
            language=recipient.language,
            conference_id=conference.id,
            registration_id=recipient.registration_id,
            context={
                "release_id": release.id,
                "sessions": sorted(recipient.sessions),
                "name": recipient.name,
                "timezone": recipient.timezone,
            }
            | ({"removed": sorted(recipient.removed)} if recipient.removed else {}),
            base_url=base_url,
            event_id=event.id,
            now=now,
        )
        for recipient in recipients.values()
    ]
    # One executemany, as organisers' messages do: thousands of followers in one statement.
    await db.execute(insert(OutboxMail), rows)
    return len(recipients)


async def _release(request: RenderRequest) -> tuple[ProgrammeRelease, list[ProgrammeChange]]:
    release_id = int(request.mail.context["release_id"])
    key = ("release", release_id)
    known = request.memo.get(key)
    if known is None:
        release = await request.db.get(ProgrammeRelease, release_id)
        if release is None:
            raise LookupError(f"release {release_id} is gone")
        changes = list(
            await request.db.scalars(
                select(ProgrammeChange).where(ProgrammeChange.release_id == release_id).order_by(ProgrammeChange.id)
            )
        )
        known = request.memo[key] = (release, changes)
    found: tuple[ProgrammeRelease, list[ProgrammeChange]] = known
    return found


@register(RELEASE_CHANGES)
async def release_changes_mail(request: RenderRequest) -> MailContent:
    mail = request.mail
    programme = await mail_programme(request)
    conference = programme.conference
    release, changes = await _release(request)
    language = ui_language(mail.language)
    _ = gettext_callables(language)["_"]
    context: dict[str, Any] = mail.context
    zone = attendee_zone(context, conference)
    wanted = {int(session_id) for session_id in context.get("sessions", [])}
    gone = {str(slug) for slug in context.get("removed", [])}
    title = pick(conference.title, mail.language, conference.default_language)[0]
    content_language = mail.language if mail.language in conference.languages else None
    paragraphs = [
        _(
            "The programme of %(title)s has a new release, %(release)s. These sessions you follow changed:",
            title=title,
            release=release.name,
        )
    ]
    session_changes = [
        change
        for change in net_changes(changes)
        if change.notified and (change.slug in gone if change.removed else change.session_id in wanted)
    ]
    for change in session_changes:
        lines = describe(
            change,
            translate=_,
            language=language,
            content_language=content_language,
            default_language=conference.default_language,
            zone=zone,
            conference_zone=conference.timezone,
        )
        texts = " ".join(line.text for line in lines)
        paragraphs.append(_("“%(session)s”: %(changes)s", session=lines[0].title, changes=texts))
    note = pick(release.note, mail.language, conference.default_language)[0] if release.note else ""
    if note:
        paragraphs.append(note)
    ids = {change.session_id for change in session_changes if not change.removed}
    sessions = [session for session in programme.sessions if session.id in ids]
    removals = _removals(changes, [change for change in session_changes if change.removed])
    sessions += [_cancelled(programme, removals[change.slug]) for change in session_changes
                 if change.slug in removals]  # fmt: skip
    attachments: list[Attachment] = []
    if sessions:
        ics = build_calendar(
            conference,
            sessions,
            base_url=request.base_url,
            name=title,
            source_url=programme_ics_url(request.base_url, conference.slug),
            language=content_language,
            label_language=language,
        )
        attachments.append(Attachment("changes.ics", "text", "calendar", ics))
    return MailContent(
        language=language,
        subject=_("Programme changes (%(release)s): %(title)s", release=release.name, title=title),
        greeting=greeting(language, str(context.get("name", ""))),
        paragraphs=paragraphs,
        action=Link(_("All changes"), changes_url(request.base_url, conference.slug)),
        when=date_line(language, conference.starts_on, conference.ends_on),
        zones_note=zones_note(language, zone, conference.timezone),
        footer=_("The changed sessions are attached as a calendar file (changes.ics).") if attachments else "",
        attachments=attachments,
        header=title,
    ).branded(conference.accent_color)


def _cancelled(programme: MailProgramme, removal: _Removal) -> PublicSession:
    """A removed session's last public state as a cancelled event: its UID, one SEQUENCE past the
    last the public saw (``build_calendar`` writes ``STATUS:CANCELLED`` and "Cancelled: ")."""
    shown = removal.shown
    # Its stream as the programme shows it, if still there (for LOCATION).
    streams = {session.stream.slug: session.stream for session in programme.sessions if session.stream}
    return PublicSession(
        guid=removal.guid,
        slug=removal.slug,
        title=shown["title"],
        abstract={},
        kind=SessionKind.TALK,
        language=programme.conference.default_language,
        track=None,
        stream=streams.get(shown["stream"]) if shown["stream"] else None,
        starts_at=moment(shown["starts_at"]),
        ends_at=moment(shown["ends_at"]),
        cancelled=True,
        capacity=None,
        revision=removal.revision + 1,
        changed_at=removal.removed_at,
        created_at=removal.removed_at,
        id=0,
    )
