"""schema.org ``Event`` JSON-LD for conference and session pages (online events).

Search engines and link previews read it: ``eventAttendanceMode`` online, a
``VirtualLocation`` whose URL is the public page (never a meeting URL), start and end
with their UTC offset in the conference's zone, and the speakers as performers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from confman.lib.timezones import to_zone

ONLINE = "https://schema.org/OnlineEventAttendanceMode"
SCHEDULED = "https://schema.org/EventScheduled"
CANCELLED = "https://schema.org/EventCancelled"


def event_json_ld(
    *,
    name: str,
    description: str,
    url: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    start_date: date,
    end_date: date,
    zone: str,
    language: str,
    performers: Sequence[str],
    cancelled: bool,
    super_event: dict[str, Any] | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": name,
        "url": url,
        # With its offset, so "09:00+00:00" cannot be read as the reader's 09:00.
        "startDate": to_zone(starts_at, zone).isoformat() if starts_at else start_date.isoformat(),
        "endDate": to_zone(ends_at, zone).isoformat() if ends_at else end_date.isoformat(),
        "eventAttendanceMode": ONLINE,
        "eventStatus": CANCELLED if cancelled else SCHEDULED,
        "location": {"@type": "VirtualLocation", "url": url},
        "inLanguage": language,
    }
    if description:
        event["description"] = description
    if performers:
        event["performer"] = [{"@type": "Person", "name": performer} for performer in performers]
    if super_event:
        event["superEvent"] = super_event
    return event


def news_article_json_ld(
    *,
    headline: str,
    url: str,
    language: str,
    published: datetime,
    modified: datetime,
    publisher: str,
    publisher_url: str,
    description: str = "",
    translations: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """schema.org ``NewsArticle`` for an announcement in one language; its other languages as
    ``workTranslation``s (language, URL)."""
    organisation = {"@type": "Organization", "name": publisher, "url": publisher_url}
    article: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": headline[:110],
        "url": url,
        "mainEntityOfPage": url,
        "inLanguage": language,
        "datePublished": published.isoformat(),
        "dateModified": modified.isoformat(),
        "author": organisation,
        "publisher": organisation,
    }
    if description:
        article["description"] = description
    if translations:
        article["workTranslation"] = [
            {"@type": "NewsArticle", "inLanguage": code, "url": href} for code, href in translations
        ]
    return article
