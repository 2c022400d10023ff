"""What an announcement's e-mail says: the organisers' own message (``outreach/notices.py``
words it in the attendee's language), whose body is the announcement's, followed by a link to
its page in that language."""

from __future__ import annotations

from confman.db.models import Announcement, Conference
from confman.lib.i18n import N_, ui_language
from confman.lib.templating import gettext_callables
from confman.lib.urls import news_article_url

READ_ONLINE = N_("Read this announcement on the conference's website")


def email_bodies(conference: Conference, announcement: Announcement, base_url: str) -> dict[str, str]:
    """Per written language: the Markdown body and a link to the announcement's page."""
    bodies: dict[str, str] = {}
    for language, body in announcement.body.items():
        if not body or not announcement.title.get(language):
            continue
        _ = gettext_callables(ui_language(language))["_"]
        link = news_article_url(base_url, conference.slug, announcement.slug, language)
        bodies[language] = f"{body}\n\n[{_(READ_ONLINE)}]({link})"
    return bodies
