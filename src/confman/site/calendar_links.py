"""'Add to calendar' links for a session or a whole programme.

The .ics download and the webcal:// subscription serve every desktop and phone app;
Google Calendar and Outlook on the web take an event through their own compose URLs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Protocol
from urllib.parse import urlencode

from confman.lib.translations import pick
from confman.lib.urls import programme_ics_url, session_ics_url, session_url, webcal_url
from confman.published.model import PublicConference, PublicSession

GOOGLE_TEMPLATE = "https://calendar.google.com/calendar/render"
OUTLOOK_COMPOSE = "https://outlook.live.com/calendar/0/deeplink/compose"


@dataclass(frozen=True)
class CalendarLinks:
    ics: str
    webcal: str
    google: str | None
    outlook: str | None


class FeedConference(Protocol):
    """What a feed link needs of a conference (the read model's or the database's)."""

    @property
    def slug(self) -> str: ...
    @property
    def default_language(self) -> str: ...
    @property
    def languages(self) -> Sequence[str]: ...


def _in_language(url: str, conference: FeedConference, language: str | None) -> str:
    """The feed in the reader's language when the conference has its content in it: a
    subscription made from a page in Russian stays in Russian."""
    if language and language != conference.default_language and language in conference.languages:
        return f"{url}?{urlencode({'lang': language})}"
    return url


def programme_calendar_links(base_url: str, conference: FeedConference, language: str | None = None) -> CalendarLinks:
    ics = _in_language(programme_ics_url(base_url, conference.slug), conference, language)
    return CalendarLinks(ics=ics, webcal=webcal_url(ics), google=None, outlook=None)


def session_calendar_links(
    base_url: str, conference: PublicConference, session: PublicSession, language: str | None = None
) -> CalendarLinks:
    ics = _in_language(session_ics_url(base_url, conference.slug, session.slug), conference, language)
    page = session_url(base_url, conference.slug, session.slug)
    title = pick(session.title, language, conference.default_language)[0]
    abstract = pick(session.abstract, language, conference.default_language)[0]
    details = f"{abstract}\n\n{page}".strip()
    start, end = session.starts_at.astimezone(UTC), session.ends_at.astimezone(UTC)
    google = (
        GOOGLE_TEMPLATE
        + "?"
        + urlencode(
            {
                "action": "TEMPLATE",
                "text": title,
                "dates": f"{start:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}",
                "details": details,
                "location": page,
                "ctz": conference.timezone,
            }
        )
    )
    outlook = (
        OUTLOOK_COMPOSE
        + "?"
        + urlencode(
            {
                "path": "/calendar/action/compose",
                "rru": "addevent",
                "subject": title,
                "startdt": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "enddt": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "body": details,
                "location": page,
            }
        )
    )
    return CalendarLinks(ics=ics, webcal=webcal_url(ics), google=google, outlook=outlook)
