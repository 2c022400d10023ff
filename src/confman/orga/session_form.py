"""The session form: what it shows and what it reads back, through the API's own schemas."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from confman.db.models import Conference, ConferenceSession, SessionKind, SessionStatus, SpeakerRole
from confman.lib.errors import FieldError
from confman.lib.i18n import N_
from confman.lib.timezones import to_utc, to_zone
from confman.orga.forms import MESSAGES, checkbox, field_errors, optional, text, translations
from confman.programme.schemas import SessionCreate, SessionUpdate
from confman.programme.services import MAX_SESSION_LENGTH

SPEAKER_DUPLICATE = N_("This speaker is listed twice.")
NONE_SELECTED = N_("Select at least one session.")

EMPTY_SPEAKER_ROWS = 3
MAX_SPEAKER_ROWS = 100
_ROW = re.compile(r"^speakers\[(\d{1,3})\]\.(speaker|role|position)$")
_DAY_MINUTES = int(MAX_SESSION_LENGTH.total_seconds() // 60)


# By the code of the services' refusals.
SESSION_MESSAGES: dict[str, str] = {
    "unknown_track": N_("Choose a track from the list."),
    "unknown_stream": N_("Choose a stream from the list."),
    "unknown_speaker": N_("Choose a speaker from the list."),
    "unknown_session": N_("This session no longer exists; reload the page."),
}


@dataclass
class SessionForm:
    """A session form as entered: what to show again, and what to give the schema."""

    values: dict[str, Any]
    rows: list[dict[str, str]]
    payload: dict[str, Any]
    errors: dict[str, str]


def _local_input(moment: datetime, zone: str) -> str:
    """A stored time as a ``datetime-local`` value in ``zone`` (seconds only when it has them)."""
    local = to_zone(moment, zone)
    return local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")


def _parse_local(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _speaker_rows(form: Mapping[str, Any], errors: dict[str, str]) -> list[dict[str, str]]:
    """The filled speaker rows, in the order their positions give (ties: as on the page)."""
    found: dict[int, dict[str, str]] = {}
    for key in form:
        match = _ROW.match(str(key))
        if match and int(match.group(1)) < MAX_SPEAKER_ROWS:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = text(form, str(key), limit=200)
    filled = [(index, row) for index, row in sorted(found.items()) if row.get("speaker")]

    def order(item: tuple[int, dict[str, str]]) -> tuple[int, int]:
        index, row = item
        try:
            return int(row.get("position") or index + 1), index
        except ValueError:
            return MAX_SPEAKER_ROWS + index, index

    rows = [row for _, row in sorted(filled, key=order)]
    for position, row in enumerate(rows):
        raw = row.get("position", "")
        if raw and not raw.lstrip("-").isdigit():
            errors[f"speakers[{position}].position"] = MESSAGES["int_parsing"]
        row["position"] = str(position + 1)
        row.setdefault("role", SpeakerRole.SPEAKER.value)
    return rows


def read_form(form: Mapping[str, Any], conference: Conference, *, creating: bool, had_meeting_url: bool) -> SessionForm:
    languages = conference.languages
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "slug": text(form, "slug", limit=200),
        "title": {lang: text(form, f"title.{lang}", limit=1000) for lang in languages},
        "abstract": {lang: text(form, f"abstract.{lang}", limit=25_000) for lang in languages},
        "kind": text(form, "kind", limit=50),
        "language": text(form, "language", limit=50),
        "track": text(form, "track", limit=200),
        "stream": text(form, "stream", limit=200),
        "starts_at": text(form, "starts_at", limit=50),
        "duration": text(form, "duration", limit=50),
        "ends_at": text(form, "ends_at", limit=50),
        "status": text(form, "status", limit=50),
        "capacity": text(form, "capacity", limit=50),
        "meeting_url": text(form, "meeting_url", limit=5000),
        "remove_meeting_url": checkbox(form, "remove_meeting_url"),
        "has_meeting_url": had_meeting_url,
        "recording_url": text(form, "recording_url", limit=5000),
    }
    payload: dict[str, Any] = {
        "title": translations(form, "title", languages),
        "abstract": translations(form, "abstract", languages),
        "track": optional(form, "track"),
        "stream": optional(form, "stream"),
        "capacity": values["capacity"] or None,
        "recording_url": values["recording_url"] or None,
        "speakers": [],
    }
    for name in ("kind", "language", "status"):
        if values[name]:
            payload[name] = values[name]
    if creating:
        payload["slug"] = values["slug"]
        payload["meeting_url"] = values["meeting_url"] or None
    elif values["remove_meeting_url"]:
        payload["meeting_url"] = None
    elif values["meeting_url"]:
        payload["meeting_url"] = values["meeting_url"]

    # Times: wall-clock in the conference's zone; the end from the duration unless given.
    start = _parse_local(values["starts_at"]) if values["starts_at"] else None
    if not values["starts_at"]:
        errors["starts_at"] = MESSAGES["required"]
    elif start is None:
        errors["starts_at"] = MESSAGES["datetime_parsing"]
    else:
        payload["starts_at"] = start
    if values["ends_at"]:
        end = _parse_local(values["ends_at"])
        if end is None:
            errors["ends_at"] = MESSAGES["datetime_parsing"]
        else:
            payload["ends_at"] = end
    elif values["duration"]:
        try:
            minutes = int(values["duration"])
        except ValueError:
            errors["duration"] = MESSAGES["int_parsing"]
        else:
            if minutes < 1:
                errors["duration"] = MESSAGES["greater_than_equal"]
            elif minutes > _DAY_MINUTES:
                errors["duration"] = MESSAGES["less_than_equal"]
            elif start is not None:
                payload["ends_at"] = to_utc(start, conference.timezone) + timedelta(minutes=minutes)
    else:
        errors["duration"] = MESSAGES["required"]

    rows = _speaker_rows(form, errors)
    payload["speakers"] = [{"speaker": row["speaker"], "role": row["role"]} for row in rows]
    return SessionForm(values, rows, payload, errors)


def checked_input(
    schema: type[SessionCreate] | type[SessionUpdate], entered: SessionForm, conference: Conference
) -> Any:
    """The schema built from the form, or None with every refusal added to ``entered.errors``.

    When the page already refused a time (so the payload lacks it), the rest is still checked,
    so that the organiser sees every message at once.
    """
    payload = dict(entered.payload)
    if entered.errors:
        placeholder = datetime.combine(conference.starts_on, datetime.min.time())
        payload.setdefault("starts_at", placeholder)
        payload.setdefault("ends_at", placeholder + timedelta(hours=1))
    if not payload["title"].get(conference.default_language):
        entered.errors.setdefault(f"title.{conference.default_language}", MESSAGES["default_language_missing"])
    try:
        data = schema.model_validate(payload)
    except ValidationError as error:
        for name, message in refusals(error, entered, conference).items():
            entered.errors.setdefault(name, message)
        return None
    return None if entered.errors else data


def refusals(error: ValidationError | FieldError, entered: SessionForm, conference: Conference) -> dict[str, str]:
    """The refusal's messages by field, each next to the field the organiser filled in."""
    errors = field_errors(error)
    if isinstance(error, FieldError):
        if error.code in SESSION_MESSAGES:
            errors = {error.field: SESSION_MESSAGES[error.code]}
        elif error.field.startswith("speakers[") and error.code == "duplicate":
            errors = {error.field: SPEAKER_DUPLICATE}
    placed: dict[str, str] = {}
    for name, message in errors.items():
        if name == "ends_at" and not entered.values["ends_at"]:
            name = "duration"  # the end came from the duration
        elif name in {"title", "abstract"}:
            name = f"{name}.{conference.default_language}"  # missing in the default language
        placed.setdefault(name, message)
    return placed


def move_row(rows: list[dict[str, str]], move: str) -> int:
    """A no-JS button: ``"<row>:up"``/``"<row>:down"`` swaps a row with its neighbour;
    ``"more"`` asks for more empty rows (their number is returned)."""
    if move == "more":
        return EMPTY_SPEAKER_ROWS
    index, _, direction = move.partition(":")
    if index.isdigit():
        i = int(index)
        j = i - 1 if direction == "up" else i + 1
        if 0 <= i < len(rows) and 0 <= j < len(rows):
            rows[i], rows[j] = rows[j], rows[i]
    return 0


def stored_form(conference: Conference, session: ConferenceSession) -> SessionForm:
    zone = conference.timezone
    length = session.ends_at - session.starts_at
    whole_minutes = length.total_seconds() % 60 == 0
    values: dict[str, Any] = {
        "slug": session.slug,
        "title": dict(session.title),
        "abstract": dict(session.abstract),
        "kind": session.kind.value,
        "language": session.language,
        "track": session.track.slug if session.track else "",
        "stream": session.stream.slug if session.stream else "",
        "starts_at": _local_input(session.starts_at, zone),
        "duration": str(int(length.total_seconds() // 60)) if whole_minutes else "",
        "ends_at": "" if whole_minutes else _local_input(session.ends_at, zone),
        "status": session.status.value,
        "capacity": str(session.capacity) if session.capacity is not None else "",
        "meeting_url": "",  # a secret: never sent to the browser
        "remove_meeting_url": False,
        "has_meeting_url": session.meeting_url is not None,
        "recording_url": session.recording_url or "",
    }
    rows = [{"speaker": link.speaker.slug, "role": link.role.value} for link in session.speaker_links]
    return SessionForm(values, rows, {}, {})


def blank_form(conference: Conference) -> SessionForm:
    values: dict[str, Any] = {
        "slug": "",
        "title": {},
        "abstract": {},
        "kind": SessionKind.TALK.value,
        "language": conference.default_language,
        "track": "",
        "stream": "",
        "starts_at": f"{conference.starts_on.isoformat()}T10:00",
        "duration": "60",
        "ends_at": "",
        "status": SessionStatus.DRAFT.value,
        "capacity": "",
        "meeting_url": "",
        "remove_meeting_url": False,
        "has_meeting_url": False,
        "recording_url": "",
    }
    return SessionForm(values, [], {}, {})
