"""The attendees' e-mails: the reminder before a followed session, worded here and registered
with mail (the worker imports this module once)."""

from __future__ import annotations

from confman.lib.i18n import format_clock, format_day, ui_language, zone_city
from confman.lib.templating import gettext_callables
from confman.lib.timezones import to_zone
from confman.lib.translations import pick
from confman.mail.messages import Link, MailContent, RenderRequest, date_line, greeting, register
from confman.registration.notices import attendee_zone, mail_programme, session_of

# The e-mail kind of a reminder (it delivers the event ``reminder.due``).
REMINDER = "reminder"


@register(REMINDER)
async def reminder_mail(request: RenderRequest) -> MailContent:
    mail = request.mail
    programme = await mail_programme(request)
    conference = programme.conference
    language = ui_language(mail.language)
    _ = gettext_callables(language)["_"]
    context = mail.context
    title = pick(conference.title, mail.language, conference.default_language)[0]
    zone = attendee_zone(context, conference)
    session = session_of(programme, context)
    subject = title
    paragraphs: list[str] = []
    if session is not None:
        session_title = pick(session.title, mail.language, conference.default_language)[0]
        subject = _(
            "Starting at %(time)s: %(session)s",
            time=format_clock(session.starts_at, zone, language),
            session=session_title,
        )
        paragraphs.append(
            _(
                "“%(session)s” (%(title)s) starts on %(day)s at %(time)s your time (%(conference_time)s %(city)s).",
                session=session_title,
                title=title,
                day=format_day(to_zone(session.starts_at, zone).date(), language),
                time=format_clock(session.starts_at, zone, language),
                conference_time=format_clock(session.starts_at, conference.timezone, language),
                city=zone_city(conference.timezone, language),
            )
        )
        paragraphs.append(_("Your personal join link opens shortly before the start. Please do not share it."))
    action = Link(_("Join the session"), str(context["join_url"])) if context.get("join_url") else None
    links: list[Link] = []
    if context.get("session_url"):
        links.append(Link(_("About this session"), str(context["session_url"])))
    return MailContent(
        language=language,
        subject=subject,
        greeting=greeting(language, str(context.get("name", ""))),
        paragraphs=paragraphs,
        action=action,
        links=links,
        when=date_line(language, conference.starts_on, conference.ends_on),
    )
