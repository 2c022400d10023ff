"""The iCalendar builder, read back by independent parsers: Mozilla's ical.js (Thunderbird's
parser, run with node from tests/js) and allenporter's Python ``ical``.

Every instant is checked against what zoneinfo computes, on both sides of London's
2027-10-31 change from summer time (BST, +01:00) to winter time (GMT, +00:00), including
a session ending in the hour that happens twice.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from ical.calendar_stream import IcsCalendarStream
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from confman.calendar import ical as ical_module
from confman.calendar.ical import build_calendar, session_uid
from confman.db.models import Conference
from confman.lib.i18n import translations
from confman.programme.services import SessionService
from confman.published.model import PublishedProgramme, load_published_programme
from confman.settings import Settings
from tests.factories import Organiser, conference_payload, database, post_ok, session_payload, speaker_payload

Client = AsyncTestClient[Litestar]
JsParser = Callable[[bytes], Awaitable[list[dict[str, Any]]]]

JS_DIR = Path(__file__).resolve().parents[1] / "js"
# Under CI a missing node or ical.js fails the run; elsewhere those tests are skipped (as for PostgreSQL).
REQUIRE_NODE = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

LONDON = ZoneInfo("Europe/London")
BASE = "http://testserver.local"
AUTUMN = "autumn-2027"
SUMMER = "summer-2027"
SOURCE = f"{BASE}/{AUTUMN}/programme.ics"
SECRETS = (
    "https://meet.example.org/secret-main-stream",
    "https://meet.example.org/secret-side-stream",
    "https://meet.example.org/secret-session",
    "https://meet.example.org/secret-draft",
    "https://meet.example.org/secret-summer",
)

LONG_RUSSIAN_TITLE = (
    "Капитализм, климат и кризис; долгий разговор о том, почему саммиты не работают \\ и что делать дальше"
)
LONG_FRENCH_TITLE = (
    "Économie politique de la transition : réponses, critiques; questions \\ débats — "
    "une très longue discussion à plusieurs voix, où l’on parle aussi de Zürich et de Łódź"
)
ABSTRACT = (
    "Line one, with commas; semicolons \\ and backslashes.\n"
    "Line two: «ёлки-палки» — naïve café, 東京 and emoji 🌍🔥.\n"
    "\n"
    "Third paragraph; the end."
)


@dataclass(frozen=True)
class Expected:
    summary: str
    description: str
    start: datetime
    end: datetime
    status: str
    location: str | None
    categories: list[str]


def london(year: int, month: int, day: int, hour: int, minute: int, *, fold: int = 0) -> datetime:
    """A wall-clock time in London, as the UTC instant zoneinfo says it is."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON, fold=fold).astimezone(UTC)


def page(conference: str, session: str) -> str:
    return f"{BASE}/{conference}/sessions/{session}/"


AUTUMN_EXPECTED = {
    "before-the-change": Expected(
        summary=LONG_RUSSIAN_TITLE,
        description=(
            f"{ABSTRACT}\n\n"
            # José moderates: listed apart, with his role.
            "Speakers: Ольга Петрова (Russia) · Moderator: José Müller-Lüdenscheidt (Spain)\n\n"
            f"{page(AUTUMN, 'before-the-change')}"
        ),
        start=london(2027, 10, 30, 18, 0),
        end=london(2027, 10, 30, 19, 30),
        status="CONFIRMED",
        location="Main Hall; east, wing \\ upstairs",
        categories=["Climate, ecology; crisis"],
    ),
    "across-the-change": Expected(
        summary="Night shift: the hour that happens twice",
        description=page(AUTUMN, "across-the-change"),
        start=london(2027, 10, 31, 0, 30),
        # 01:30 after the clocks went back: the second 01:30 of the night.
        end=london(2027, 10, 31, 1, 30, fold=1),
        status="CONFIRMED",
        location="Salle latérale",
        categories=[],
    ),
    "after-the-change": Expected(
        summary=LONG_FRENCH_TITLE,
        description=f"Speakers: José Müller-Lüdenscheidt (Spain)\n\n{page(AUTUMN, 'after-the-change')}",
        start=london(2027, 10, 31, 10, 0),
        end=london(2027, 10, 31, 11, 0),
        status="CONFIRMED",
        location=None,
        categories=["Climate, ecology; crisis"],
    ),
    "called-off": Expected(
        summary="Cancelled: Called off, sadly",
        description=page(AUTUMN, "called-off"),
        start=london(2027, 10, 31, 12, 0),
        end=london(2027, 10, 31, 13, 0),
        status="CANCELLED",
        location="Main Hall; east, wing \\ upstairs",
        categories=[],
    ),
}


# Building data through the API


async def patch_ok(client: Client, organiser: Organiser, path: str, payload: Any) -> dict[str, Any]:
    response = await client.patch(path, json=payload, headers=organiser.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def build_autumn(client: Client, organiser: Organiser) -> dict[str, dict[str, Any]]:
    """Two days in London across the end of summer time, with secret meeting URLs everywhere."""
    conf = f"/api/v1/conferences/{AUTUMN}"
    await post_ok(
        client,
        organiser,
        "/api/v1/conferences",
        conference_payload(
            slug=AUTUMN,
            title={"en": "Autumn, 2027; the clocks go back", "ru": "Осень 2027"},
            languages=["en", "ru", "fr"],
            starts_on="2027-10-30",
            ends_on="2027-10-31",
        ),
    )
    for stream in (
        {"slug": "main", "name": "Main Hall; east, wing \\ upstairs", "meeting_url": SECRETS[0]},
        {"slug": "side", "name": "Salle latérale", "meeting_url": SECRETS[1], "position": 1},
    ):
        await post_ok(client, organiser, f"{conf}/streams", stream)
    await post_ok(
        client,
        organiser,
        f"{conf}/tracks",
        {"slug": "climate", "name": {"en": "Climate, ecology; crisis", "ru": "Климат"}},
    )
    for speaker in (
        speaker_payload(slug="olga-petrova", name="Ольга Петрова", country="RU"),
        speaker_payload(slug="jose-muller", name="José Müller-Lüdenscheidt", country="ES"),
    ):
        await post_ok(client, organiser, f"{conf}/speakers", speaker)
    created: dict[str, dict[str, Any]] = {}
    for payload in (
        session_payload(
            slug="before-the-change",
            title={"en": LONG_RUSSIAN_TITLE, "ru": "Капитализм и климат"},
            abstract={"en": ABSTRACT},
            starts_at="2027-10-30T18:00:00",
            ends_at="2027-10-30T19:30:00",
            stream="main",
            track="climate",
            meeting_url=SECRETS[2],
            speakers=[{"speaker": "olga-petrova"}, {"speaker": "jose-muller", "role": "moderator"}],
        ),
        session_payload(
            slug="across-the-change",
            title={"en": "Night shift: the hour that happens twice"},
            starts_at="2027-10-31T00:30:00+01:00",
            ends_at="2027-10-31T01:30:00+00:00",
            stream="side",
        ),
        session_payload(
            slug="after-the-change",
            title={"en": LONG_FRENCH_TITLE},
            starts_at="2027-10-31T10:00:00",
            ends_at="2027-10-31T11:00:00",
            track="climate",
            speakers=[{"speaker": "jose-muller"}],
        ),
        session_payload(
            slug="called-off",
            title={"en": "Called off, sadly"},
            status="cancelled",
            starts_at="2027-10-31T12:00:00",
            ends_at="2027-10-31T13:00:00",
            stream="main",
        ),
        session_payload(
            slug="secret-draft",
            title={"en": "Secret draft"},
            status="draft",
            meeting_url=SECRETS[3],
            starts_at="2027-10-31T14:00:00",
            ends_at="2027-10-31T15:00:00",
            stream="side",
        ),
    ):
        session = await post_ok(client, organiser, f"{conf}/sessions", payload)
        created[session["slug"]] = session
    return created


async def build_summer(client: Client, organiser: Organiser) -> dict[str, Any]:
    conf = f"/api/v1/conferences/{SUMMER}"
    await post_ok(
        client,
        organiser,
        "/api/v1/conferences",
        conference_payload(slug=SUMMER, title={"en": "Midsummer"}, starts_on="2027-06-10", ends_on="2027-06-10"),
    )
    await post_ok(client, organiser, f"{conf}/streams", {"slug": "garden", "name": "Garden", "meeting_url": SECRETS[4]})
    return await post_ok(
        client,
        organiser,
        f"{conf}/sessions",
        session_payload(
            slug="midsummer",
            title={"en": "Midsummer, in London; BST"},
            starts_at="2027-06-10T14:00:00",
            ends_at="2027-06-10T15:15:00",
            stream="garden",
        ),
    )


async def published(settings: Settings, slug: str = AUTUMN) -> PublishedProgramme:
    """What every feed is built from: the published read model (no drafts, no meeting URLs)."""
    async with database(settings) as db:
        programme = await load_published_programme(db, slug)
    assert programme is not None
    return programme


async def render(
    settings: Settings,
    slug: str = AUTUMN,
    *,
    language: str | None = None,
    join_links: Mapping[int, str] | None = None,
) -> bytes:
    programme = await published(settings, slug)
    return build_calendar(
        programme.conference,
        programme.sessions,
        base_url=settings.base_url,
        name=programme.text(programme.conference.title, language)[0],
        source_url=f"{BASE}/{slug}/programme.ics",
        language=language,
        join_links=join_links,
    )


async def session_ids(settings: Settings, slug: str = AUTUMN) -> dict[str, int]:
    async with database(settings) as db:
        conference = await db.scalar(select(Conference).where(Conference.slug == slug))
        assert conference is not None
        return {s.slug: s.id for s in await SessionService(db).list(conference, public_only=False)}


# Reading it back


def write_ics(path: Path, body: bytes) -> None:
    path.write_bytes(body)


@pytest.fixture(scope="session")
def icaljs_installed() -> bool:
    """Install the locked ical.js once per run where npm exists, so the README's test command needs no extra step."""
    npm = shutil.which("npm")
    if npm is not None and not (JS_DIR / "node_modules" / "ical.js").is_dir():
        # Parallel workers (pytest-xdist) each get here: one installs, the others wait for it.
        folder = os.open(JS_DIR, os.O_RDONLY)
        try:
            fcntl.flock(folder, fcntl.LOCK_EX)
            if not (JS_DIR / "node_modules" / "ical.js").is_dir():
                subprocess.run(  # noqa: S603 - the committed lock file, from the npm registry
                    [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=JS_DIR, check=False
                )
        finally:
            os.close(folder)  # releases the lock
    return (JS_DIR / "node_modules" / "ical.js").is_dir()


@pytest.fixture
def icaljs(tmp_path: Path, icaljs_installed: bool) -> JsParser:
    """Parse with ical.js through tests/js/parse_ics.mjs (``npm ci`` in tests/js installs it)."""
    node = shutil.which("node")
    if node is None or not icaljs_installed:
        reason = "node not found" if node is None else f"ical.js not installed: run `npm ci` in {JS_DIR}"
        if REQUIRE_NODE:
            pytest.fail(reason)
        pytest.skip(reason)

    async def parse(body: bytes) -> list[dict[str, Any]]:
        path = tmp_path / "calendar.ics"
        write_ics(path, body)
        process = await asyncio.create_subprocess_exec(
            node,
            str(JS_DIR / "parse_ics.mjs"),
            str(path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await process.communicate()
        assert process.returncode == 0, stderr.decode()
        events: list[dict[str, Any]] = json.loads(stdout)
        return events

    return parse


def utc_from_js(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def python_ical_events(body: bytes) -> dict[str, Any]:
    calendar = IcsCalendarStream.calendar_from_ics(body.decode("utf-8"))
    return {event.uid: event for event in calendar.events}


def unfolded_lines(body: bytes) -> list[str]:
    return body.decode("utf-8").replace("\r\n ", "").split("\r\n")


def uids(created: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    return {slug: f"{session['guid']}@confman" for slug, session in created.items()}


# Instants and text, as Thunderbird's parser reads them


async def test_icaljs_events_match_zoneinfo_across_the_dst_change(
    client: Client, organiser: Organiser, settings: Settings, icaljs: JsParser
) -> None:
    created = await build_autumn(client, organiser)
    uid = uids(created)

    events = await icaljs(await render(settings))

    assert [event["uid"] for event in events] == [uid[slug] for slug in AUTUMN_EXPECTED]
    for slug, expected in AUTUMN_EXPECTED.items():
        event = next(e for e in events if e["uid"] == uid[slug])
        assert event["summary"] == expected.summary
        assert event["description"] == expected.description
        assert utc_from_js(event["start_utc_iso"]) == expected.start
        assert utc_from_js(event["end_utc_iso"]) == expected.end
        assert event["status"] == expected.status
        assert event["sequence"] == 0
        assert event["location"] == expected.location
        assert event["categories"] == expected.categories
        assert event["url"] == page(AUTUMN, slug)
        assert event["conference"] is None


async def test_icaljs_times_use_the_conference_zone_unless_ambiguous(
    client: Client, organiser: Organiser, settings: Settings, icaljs: JsParser
) -> None:
    created = await build_autumn(client, organiser)
    uid = uids(created)

    events = {event["uid"]: event for event in await icaljs(await render(settings))}

    assert events[uid["before-the-change"]]["start_tzid"] == "Europe/London"
    assert events[uid["after-the-change"]]["end_tzid"] == "Europe/London"
    assert events[uid["across-the-change"]]["start_tzid"] == "Europe/London"
    # The second 01:30 of 2027-10-31 cannot be written as London time without ambiguity.
    assert events[uid["across-the-change"]]["end_tzid"] == "UTC"


async def test_icaljs_summer_session_is_in_british_summer_time(
    client: Client, organiser: Organiser, settings: Settings, icaljs: JsParser
) -> None:
    created = await build_summer(client, organiser)

    events = await icaljs(await render(settings, SUMMER))

    assert len(events) == 1
    assert events[0]["uid"] == f"{created['guid']}@confman"
    assert events[0]["summary"] == "Midsummer, in London; BST"
    assert utc_from_js(events[0]["start_utc_iso"]) == london(2027, 6, 10, 14, 0)
    assert utc_from_js(events[0]["start_utc_iso"]) == datetime(2027, 6, 10, 13, 0, tzinfo=UTC)
    assert utc_from_js(events[0]["end_utc_iso"]) == london(2027, 6, 10, 15, 15)
    assert events[0]["start_tzid"] == "Europe/London"
    assert events[0]["location"] == "Garden"


# The same, as allenporter's Python ical reads them


async def test_python_ical_events_match_zoneinfo_across_the_dst_change(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    created = await build_autumn(client, organiser)
    uid = uids(created)

    events = python_ical_events(await render(settings))

    assert list(events) == [uid[slug] for slug in AUTUMN_EXPECTED]
    for slug, expected in AUTUMN_EXPECTED.items():
        event = events[uid[slug]]
        assert event.summary == expected.summary
        assert event.description == expected.description
        assert event.dtstart.astimezone(UTC) == expected.start
        assert event.dtend.astimezone(UTC) == expected.end
        assert event.status.value == expected.status
        assert event.sequence == 0
        assert event.location == expected.location
        assert event.url == page(AUTUMN, slug)
        # Not CATEGORIES: ical 14 splits "Climate\, ecology" at the escaped comma.


async def test_python_ical_summer_session_is_in_british_summer_time(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    created = await build_summer(client, organiser)

    events = python_ical_events(await render(settings, SUMMER))

    event = events[f"{created['guid']}@confman"]
    assert event.dtstart.astimezone(UTC) == datetime(2027, 6, 10, 13, 0, tzinfo=UTC)
    assert event.dtend.astimezone(UTC) == datetime(2027, 6, 10, 14, 15, tzinfo=UTC)
    assert event.dtstart.utcoffset() == london(2027, 6, 10, 14, 0).astimezone(LONDON).utcoffset()


# The file itself


async def test_ical_lines_are_crlf_and_folded_at_75_octets_between_characters(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_autumn(client, organiser)

    body = await render(settings)

    assert body.endswith(b"END:VCALENDAR\r\n")
    lines = body.split(b"\r\n")
    assert lines[-1] == b""
    assert [line for line in lines if b"\r" in line or b"\n" in line] == []
    assert [line for line in lines if len(line) > 75] == []
    for line in lines:
        line.decode("utf-8")  # a folded line never ends or starts inside a character
    # The long titles really were folded, and unfold to the same text.
    summary_lines = [line for line in unfolded_lines(body) if line.startswith("SUMMARY:Капитализм")]
    assert summary_lines == [
        "SUMMARY:Капитализм\\, климат и кризис\\; долгий разговор о том\\, почему саммиты "
        "не работают \\\\ и что делать дальше"
    ]
    assert len(summary_lines[0].encode()) > 75


async def test_ical_text_is_escaped_as_rfc_5545_says(client: Client, organiser: Organiser, settings: Settings) -> None:
    await build_autumn(client, organiser)

    lines = unfolded_lines(await render(settings))

    assert "LOCATION:Main Hall\\; east\\, wing \\\\ upstairs" in lines
    assert "CATEGORIES:Climate\\, ecology\\; crisis" in lines
    assert (
        "DESCRIPTION:Line one\\, with commas\\; semicolons \\\\ and backslashes.\\n"
        "Line two: «ёлки-палки» — naïve café\\, 東京 and emoji 🌍🔥.\\n\\n"
        "Third paragraph\\; the end.\\n\\n"
        "Speakers: Ольга Петрова (Russia) · Moderator: José Müller-Lüdenscheidt (Spain)\\n\\n"
        f"{page(AUTUMN, 'before-the-change')}"
    ) in lines


async def test_ical_calendar_properties_are_set_without_method(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_autumn(client, organiser)

    lines = unfolded_lines(await render(settings))

    calendar_lines = lines[: lines.index("BEGIN:VTIMEZONE")]
    assert calendar_lines == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//confman//confman//EN",
        "CALSCALE:GREGORIAN",
        "NAME:Autumn\\, 2027\\; the clocks go back",
        "X-WR-CALNAME:Autumn\\, 2027\\; the clocks go back",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        f"SOURCE;VALUE=URI:{SOURCE}",
        f"URL:{BASE}/{AUTUMN}/",
        "X-PUBLISHED-TTL:PT1H",
        "X-WR-TIMEZONE:Europe/London",
    ]
    assert [line for line in lines if line.split(":")[0].split(";")[0] == "METHOD"] == []
    assert lines.count("BEGIN:VTIMEZONE") == 1
    assert "TZID:Europe/London" in lines
    assert "DTSTART;TZID=Europe/London:20271030T180000" in lines
    assert "DTEND;TZID=Europe/London:20271030T193000" in lines
    assert "DTEND:20271031T013000Z" in lines
    assert "DTSTART;TZID=Europe/London:20271031T100000" in lines


async def test_ical_event_carries_revision_times_and_status(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    created = await build_autumn(client, organiser)
    session = (await published(settings)).session("called-off")
    assert session is not None

    event = python_ical_events(await render(settings))[f"{created['called-off']['guid']}@confman"]

    assert session_uid(session) == f"{session.guid}@confman"
    assert event.uid == session_uid(session)
    assert event.dtstamp == session.changed_at.replace(microsecond=0)
    assert event.last_modified == session.changed_at.replace(microsecond=0)
    assert event.created == session.created_at.replace(microsecond=0)
    assert event.sequence == session.revision
    assert event.status.value == "CANCELLED"
    assert event.summary == "Cancelled: Called off, sadly"


async def test_ical_meeting_urls_are_absent_from_every_variant(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_autumn(client, organiser)
    await build_summer(client, organiser)

    ids = await session_ids(settings)
    bodies = [
        await render(settings),
        await render(settings, language="ru"),
        # A personal feed: the viewer's join link, never the stream's or the session's meeting URL.
        await render(settings, join_links={ids[slug]: f"{BASE}/join/token/{slug}" for slug in AUTUMN_EXPECTED}),
        await render(settings, SUMMER),
    ]

    for body in bodies:
        for text in (body.decode("utf-8"), "".join(unfolded_lines(body))):
            assert "meet.example.org" not in text
            for secret in SECRETS:
                assert secret not in text


async def test_ical_draft_session_is_not_in_the_feed(client: Client, organiser: Organiser, settings: Settings) -> None:
    created = await build_autumn(client, organiser)

    body = await render(settings)

    assert list(python_ical_events(body)) == [uids(created)[slug] for slug in AUTUMN_EXPECTED]
    assert "Secret draft" not in body.decode("utf-8")


async def test_ical_language_chooses_titles_and_country_names_with_fallback(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    created = await build_autumn(client, organiser)
    uid = uids(created)

    events = python_ical_events(await render(settings, language="ru"))

    before = events[uid["before-the-change"]]
    # The labels are the Russian catalogue's (the source text until it translates them).
    russian = translations("ru")
    speakers, moderator = russian.gettext("Speakers"), russian.ngettext("Moderator", "Moderators", 1)
    assert before.summary == "Капитализм и климат"
    assert before.description == (
        f"{ABSTRACT}\n\n"
        f"{speakers}: Ольга Петрова (Россия) · {moderator}: José Müller-Lüdenscheidt (Испания)\n\n"
        f"{page(AUTUMN, 'before-the-change')}"
    )
    # No Russian title: the conference's default language.
    assert events[uid["after-the-change"]].summary == LONG_FRENCH_TITLE


async def test_ical_description_lists_people_by_role_in_their_order(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_autumn(client, organiser)
    conf = f"/api/v1/conferences/{AUTUMN}"
    for speaker in (
        speaker_payload(slug="amy-leather", name="Amy Leather", country="GB"),
        speaker_payload(slug="sabrina-fernandez", name="Sabrina Fernandez", country="BR"),
        speaker_payload(slug="john-molyneux", name="John Molyneux", country="IE"),
    ):
        await post_ok(client, organiser, f"{conf}/speakers", speaker)
    panel = await post_ok(
        client,
        organiser,
        f"{conf}/sessions",
        session_payload(
            slug="panel",
            title={"en": "Panel"},
            kind="panel",
            starts_at="2027-10-30T20:00:00",
            ends_at="2027-10-30T21:00:00",
            speakers=[
                {"speaker": "john-molyneux", "role": "chair"},
                {"speaker": "amy-leather"},
                {"speaker": "olga-petrova", "role": "moderator"},
                {"speaker": "sabrina-fernandez"},
                {"speaker": "jose-muller", "role": "moderator"},
            ],
        ),
    )

    body = await render(settings)

    assert python_ical_events(body)[f"{panel['guid']}@confman"].description == (
        "Speakers: Amy Leather (United Kingdom), Sabrina Fernandez (Brazil)"
        " · Moderators: Ольга Петрова (Russia), José Müller-Lüdenscheidt (Spain)"
        " · Chair: John Molyneux (Ireland)\n\n"
        f"{page(AUTUMN, 'panel')}"
    )
    assert (
        "DESCRIPTION:Speakers: Amy Leather (United Kingdom)\\, Sabrina Fernandez (Brazil)"
        " · Moderators: Ольга Петрова (Russia)\\, José Müller-Lüdenscheidt (Spain)"
        " · Chair: John Molyneux (Ireland)\\n\\n"
        f"{page(AUTUMN, 'panel')}"
    ) in unfolded_lines(body)


# Stability and updates


async def test_ical_output_is_byte_identical_for_an_unchanged_programme(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    created = await build_autumn(client, organiser)

    first = await render(settings)
    # As another worker would: with the VTIMEZONE built afresh, not taken from the cache.
    ical_module._vtimezone.cache_clear()
    second = await render(settings)

    assert first == second
    assert list(python_ical_events(first)) == [uids(created)[slug] for slug in AUTUMN_EXPECTED]


async def test_ical_patched_start_time_keeps_uid_and_raises_sequence_and_last_modified(
    client: Client, organiser: Organiser, settings: Settings, icaljs: JsParser
) -> None:
    created = await build_autumn(client, organiser)
    uid = uids(created)
    before = python_ical_events(await render(settings))
    # LAST-MODIFIED has whole seconds: let one pass.
    await asyncio.sleep(1.1)

    await patch_ok(
        client,
        organiser,
        f"/api/v1/conferences/{AUTUMN}/sessions/before-the-change",
        {"starts_at": "2027-10-30T17:00:00", "ends_at": "2027-10-30T18:15:00"},
    )
    body = await render(settings)
    after = python_ical_events(body)

    assert list(after) == list(before)
    moved_before, moved_after = before[uid["before-the-change"]], after[uid["before-the-change"]]
    assert moved_after.sequence == moved_before.sequence + 1
    assert moved_after.last_modified > moved_before.last_modified
    assert moved_after.dtstamp == moved_after.last_modified
    assert moved_after.dtstart.astimezone(UTC) == london(2027, 10, 30, 17, 0)
    assert moved_after.dtend.astimezone(UTC) == london(2027, 10, 30, 18, 15)
    for slug in ("across-the-change", "after-the-change", "called-off"):
        assert after[uid[slug]].sequence == before[uid[slug]].sequence
        assert after[uid[slug]].last_modified == before[uid[slug]].last_modified
    js_event = next(e for e in await icaljs(body) if e["uid"] == uid["before-the-change"])
    assert js_event["sequence"] == 1
    assert utc_from_js(js_event["start_utc_iso"]) == london(2027, 10, 30, 17, 0)


async def test_ical_cancelled_by_patch_keeps_uid_and_raises_sequence(
    client: Client, organiser: Organiser, settings: Settings, icaljs: JsParser
) -> None:
    created = await build_autumn(client, organiser)
    uid = uids(created)["after-the-change"]
    before = python_ical_events(await render(settings))[uid]

    await patch_ok(
        client, organiser, f"/api/v1/conferences/{AUTUMN}/sessions/after-the-change", {"status": "cancelled"}
    )
    body = await render(settings)
    after = python_ical_events(body)[uid]

    assert after.status.value == "CANCELLED"
    assert after.sequence == before.sequence + 1
    assert after.summary == f"Cancelled: {LONG_FRENCH_TITLE}"
    assert after.last_modified >= before.last_modified
    js_event = next(e for e in await icaljs(body) if e["uid"] == uid)
    assert js_event["status"] == "CANCELLED"
    assert js_event["sequence"] == 1
    assert js_event["summary"] == f"Cancelled: {LONG_FRENCH_TITLE}"


# Personal join links


async def test_ical_join_links_add_conference_location_and_description(
    client: Client, organiser: Organiser, settings: Settings, icaljs: JsParser
) -> None:
    created = await build_autumn(client, organiser)
    uid = uids(created)
    ids = await session_ids(settings)
    join = "https://testserver.local/join/autumn-2027/before-the-change?t=abc;def,ghi"

    body = await render(settings, join_links={ids["before-the-change"]: join})
    events = {event["uid"]: event for event in await icaljs(body)}

    joined = events[uid["before-the-change"]]
    assert joined["conference"] == {"uri": join, "feature": "VIDEO", "label": "Join"}
    assert joined["location"] == join
    assert joined["description"] == f"Join: {join}\n\n{AUTUMN_EXPECTED['before-the-change'].description}"
    assert joined["description"].split("\n")[0] == f"Join: {join}"
    others = [event for key, event in events.items() if key != uid["before-the-change"]]
    assert [event["conference"] for event in others] == [None, None, None]
    assert [event["location"] for event in others] == [
        "Salle latérale",
        None,
        "Main Hall; east, wing \\ upstairs",
    ]
    lines = unfolded_lines(body)
    assert f"CONFERENCE;FEATURE=VIDEO;LABEL=Join;VALUE=URI:{join}" in lines
    assert python_ical_events(body)[uid["before-the-change"]].location == join
    for secret in SECRETS:
        assert secret not in "".join(lines)
