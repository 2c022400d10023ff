"""The attendees' e-mails: the reminder before a followed session, worded here and registered
with mail (the worker imports this module once)."""

from __future__ import annotations

from confman.lib.i18n import format_clock, format_day, zone_city
from confman.lib.timezones import to_zone
from confman.mail.messages import Link, MailContent, RenderRequest, register
from confman.registration.notices import session_mail

# The e-mail kind of a reminder (it delivers the event ``reminder.due``).
REMINDER = "reminder"


@register(REMINDER)
async def reminder_mail(request: RenderRequest) -> MailContent:
    about = await session_mail(request)
    _, language, session, conference, zone = (
        about.translate,
        about.language,
        about.session,
        about.conference,
        about.zone,
    )
    join_url = about.context.get("join_url")
    action = Link(_("Join the session"), str(join_url)) if join_url else None
    if session is None:
        return about.content(about.title, [], action)
    subject = _(
        "Starting at %(time)s: %(session)s",
        time=format_clock(session.starts_at, zone, language),
        session=about.session_title,
    )
    paragraphs = [
        _(
            "“%(session)s” (%(title)s) starts on %(day)s at %(time)s your time (%(conference_time)s %(city)s).",
            session=about.session_title,
            title=about.title,
            day=format_day(to_zone(session.starts_at, zone).date(), language),
            time=format_clock(session.starts_at, zone, language),
            conference_time=format_clock(session.starts_at, conference.timezone, language),
            city=zone_city(conference.timezone, language),
        ),
        _("Your personal join link opens shortly before the start. Please do not share it."),
    ]
    return about.content(subject, paragraphs, action)
