"""The wording of an organiser's message to an attendee, registered with mail (the worker
imports this module once) and shown the same way in the organisers' preview.

The subject and the Markdown body are the organiser's, in the attendee's language, else the
conference's default one; the interface words around them (greeting, link, footer) follow the
language the text is in. The HTML part shows the body rendered by ``lib/markdown`` (no raw
HTML, cleaned by nh3); the text part shows the Markdown as written, paragraph by paragraph.
"""

from __future__ import annotations

import re
from typing import Any

from confman.db.models import AttendeeMessage, Conference
from confman.lib.i18n import ui_language
from confman.lib.markdown import render_markdown
from confman.lib.templating import gettext_callables
from confman.lib.translations import pick
from confman.mail.messages import Link, MailContent, RenderRequest, date_line, greeting, register
from confman.outreach.services import ATTENDEE_MESSAGE

_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def paragraphs(markdown: str) -> list[str]:
    """The Markdown source as the text part's paragraphs (split at blank lines)."""
    text = markdown.replace("\r\n", "\n").replace("\r", "\n")
    return [part.strip("\n") for part in _BLANK_LINE.split(text) if part.strip()]


def message_content(
    *,
    language: str,
    subject: dict[str, str],
    body: dict[str, str],
    conference: Conference,
    name: str,
    manage_url: str,
) -> MailContent:
    """The e-mail of a message for an attendee whose language is ``language``."""
    default = conference.default_language
    subject_text, used = pick(subject, language, default)
    body_text = body.get(used) or pick(body, language, default)[0]
    words = ui_language(used)
    _ = gettext_callables(words)["_"]
    title = pick(conference.title, used, default)[0]
    return MailContent(
        language=used,
        subject=subject_text,
        greeting=greeting(words, name),
        paragraphs=paragraphs(body_text),
        body_html=render_markdown(body_text),
        action=Link(_("Your registration page"), manage_url),
        when=date_line(words, conference.starts_on, conference.ends_on),
        footer=_(
            "You receive this message from the organisers of %(title)s because you registered for it.",
            title=title,
        ),
        header=title,
    ).branded(conference.accent_color)


async def _memo_get(request: RenderRequest, model: Any, key: int) -> Any:
    memo_key = (model.__tablename__, key)
    if memo_key not in request.memo:
        found = await request.db.get(model, key)
        if found is None:
            raise LookupError(f"{model.__tablename__} {key} is gone")
        request.memo[memo_key] = found
    return request.memo[memo_key]


@register(ATTENDEE_MESSAGE)
async def attendee_message_mail(request: RenderRequest) -> MailContent:
    mail = request.mail
    context = mail.context
    message: AttendeeMessage = await _memo_get(request, AttendeeMessage, int(context["message_id"]))
    conference: Conference = await _memo_get(request, Conference, message.conference_id)
    return message_content(
        language=mail.language,
        subject=message.subject,
        body=message.body,
        conference=conference,
        name=str(context.get("name", "")),
        manage_url=str(context["manage_url"]),
    )
