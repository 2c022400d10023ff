"""What registration tells the attendee: the outbox events of its changes, the e-mails that
deliver them (each a row written in the transaction of the change it reports; the worker sends
them), and their wording.

Each e-mail that leads somewhere carries a fresh private token: the secret itself is never
kept, only its hash in ``registration_token``; the events hold ids only. Each kind of e-mail is
worded here and registered with mail (``confman.mail.messages.register``); the worker imports
this module once. The e-mails that show the programme load it from the published read model
when they are sent, and those that confirm a seat carry the attendee's own sessions (those they
follow) as ``programme.ics``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.calendar.ical import build_calendar
from confman.db.models import (
    Conference,
    Event,
    OutboxEvent,
    OutboxMail,
    Registration,
    RegistrationStatus,
    RegistrationToken,
    TokenPurpose,
)
from confman.lib.i18n import format_clock, ui_language, zone_city
from confman.lib.templating import gettext_callables
from confman.lib.timezones import is_known_zone, utcnow
from confman.lib.tokens import hash_token, new_token
from confman.lib.translations import pick
from confman.lib.urls import (
    attendee_url,
    programme_ics_url,
    registration_cancel_url,
    registration_confirm_url,
    registration_url,
)
from confman.mail.messages import (
    Attachment,
    Link,
    MailContent,
    ProgrammeRow,
    RenderRequest,
    date_line,
    greeting,
    programme_heading,
    programme_row,
    register,
    zones_note,
)
from confman.mail.outbox import emit, enqueue
from confman.published.model import PublicConference, PublicSession, load_published_programme, public_conference
from confman.registration.queries import chosen_session_ids, waitlist_position
from confman.registration.rules import ConferenceLike
from confman.settings import Settings

Links = Callable[[str], dict[str, Any]]


class Kind(enum.StrEnum):
    """The outbox e-mail kinds that registration writes."""

    CONFIRM_REQUEST = "confirm_request"
    ALREADY_REGISTERED = "already_registered"
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    PROMOTED = "promoted"
    # Queued before the placement is known (PostgreSQL): the placement call renames it.
    PLACED = "placed"
    CANCELLED = "cancelled"
    # A seat in a session with a capacity, from its waiting list.
    SEAT_PROMOTED = "seat_promoted"


# The event a status e-mail delivers when it reports the change itself (a resent one delivers
# ``registration.resent``).
STATUS_EVENTS = {
    Kind.CONFIRMED: Event.REGISTRATION_CONFIRMED,
    Kind.WAITLISTED: Event.REGISTRATION_WAITLISTED,
    Kind.PROMOTED: Event.REGISTRATION_PROMOTED,
    Kind.CANCELLED: Event.REGISTRATION_CANCELLED,
}
# Kinds whose e-mail carries the programme and the attendee's own links.
WITH_PROGRAMME = frozenset({Kind.CONFIRMED, Kind.PROMOTED, Kind.ALREADY_REGISTERED, Kind.WAITLISTED})
WITH_ATTACHMENT = frozenset({Kind.CONFIRMED, Kind.PROMOTED})
# At most one "you are already registered" e-mail per registration (conference and address) in this time.
ALREADY_REGISTERED_EVERY = timedelta(hours=1)


def token_prefix(purpose: TokenPurpose) -> str:
    """A token says what it is for at a glance: ``c…`` confirms, ``m…`` manages."""
    return "c" if purpose is TokenPurpose.CONFIRM else "m"


class RegistrationNotices:
    """The e-mails about one registration, queued in ``db``'s transaction."""

    def __init__(self, db: AsyncSession, settings: Settings) -> None:
        self.db = db
        self.base_url = settings.base_url

    # --- the private links -------------------------------------------------------------

    def confirm_links(self, conference: ConferenceLike) -> Links:
        """The context of a confirmation request for a fresh confirm token."""

        def links(token: str) -> dict[str, Any]:
            return {"confirm_url": registration_confirm_url(self.base_url, conference.slug, token)}

        return links

    def manage_links(self, conference: ConferenceLike, position: int | None) -> Links:
        """The context of a placement e-mail (as :meth:`status` writes it) for a fresh manage token."""

        def links(token: str) -> dict[str, Any]:
            return {
                "position": position,
                "manage_url": attendee_url(self.base_url, token),
                "cancel_url": registration_cancel_url(self.base_url, conference.slug, token),
            }

        return links

    def token(self, registration: Registration, purpose: TokenPurpose) -> str:
        """A fresh private token for ``registration`` (only its hash is stored)."""
        return self.token_for(registration.id, purpose)

    def token_for(self, registration_id: int, purpose: TokenPurpose) -> str:
        token = new_token(token_prefix(purpose))
        self.db.add(RegistrationToken(registration_id=registration_id, purpose=purpose, token_hash=hash_token(token)))
        return token

    # --- the events and the e-mails -----------------------------------------------------

    def event(
        self, conference: ConferenceLike, registration: Registration, event: Event, **payload: Any
    ) -> OutboxEvent:
        """Record ``event`` of ``registration`` (its id, and ``payload``: never a token or link)."""
        payload = {"registration_id": registration.id, **payload}
        return emit(self.db, event, conference_id=conference.id, payload=payload)

    def enqueue(
        self,
        conference: ConferenceLike,
        registration: Registration,
        kind: str,
        context: dict[str, Any],
        event: OutboxEvent | None,
    ) -> OutboxMail:
        """The e-mail ``kind`` delivering ``event`` (None: a placement at COMMIT writes it, 0007)."""
        return enqueue(
            self.db,
            kind=kind,
            recipient=registration.email,
            language=registration.language,
            conference_id=conference.id,
            registration_id=registration.id,
            context={**self._base_context(registration), **context},
            base_url=self.base_url,
            event=event,
        )

    async def confirm_request(
        self, conference: ConferenceLike, registration: Registration, *, event: OutboxEvent
    ) -> None:
        """Double opt-in: the link that proves the address (for ``event``: created, or resent)."""
        token = self.token(registration, TokenPurpose.CONFIRM)
        self.enqueue(conference, registration, Kind.CONFIRM_REQUEST, self.confirm_links(conference)(token), event)
        await self.db.flush()

    async def already_registered(self, conference: ConferenceLike, registration: Registration) -> None:
        """A known address registered again: its own links, never a second registration."""
        await self._hold(registration)
        context: dict[str, Any] = {}
        if registration.status is RegistrationStatus.PENDING:
            token = self.token(registration, TokenPurpose.CONFIRM)
            context["confirm_url"] = registration_confirm_url(self.base_url, conference.slug, token)
        else:
            token = self.token(registration, TokenPurpose.MANAGE)
            context["manage_url"] = attendee_url(self.base_url, token)
            context["cancel_url"] = registration_cancel_url(self.base_url, conference.slug, token)
            context["position"] = await waitlist_position(self.db, registration)
        event = self.event(conference, registration, Event.REGISTRATION_REPEATED)
        if not await self._reminded_lately(registration):
            self.enqueue(conference, registration, Kind.ALREADY_REGISTERED, context, event)
        await self.db.flush()

    async def _hold(self, registration: Registration) -> None:
        """Repeat submits of one address take turns from here to their commit, so each reads the
        outbox as the last one left it (``_reminded_lately``): the registration's row is locked on
        PostgreSQL, where a write runs in READ COMMITTED beside others (each would find no recent
        e-mail and send one). ``FOR NO KEY UPDATE`` is the weakest lock that waits for itself: the
        foreign-key checks of rows written for this registration (``FOR KEY SHARE``) pass it.
        SQLite needs nothing: a writing request holds the database's write lock from its first
        statement (``BEGIN IMMEDIATE``, ``db/engine.py``)."""
        if self.db.get_bind().dialect.name == "postgresql":
            await self.db.execute(
                select(Registration.id).where(Registration.id == registration.id).with_for_update(key_share=True)
            )

    async def _reminded_lately(self, registration: Registration) -> bool:
        """Whether this address had its "already registered" e-mail within the hour: repeated
        submits (a double click, a script, anyone typing someone's address) would otherwise send
        one each, whatever the per-client limit on submits. The event is still recorded."""
        since = utcnow() - ALREADY_REGISTERED_EVERY
        found = await self.db.scalar(
            select(OutboxMail.id)
            .where(
                OutboxMail.registration_id == registration.id,
                OutboxMail.kind == Kind.ALREADY_REGISTERED,
                OutboxMail.created_at >= since,
            )
            .limit(1)
        )
        return found is not None

    async def status(
        self,
        conference: ConferenceLike,
        registration: Registration,
        kind: str,
        *,
        position: int | None = None,
        event: OutboxEvent | None = None,
    ) -> None:
        """A placement or a cancellation (``kind``); all but a cancellation carry the manage links.
        It delivers ``event``, by default the change's own (``STATUS_EVENTS``)."""
        if event is None:
            payload = {"position": position} if kind == Kind.WAITLISTED else {}
            event = self.event(conference, registration, STATUS_EVENTS[Kind(kind)], **payload)
        context: dict[str, Any] = {"position": position}
        if kind != Kind.CANCELLED:
            context.update(self.manage_links(conference, position)(self.token(registration, TokenPurpose.MANAGE)))
        self.enqueue(conference, registration, kind, context, event)
        await self.db.flush()

    @staticmethod
    def _base_context(registration: Registration) -> dict[str, Any]:
        return {"name": registration.name, "timezone": registration.timezone, "status": registration.status.value}


# --- the wording ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MailProgramme:
    """A conference as its e-mails show it: the published read model, or (not published) the
    conference alone without sessions."""

    conference: PublicConference
    sessions: list[PublicSession]


async def mail_programme(request: RenderRequest) -> MailProgramme:
    """The programme of the e-mail's conference, read once per batch (``request.memo``)."""
    conference_id = request.mail.conference_id
    if conference_id is None:
        raise LookupError("the e-mail has no conference")
    key = ("programme", conference_id)
    known = request.memo.get(key)
    if isinstance(known, MailProgramme):
        return known
    conference = await request.db.get(Conference, conference_id)
    if conference is None:
        raise LookupError(f"conference {conference_id} is gone")
    programme = await load_published_programme(request.db, conference.slug)
    if programme is not None:
        found = MailProgramme(programme.conference, programme.sessions)
    else:
        found = MailProgramme(public_conference(conference), [])
    request.memo[key] = found
    return found


def attendee_zone(context: dict[str, object], conference: PublicConference) -> str:
    """The attendee's zone from the e-mail's context, else the conference's."""
    zone = str(context.get("timezone") or conference.timezone)
    return zone if is_known_zone(zone) else conference.timezone


def session_of(programme: MailProgramme, context: dict[str, object]) -> PublicSession | None:
    """The published session the e-mail's context names (``session``: its slug), if any."""
    return next((s for s in programme.sessions if s.slug == context.get("session")), None)


@dataclass(frozen=True)
class SessionMail:
    """What an e-mail about one session (a reminder, a seat given) starts from: the conference
    and the session in the recipient's language and zone; ``session`` None when it is no longer
    published (the e-mail then says only what it can)."""

    language: str
    translate: Callable[..., str]
    context: dict[str, Any]
    conference: PublicConference
    title: str
    zone: str
    session: PublicSession | None
    session_title: str

    def content(self, subject: str, paragraphs: list[str], action: Link | None = None) -> MailContent:
        """The e-mail, with the link to the session's page when the context has one."""
        _ = self.translate
        links = [Link(_("About this session"), str(self.context["session_url"]))]
        return MailContent(
            language=self.language,
            subject=subject,
            greeting=greeting(self.language, str(self.context.get("name", ""))),
            paragraphs=paragraphs,
            action=action,
            links=links if self.context.get("session_url") else [],
            when=date_line(self.language, self.conference.starts_on, self.conference.ends_on),
            header=self.title,
        ).branded(self.conference.accent_color)


async def session_mail(request: RenderRequest) -> SessionMail:
    mail = request.mail
    programme = await mail_programme(request)
    conference = programme.conference
    session = session_of(programme, mail.context)
    return SessionMail(
        language=ui_language(mail.language),
        translate=gettext_callables(ui_language(mail.language))["_"],
        context=mail.context,
        conference=conference,
        title=pick(conference.title, mail.language, conference.default_language)[0],
        zone=attendee_zone(mail.context, conference),
        session=session,
        session_title=pick(session.title, mail.language, conference.default_language)[0] if session else "",
    )


@register(*(kind for kind in Kind if kind not in {Kind.PLACED, Kind.SEAT_PROMOTED}))
async def registration_mail(request: RenderRequest) -> MailContent:
    mail = request.mail
    programme = await mail_programme(request)
    conference, sessions = programme.conference, programme.sessions
    language = ui_language(mail.language)
    _ = gettext_callables(language)["_"]
    context = mail.context
    title = pick(conference.title, mail.language, conference.default_language)[0]
    zone = attendee_zone(context, conference)
    position = context.get("position")
    kind = mail.kind

    subjects = {
        Kind.CONFIRM_REQUEST: _("Confirm your registration: %(title)s", title=title),
        Kind.ALREADY_REGISTERED: _("You are already registered: %(title)s", title=title),
        Kind.CONFIRMED: _("You are registered: %(title)s", title=title),
        Kind.WAITLISTED: _("Waiting list: %(title)s", title=title),
        Kind.PROMOTED: _("You're in: %(title)s", title=title),
        Kind.CANCELLED: _("Registration cancelled: %(title)s", title=title),
    }
    paragraphs: list[str] = []
    if kind == Kind.CONFIRM_REQUEST:
        paragraphs.append(_("Please confirm your registration for %(title)s.", title=title))
        paragraphs.append(
            _("Open the link below and press the button. If you did not register, ignore this e-mail: nothing happens.")
        )
    elif kind == Kind.ALREADY_REGISTERED:
        paragraphs.append(
            _(
                "Someone, probably you, asked to register this address for %(title)s. It is already registered.",
                title=title,
            )
        )
        if context.get("confirm_url"):
            paragraphs.append(_("Your registration still needs confirming: open the link below and press the button."))
        elif context.get("status") == "waitlisted" and position:
            paragraphs.append(_("You are number %(position)s on the waiting list.", position=position))
        else:
            paragraphs.append(_("Your seat is confirmed."))
    elif kind == Kind.CONFIRMED:
        paragraphs.append(_("Your seat at %(title)s is confirmed.", title=title))
    elif kind == Kind.WAITLISTED:
        paragraphs.append(
            _(
                "%(title)s is full. You are number %(position)s on the waiting list; we will e-mail you when a seat"
                " becomes free.",
                title=title,
                position=position or "?",
            )
        )
    elif kind == Kind.PROMOTED:
        paragraphs.append(
            _(
                "Good news: a seat became free and it is yours. Your registration for %(title)s is confirmed.",
                title=title,
            )
        )
    elif kind == Kind.CANCELLED:
        paragraphs.append(_("Your registration for %(title)s is cancelled.", title=title))
        paragraphs.append(_("You can register again while registration is open."))

    action: Link | None = None
    links: list[Link] = []
    if context.get("confirm_url"):
        action = Link(_("Confirm my registration"), str(context["confirm_url"]))
    if context.get("manage_url"):
        # The registration page is the e-mail's button unless there is something to confirm.
        page = Link(_("Your registration page"), str(context["manage_url"]))
        if action is None:
            action = page
        else:
            links.append(page)
    if context.get("cancel_url"):
        links.append(Link(_("Cancel my registration"), str(context["cancel_url"])))
    if kind == Kind.CANCELLED:
        links.append(Link(_("Register again"), registration_url(request.base_url, conference.slug)))

    rows: list[ProgrammeRow] = []
    if kind in WITH_PROGRAMME:
        rows = [
            programme_row(
                language,
                session.starts_at,
                pick(session.title, mail.language, conference.default_language)[0],
                session.cancelled,
                zone,
                conference.timezone,
            )
            for session in sessions
        ]
    # The attachment is the attendee's own calendar: the sessions they follow (all, by default),
    # titles in their language where the conference has it, labels in their interface language.
    followed = sessions
    if kind in WITH_ATTACHMENT and sessions and mail.registration_id is not None:
        chosen = await chosen_session_ids(request.db, mail.registration_id)
        if chosen is not None:
            followed = [session for session in sessions if session.id in chosen]
    attached = kind in WITH_ATTACHMENT and bool(followed)
    attachments: list[Attachment] = []
    if attached:
        ics = build_calendar(
            conference,
            followed,
            base_url=request.base_url,
            name=title,
            source_url=programme_ics_url(request.base_url, conference.slug),
            language=mail.language if mail.language in conference.languages else None,
            label_language=language,
        )
        attachments.append(Attachment("programme.ics", "text", "calendar", ics))
    return MailContent(
        language=language,
        subject=subjects.get(Kind(kind), title),
        greeting=greeting(language, str(context.get("name", ""))),
        paragraphs=paragraphs,
        action=action,
        links=links,
        when=date_line(language, conference.starts_on, conference.ends_on),
        zones_note=zones_note(language, zone, conference.timezone) if rows else "",
        programme=rows,
        programme_heading=programme_heading(language) if rows else "",
        footer=_("Your sessions are attached as a calendar file (programme.ics).") if attached else "",
        attachments=attachments,
        header=title,
    ).branded(conference.accent_color)


@register(Kind.SEAT_PROMOTED)
async def seat_promoted_mail(request: RenderRequest) -> MailContent:
    about = await session_mail(request)
    _, language, session, conference = about.translate, about.language, about.session, about.conference
    if session is None:
        return about.content(about.title, [])
    paragraph = _(
        "A seat became free in “%(session)s” (%(title)s) and it is yours. It starts at %(time)s your time"
        " (%(conference_time)s %(city)s).",
        session=about.session_title,
        title=about.title,
        time=format_clock(session.starts_at, about.zone, language),
        conference_time=format_clock(session.starts_at, conference.timezone, language),
        city=zone_city(conference.timezone, language),
    )
    return about.content(_("You have a seat: %(session)s", session=about.session_title), [paragraph])
