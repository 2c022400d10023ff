"""A new conference from a frab/c3voc ``schedule.json``'s conference block (``confman import
--format frab --create``), so a pretalx schedule can be brought over in one command.

frab says little about a conference: a title, its dates and a zone; languages only per event.
The title goes into the most common language of the events (else English), the conference
offers the events' languages, and it starts as a draft: the organisers publish it when they
have looked.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from pydantic import ValidationError

from confman.conferences.schemas import ConferenceCreate
from confman.lib.languages import is_known_language
from confman.lib.timezones import is_known_zone
from confman.schedule.importer import FrabImportError


def conference_from_frab(data: Any, slug: str) -> ConferenceCreate:
    """The conference ``slug`` as the file describes it; :class:`FrabImportError` naming the path."""
    schedule = data.get("schedule") if isinstance(data, dict) else None
    block = schedule.get("conference") if isinstance(schedule, dict) else None
    if not isinstance(block, dict):
        raise FrabImportError("schedule.conference", "missing: --create needs the file's conference block")
    title = block.get("title")
    if not isinstance(title, str) or not title.strip():
        raise FrabImportError("schedule.conference.title", "missing: the new conference needs a title")
    zone = block.get("time_zone_name")
    listed = block.get("days")
    days: list[Any] = listed if isinstance(listed, list) else []
    languages = Counter(
        event["language"]
        for day in days
        if isinstance(day, dict) and isinstance(day.get("rooms"), dict)
        for events in day["rooms"].values()
        if isinstance(events, list)
        for event in events
        if isinstance(event, dict) and isinstance(event.get("language"), str) and is_known_language(event["language"])
    )
    default = languages.most_common(1)[0][0] if languages else "en"
    starts_on = _day(block, "start") or _first_day(days, first=True)
    ends_on = _day(block, "end") or _first_day(days, first=False) or starts_on
    if starts_on is None or ends_on is None:
        raise FrabImportError("schedule.conference.start", "missing: the new conference needs its dates")
    try:
        return ConferenceCreate(
            slug=slug,
            title={default: title.strip()},
            timezone=zone if isinstance(zone, str) and is_known_zone(zone) else "UTC",
            default_language=default,
            languages=sorted(languages) or [default],
            starts_on=starts_on,
            ends_on=ends_on,
        )
    except ValidationError as error:
        detail = error.errors()[0]
        field = ".".join(str(part) for part in detail["loc"])
        raise FrabImportError(f"schedule.conference ({field})", detail["msg"]) from None


def _day(block: dict[str, Any], key: str) -> date | None:
    value = block.get(key)
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise FrabImportError(f"schedule.conference.{key}", f"not a date: {value[:40]!r}") from None


def _first_day(days: list[Any], *, first: bool) -> date | None:
    found = [day["date"] for day in days if isinstance(day, dict) and isinstance(day.get("date"), str)]
    if not found:
        return None
    try:
        return date.fromisoformat((found[0] if first else found[-1])[:10])
    except ValueError:
        return None
