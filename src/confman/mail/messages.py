"""Building an outbox e-mail: multipart text + HTML in the attendee's language.

mail/ knows no domain's wording. Each domain registers, in its ``notices.py``, a renderer per
e-mail kind it writes (``register``); the renderer reads what it needs (the conference, the
programme, an ``.ics`` attachment) and gives the e-mail's words as :class:`MailContent`. The
worker renders when it sends, from the row's ``kind`` and ``context``: the request that queues
an e-mail only writes a small row, and an attachment shows the programme as it is when the
e-mail leaves. This module puts the content into the one message frame (the templates in
``templates/email/``) and holds the few words every e-mail shares (greeting, date line, the
time-zone note).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import OutboxMail
from confman.lib.branding import palette
from confman.lib.i18n import format_clock, format_day, zone_city
from confman.lib.paths import TEMPLATES_DIR
from confman.lib.templating import gettext_callables
from confman.lib.timezones import to_zone

# The public site's default accent (static/site.css --accent / --accent-ink).
DEFAULT_ACCENT = "#0b5cad"
DEFAULT_ACCENT_INK = "#ffffff"


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
    # "Cancelled" in the e-mail's language, next to a cancelled session's title.
    cancelled_label: str = ""


@dataclass(frozen=True)
class Attachment:
    filename: str
    maintype: str
    subtype: str
    data: bytes


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
    attachments: list[Attachment] = field(default_factory=list)
    # Safe HTML (sanitised Markdown) that the HTML part shows instead of ``paragraphs``, which
    # the text part still shows: an organiser's message. A plain ``str`` here is escaped.
    body_html: Markup | None = None
    # The e-mail's header (the conference's title in the recipient's language) and colours:
    # the site's default accent unless a conference brings its own.
    header: str = ""
    accent: str = DEFAULT_ACCENT
    accent_ink: str = DEFAULT_ACCENT_INK
    # Links on the white body: the accent, or a darker shade of it where it is too light to read.
    accent_link: str = DEFAULT_ACCENT

    def branded(self, accent_color: str | None) -> MailContent:
        """This e-mail in the conference's colours, as its pages show them (``/{conf}/brand.css``)."""
        if not accent_color:
            return self
        colours = palette(accent_color)
        return replace(self, accent=colours.accent, accent_ink=colours.accent_ink, accent_link=colours.link)


@dataclass
class RenderRequest:
    """What a renderer gets: the e-mail row, a read-only database session, and ``memo``, shared
    by the e-mails of one batch (for what they have in common, e.g. a conference's programme)."""

    db: AsyncSession
    mail: OutboxMail
    base_url: str
    memo: dict[Any, Any] = field(default_factory=dict)


Renderer = Callable[[RenderRequest], Awaitable[MailContent]]
_RENDERERS: dict[str, Renderer] = {}


def register(*kinds: str) -> Callable[[Renderer], Renderer]:
    """Decorator: ``renderer`` words the e-mails of ``kinds`` (each kind has one renderer)."""

    def decorate(renderer: Renderer) -> Renderer:
        for kind in kinds:
            known = _RENDERERS.get(kind)
            if known is not None and known is not renderer:
                raise ValueError(f"e-mail kind {kind!r} has a renderer already")
            _RENDERERS[kind] = renderer
        return renderer

    return decorate


def registered_kinds() -> frozenset[str]:
    return frozenset(_RENDERERS)


async def render(request: RenderRequest) -> MailContent:
    renderer = _RENDERERS.get(request.mail.kind)
    if renderer is None:
        raise LookupError(f"no renderer for e-mail kind {request.mail.kind!r}")
    return await renderer(request)


# --- the words every e-mail shares ---------------------------------------------------------


def greeting(language: str, name: str) -> str:
    _ = gettext_callables(language)["_"]
    return _("Hello %(name)s,", name=name) if name else _("Hello,")


def date_line(language: str, starts_on: date, ends_on: date) -> str:
    _ = gettext_callables(language)["_"]
    if starts_on == ends_on:
        return _("When: %(day)s", day=format_day(starts_on, language))
    return _(
        "When: %(first)s to %(last)s",
        first=format_day(starts_on, language),
        last=format_day(ends_on, language),
    )


def zones_note(language: str, attendee_zone: str, conference_zone: str) -> str:
    _ = gettext_callables(language)["_"]
    return _(
        "Times are shown in your time zone (%(yours)s) and, in brackets, the conference's (%(theirs)s).",
        yours=zone_city(attendee_zone, language),
        theirs=zone_city(conference_zone, language),
    )


def programme_row(
    language: str, starts_at: datetime, title: str, cancelled: bool, attendee_zone: str, conference_zone: str
) -> ProgrammeRow:
    _ = gettext_callables(language)["_"]
    return ProgrammeRow(
        day=format_day(to_zone(starts_at, attendee_zone).date(), language),
        attendee_time=format_clock(starts_at, attendee_zone, language),
        conference_time=format_clock(starts_at, conference_zone, language),
        title=title,
        cancelled=cancelled,
        cancelled_label=_("Cancelled") if cancelled else "",
    )


def programme_heading(language: str) -> str:
    _ = gettext_callables(language)["_"]
    return _("Programme")


# --- the message -------------------------------------------------------------------------------


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR / "email"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def one_line(text: str) -> str:
    """``text`` as one header line: every line break Python's e-mail package knows (U+2028,
    U+0085…) and other control characters become spaces."""
    return " ".join("".join(" " if ord(c) < 32 or 0x7F <= ord(c) <= 0x9F else c for c in text).split())


_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def build_message(mail: OutboxMail, content: MailContent, *, sender: str) -> EmailMessage:
    environment = _environment()
    if not all(_COLOUR.fullmatch(colour) for colour in (content.accent, content.accent_ink, content.accent_link)):
        # Only plain colours go into the style attributes.
        content = replace(content, accent=DEFAULT_ACCENT, accent_ink=DEFAULT_ACCENT_INK, accent_link=DEFAULT_ACCENT)
    message = EmailMessage()
    # A header must be one line: whatever a stored title holds, the e-mail still goes out.
    message["Subject"] = one_line(content.subject)
    message["From"] = sender
    message["To"] = mail.recipient
    message["Message-ID"] = mail.message_id
    message["Date"] = format_datetime(mail.created_at)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(environment.get_template("message.txt").render(mail=content))
    message.add_alternative(environment.get_template("message.html").render(mail=content), subtype="html")
    for attachment in content.attachments:
        # Text parts say their charset, or mail apps guess Latin-1 and "Özdeş" arrives as mojibake.
        message.add_attachment(
            attachment.data,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.filename,
            params={"charset": "utf-8"} if attachment.maintype == "text" else None,
        )
    # Last: building the parts moves Content-* headers into them.
    message["Content-Language"] = content.language
    return message
