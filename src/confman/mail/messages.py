"""Building an outbox e-mail: multipart text + HTML in the attendee's language, times in the
attendee's zone and the conference's, and the programme as an ``.ics`` attachment.

Rendering happens when the worker sends, from the row's ``kind`` and ``context``: the request
that queues an e-mail only writes a small row, and the attachment shows the programme as it
is when the e-mail leaves.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime

from jinja2 import Environment, FileSystemLoader, select_autoescape

from confman.calendar.ical import build_calendar
from confman.db.models import OutboxMail
from confman.lib.i18n import format_clock, format_day, ui_language, zone_city
from confman.lib.paths import TEMPLATES_DIR
from confman.lib.templating import gettext_callables
from confman.lib.timezones import is_known_zone, to_zone
from confman.lib.translations import pick
from confman.lib.urls import programme_ics_url, registration_url
from confman.published.model import PublicConference, PublicSession

# Kinds whose e-mail carries the programme and the attendee's own links.
WITH_PROGRAMME = frozenset({"confirmed", "promoted", "already_registered", "waitlisted"})
WITH_ATTACHMENT = frozenset({"confirmed", "promoted"})


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class ProgrammeRow:
    day: str
    attendee_time: str
    conference_time: str
    title: str
    cancelled: bool


@dataclass
class MailContent:
    language: str
    subject: str
    greeting: str
    paragraphs: list[str]
    action: Link | None = None
    links: list[Link] = field(default_factory=list)
    when: str = ""
    zones_note: str = ""
    programme: list[ProgrammeRow] = field(default_factory=list)
    programme_heading: str = ""
    footer: str = ""


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR / "email"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def content_for(
    mail: OutboxMail, conference: PublicConference, sessions: Sequence[PublicSession], base_url: str
) -> MailContent:
    language = ui_language(mail.language)
    _ = gettext_callables(language)["_"]
    context = mail.context
    title = pick(conference.title, mail.language, conference.default_language)[0]
    name = str(context.get("name", ""))
    attendee_zone = str(context.get("timezone") or conference.timezone)
    if not is_known_zone(attendee_zone):
        attendee_zone = conference.timezone
    position = context.get("position")
    kind = mail.kind

    subjects = {
        "confirm_request": _("Confirm your registration: %(title)s", title=title),
        "already_registered": _("You are already registered: %(title)s", title=title),
        "confirmed": _("You are registered: %(title)s", title=title),
        "waitlisted": _("Waiting list: %(title)s", title=title),
        "promoted": _("You're in: %(title)s", title=title),
        "cancelled": _("Registration cancelled: %(title)s", title=title),
    }
    reminded = (
        next((s for s in sessions if s.slug == context.get("session")), None)
        if kind in {"reminder", "seat_promoted"}
        else None
    )
    if kind == "seat_promoted" and reminded is not None:
        seat_title = pick(reminded.title, mail.language, conference.default_language)[0]
        subjects["seat_promoted"] = _("You have a seat: %(session)s", session=seat_title)
    if reminded is not None:
        session_title = pick(reminded.title, mail.language, conference.default_language)[0]
        subjects["reminder"] = _(
            "Starting at %(time)s: %(session)s",
            time=format_clock(reminded.starts_at, attendee_zone, language),
            session=session_title,
        )
    paragraphs: list[str] = []
    if kind == "confirm_request":
        paragraphs.append(_("Please confirm your registration for %(title)s.", title=title))
        paragraphs.append(
            _("Open the link below and press the button. If you did not register, ignore this e-mail: nothing happens.")
        )
    elif kind == "already_registered":
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
    elif kind == "confirmed":
        paragraphs.append(_("Your seat at %(title)s is confirmed.", title=title))
    elif kind == "waitlisted":
        paragraphs.append(
            _(
                "%(title)s is full. You are number %(position)s on the waiting list; we will e-mail you when a seat"
                " becomes free.",
                title=title,
                position=position or "?",
            )
        )
    elif kind == "promoted":
        paragraphs.append(
            _(
                "Good news: a seat became free and it is yours. Your registration for %(title)s is confirmed.",
                title=title,
            )
        )
    elif kind == "reminder" and reminded is not None:
        paragraphs.append(
            _(
                "“%(session)s” (%(title)s) starts on %(day)s at %(time)s your time (%(conference_time)s %(city)s).",
                session=session_title,
                title=title,
                day=format_day(to_zone(reminded.starts_at, attendee_zone).date(), language),
                time=format_clock(reminded.starts_at, attendee_zone, language),
                conference_time=format_clock(reminded.starts_at, conference.timezone, language),
                city=zone_city(conference.timezone, language),
            )
        )
        paragraphs.append(_("Your personal join link opens shortly before the start. Please do not share it."))
    elif kind == "seat_promoted" and reminded is not None:
        paragraphs.append(
            _(
                "A seat became free in “%(session)s” (%(title)s) and it is yours. It starts at %(time)s your time"
                " (%(conference_time)s %(city)s).",
                session=seat_title,
                title=title,
                time=format_clock(reminded.starts_at, attendee_zone, language),
                conference_time=format_clock(reminded.starts_at, conference.timezone, language),
                city=zone_city(conference.timezone, language),
            )
        )
    elif kind == "cancelled":
        paragraphs.append(_("Your registration for %(title)s is cancelled.", title=title))
        paragraphs.append(_("You can register again while registration is open."))

    action: Link | None = None
    links: list[Link] = []
    if context.get("confirm_url"):
        action = Link(_("Confirm my registration"), str(context["confirm_url"]))
    if kind == "reminder" and context.get("join_url"):
        action = Link(_("Join the session"), str(context["join_url"]))
    if kind in {"reminder", "seat_promoted"} and context.get("session_url"):
        links.append(Link(_("About this session"), str(context["session_url"])))
    if context.get("manage_url"):
        links.append(Link(_("Your registration page"), str(context["manage_url"])))
    if context.get("cancel_url"):
        links.append(Link(_("Cancel my registration"), str(context["cancel_url"])))
    if kind == "cancelled":
        links.append(Link(_("Register again"), registration_url(base_url, conference.slug)))

    if conference.starts_on == conference.ends_on:
        when = _("When: %(day)s", day=format_day(conference.starts_on, language))
    else:
        when = _(
            "When: %(first)s to %(last)s",
            first=format_day(conference.starts_on, language),
            last=format_day(conference.ends_on, language),
        )
    rows: list[ProgrammeRow] = []
    if kind in WITH_PROGRAMME:
        for session in sessions:
            local = to_zone(session.starts_at, attendee_zone)
            rows.append(
                ProgrammeRow(
                    day=format_day(local.date(), language),
                    attendee_time=format_clock(session.starts_at, attendee_zone, language),
                    conference_time=format_clock(session.starts_at, conference.timezone, language),
                    title=pick(session.title, mail.language, conference.default_language)[0],
                    cancelled=session.cancelled,
                )
            )
    zones_note = _(
        "Times are shown in your time zone (%(yours)s) and, in brackets, the conference's (%(theirs)s).",
        yours=zone_city(attendee_zone, language),
        theirs=zone_city(conference.timezone, language),
    )
    return MailContent(
        language=language,
        subject=subjects.get(kind, title),
        greeting=_("Hello %(name)s,", name=name) if name else _("Hello,"),
        paragraphs=paragraphs,
        action=action,
        links=links,
        when=when,
        zones_note=zones_note if rows else "",
        programme=rows,
        programme_heading=_("Programme") if rows else "",
        footer=_("The programme is attached as a calendar file (programme.ics).")
        if kind in WITH_ATTACHMENT and sessions
        else "",
    )


def build_message(
    mail: OutboxMail,
    conference: PublicConference,
    sessions: Sequence[PublicSession],
    *,
    base_url: str,
    sender: str,
) -> EmailMessage:
    content = content_for(mail, conference, sessions, base_url)
    environment = _environment()
    message = EmailMessage()
    message["Subject"] = content.subject
    message["From"] = sender
    message["To"] = mail.recipient
    message["Message-ID"] = mail.message_id
    message["Date"] = format_datetime(mail.created_at)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(environment.get_template("message.txt").render(mail=content))
    message.add_alternative(environment.get_template("message.html").render(mail=content), subtype="html")
    if mail.kind in WITH_ATTACHMENT and sessions:
        feed = programme_ics_url(base_url, conference.slug)
        ics = build_calendar(
            conference,
            sessions,
            base_url=base_url,
            name=pick(conference.title, mail.language, conference.default_language)[0],
            source_url=feed,
            language=mail.language if mail.language in conference.languages else None,
        )
        message.add_attachment(ics, maintype="text", subtype="calendar", filename="programme.ics")
    # Last: building the parts moves Content-* headers into them.
    message["Content-Language"] = content.language
    return message
