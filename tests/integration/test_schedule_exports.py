"""frab/c3voc schedule.json and schedule.xml: valid against the C3VOC schemas, public data only,
and read back by the importer (pretalx's demo file, our own export, broken files)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from jsonschema import Draft6Validator, FormatChecker
from litestar import Litestar
from litestar.testing import AsyncTestClient
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import Conference, ConferenceSession, Speaker, Stream, Track
from confman.programme.services import SessionService
from confman.published.model import PublishedProgramme, load_published_programme
from confman.schedule.frab import build_schedule_json, build_schedule_xml, online_room_guid
from confman.schedule.importer import FrabImportError, import_frab_schedule
from confman.settings import Settings
from tests.factories import Organiser, conference_payload, database, post_ok, session_payload, speaker_payload
from tests.paths import SCHEMAS

Client = AsyncTestClient[Litestar]

CONF = "/api/v1/conferences/climate-2027"
SECRETS = (
    "https://meet.example.org/secret-main",
    "https://meet.example.org/secret-side",
    "https://meet.example.org/secret-session",
    "https://meet.example.org/secret-draft",
)


def json_errors(document: Any) -> list[str]:
    schema = json.loads((SCHEMAS / "schema.json").read_text(encoding="utf-8"))
    # Not Draft6Validator.FORMAT_CHECKER: it knows only draft-06's own formats and would skip
    # "uuid", "date" and "color", which this schema uses. FormatChecker() checks them all
    # (as upstream's check-jsonschema does); "color" needs webcolors from format-nongpl.
    validator = Draft6Validator(schema, format_checker=FormatChecker())
    return sorted(f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(document))


def xml_errors(document: bytes) -> list[str]:
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "schedule.xml.xsd")))
    schema.validate(etree.fromstring(document))
    return [f"{error.line}: {error.message}" for error in schema.error_log]


def pretalx_example() -> dict[str, Any]:
    result: dict[str, Any] = json.loads((SCHEMAS / "examples" / "pretalx-democon.json").read_text(encoding="utf-8"))
    return result


async def build_programme(client: Client, organiser: Organiser) -> dict[str, dict[str, Any]]:
    """Two days in Berlin (+01:00), two streams with secret meeting URLs, sessions of every status."""
    await post_ok(
        client,
        organiser,
        "/api/v1/conferences",
        conference_payload(
            timezone="Europe/Berlin", languages=["en", "ru"], starts_on="2027-11-14", ends_on="2027-11-15"
        ),
    )
    for stream in (
        {"slug": "main", "name": "Main Hall", "meeting_url": SECRETS[0], "public_url": "https://live.example.org/main"},
        {"slug": "side", "name": "Side Room", "meeting_url": SECRETS[1], "position": 1},
    ):
        await post_ok(client, organiser, f"{CONF}/streams", stream)
    for track in (
        {"slug": "climate", "name": {"en": "Climate", "ru": "Климат"}, "color": "#1A7F37"},
        {"slug": "labour", "name": {"en": "Labour"}, "position": 1},
    ):
        await post_ok(client, organiser, f"{CONF}/tracks", track)
    for speaker in (
        speaker_payload(bio={"en": "Writes about capitalism."}),
        speaker_payload(slug="olga-petrova", name="Ольга Петрова", country="RU", timezone="Europe/Moscow"),
        speaker_payload(slug="jose-muller", name="José Müller-Lüdenscheidt", country="ES"),
    ):
        await post_ok(client, organiser, f"{CONF}/speakers", speaker)
    sessions = [
        session_payload(
            starts_at="2027-11-14T10:00:00",
            ends_at="2027-11-14T11:30:00",
            stream="main",
            track="climate",
            meeting_url=SECRETS[2],
            abstract={"en": "Why the summits fail.", "ru": "Почему саммиты терпят неудачу."},
            speakers=[{"speaker": "alex-callinicos"}],
        ),
        session_payload(
            slug="kapitalizm-i-klimaticheskij-krizis",
            title={"en": "Капитализм и климатический кризис"},
            language="ru",
            starts_at="2027-11-14T14:00:00+01:00",
            ends_at="2027-11-14T15:00:00+01:00",
            stream="side",
            track="climate",
            speakers=[{"speaker": "olga-petrova"}, {"speaker": "jose-muller", "role": "moderator"}],
        ),
        session_payload(
            slug="unions-and-the-climate",
            title={"en": "Unions and the climate"},
            kind="panel",
            starts_at="2027-11-15T09:30:00",
            ends_at="2027-11-15T10:15:00",
            track="labour",
            speakers=[{"speaker": "jose-muller"}, {"speaker": "alex-callinicos"}],
        ),
        session_payload(
            slug="night-owls",
            title={"en": "Night owls"},
            kind="discussion",
            starts_at="2027-11-15T23:30:00",
            ends_at="2027-11-16T00:30:00",
            stream="main",
        ),
        session_payload(
            slug="called-off",
            title={"en": "Called off"},
            status="cancelled",
            starts_at="2027-11-15T12:00:00",
            ends_at="2027-11-15T13:00:00",
            stream="main",
        ),
        session_payload(
            slug="secret-draft",
            title={"en": "Secret draft"},
            status="draft",
            meeting_url=SECRETS[3],
            starts_at="2027-11-15T14:00:00",
            ends_at="2027-11-15T15:00:00",
            stream="side",
        ),
    ]
    created = {}
    for payload in sessions:
        session = await post_ok(client, organiser, f"{CONF}/sessions", payload)
        created[session["slug"]] = session
    return created


async def load(db: AsyncSession, slug: str) -> tuple[Conference, list[ConferenceSession]]:
    conference = await db.scalar(select(Conference).where(Conference.slug == slug))
    assert conference is not None
    return conference, await SessionService(db).list(conference, public_only=True)


async def published(settings: Settings, slug: str = "climate-2027") -> PublishedProgramme:
    """What the exports are built from: the published read model."""
    async with database(settings) as db:
        programme = await load_published_programme(db, slug)
    assert programme is not None
    return programme


async def export_json(settings: Settings, slug: str = "climate-2027") -> dict[str, Any]:
    return build_schedule_json(await published(settings, slug), base_url=settings.base_url, version="7")


async def export_xml(settings: Settings, slug: str = "climate-2027") -> bytes:
    return build_schedule_xml(await published(settings, slug), base_url=settings.base_url, version="7")


def events(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        event
        for day in document["schedule"]["conference"]["days"]
        for room_events in day["rooms"].values()
        for event in room_events
    ]


async def count(settings: Settings, conference: str, model: Any) -> int:
    async with database(settings) as db:
        result = await db.scalar(
            select(func.count()).select_from(model).join(Conference).where(Conference.slug == conference)
        )
        assert result is not None
        return result


def test_the_schemas_are_found_beside_the_repository() -> None:
    assert (SCHEMAS / "schema.json").is_file()
    assert (SCHEMAS / "schedule.xml.xsd").is_file()


# Export: JSON


async def test_schedule_json_is_valid_against_the_c3voc_schema(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_programme(client, organiser)

    document = await export_json(settings)

    assert json_errors(document) == []


async def test_schedule_json_validation_control_catches_a_bad_guid_and_a_double_person(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    """The validator really checks formats and oneOf, so the test above can fail."""
    await build_programme(client, organiser)
    document = await export_json(settings)
    first = events(document)[0]
    first["guid"] = "not-a-uuid"
    first["persons"][0]["id"] = 1  # now both the frab and the pretalx shape

    errors = json_errors(document)

    assert len(errors) == 2
    assert "'not-a-uuid' is not a 'uuid'" in errors[0] + errors[1]


async def test_schedule_json_shows_confirmed_sessions_only_without_secrets(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    created = await build_programme(client, organiser)

    document = await export_json(settings)

    text = json.dumps(document, ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in text
    assert "Secret draft" not in text
    assert "Called off" not in text
    found = {event["guid"]: event["title"] for event in events(document)}
    assert found == {
        created[slug]["guid"]: created[slug]["title"]["en"]
        for slug in ("limits-of-cop26", "kapitalizm-i-klimaticheskij-krizis", "unions-and-the-climate", "night-owls")
    }


async def test_schedule_json_days_rooms_times_and_persons(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    created = await build_programme(client, organiser)

    document = await export_json(settings)

    schedule = document["schedule"]
    conference = schedule["conference"]
    assert schedule["version"] == "7"
    assert schedule["base_url"] == "http://testserver.local/"
    assert conference["acronym"] == "climate_2027"
    assert conference["time_zone_name"] == "Europe/Berlin"
    assert (conference["start"], conference["end"], conference["daysCount"]) == ("2027-11-14", "2027-11-15", 2)
    assert conference["url"] == "http://testserver.local/climate-2027/"
    days = conference["days"]
    assert [(d["index"], d["date"], d["day_start"], d["day_end"]) for d in days] == [
        (1, "2027-11-14", "2027-11-14T00:00:00+01:00", "2027-11-15T00:00:00+01:00"),
        (2, "2027-11-15", "2027-11-15T00:00:00+01:00", "2027-11-16T00:00:00+01:00"),
    ]
    assert [room["name"] for room in conference["rooms"]] == ["Main Hall", "Side Room", "Online"]
    assert conference["rooms"][0]["url"] == "https://live.example.org/main"
    async with database(settings) as db:
        streams = {stream.slug: str(stream.guid) for stream in await db.scalars(select(Stream))}
    assert [room["guid"] for room in conference["rooms"]] == [
        streams["main"],
        streams["side"],
        str(online_room_guid((await published(settings)).conference)),
    ]
    cop, kapitalizm, night, unions = events(document)
    assert {name: [e["slug"] for e in room_events] for name, room_events in days[1]["rooms"].items()} == {
        "Main Hall": [f"climate_2027-{night['id']}-night-owls"],
        "Side Room": [],
        "Online": [f"climate_2027-{unions['id']}-unions-and-the-climate"],
    }
    assert (cop["date"], cop["start"], cop["end"], cop["duration"]) == (
        "2027-11-14T10:00:00+01:00",
        "10:00",
        "2027-11-14T11:30:00+01:00",
        "01:30",
    )
    assert (night["date"], night["duration"], night["room"]) == ("2027-11-15T23:30:00+01:00", "01:00", "Main Hall")
    assert (cop["track"], unions["track"], night["track"]) == ("Climate", "Labour", None)
    assert (cop["type"], unions["type"], kapitalizm["language"]) == ("talk", "panel", "ru")
    assert cop["abstract"] == "Why the summits fail."
    assert cop["url"] == "http://testserver.local/climate-2027/sessions/limits-of-cop26/"
    assert kapitalizm["slug"] == f"climate_2027-{kapitalizm['id']}-kapitalizm-i-klimaticheskij-krizis"
    assert kapitalizm["title"] == "Капитализм и климатический кризис"
    assert [person["name"] for person in kapitalizm["persons"]] == ["Ольга Петрова", "José Müller-Lüdenscheidt"]
    assert cop["persons"] == [
        {
            "guid": cop["persons"][0]["guid"],
            "name": "Alex Callinicos",
            "public_name": "Alex Callinicos",
            "biography": "Writes about capitalism.",
            "url": "http://testserver.local/climate-2027/speakers/alex-callinicos/",
        }
    ]
    assert [event["guid"] for event in (cop, kapitalizm)] == [
        created["limits-of-cop26"]["guid"],
        created["kapitalizm-i-klimaticheskij-krizis"]["guid"],
    ]


async def test_schedule_json_in_another_language(client: Client, organiser: Organiser, settings: Settings) -> None:
    await build_programme(client, organiser)

    document = build_schedule_json(await published(settings), base_url=settings.base_url, version="7", language="ru")

    cop = events(document)[0]
    assert document["schedule"]["conference"]["title"] == "Революционная альтернатива"
    assert (cop["title"], cop["abstract"], cop["track"]) == (
        "The Limits of COP26 and Capitalist Solutions",  # no Russian title: the default language
        "Почему саммиты терпят неудачу.",
        "Климат",
    )
    assert json_errors(document) == []


# Export: XML


async def test_schedule_xml_is_valid_against_the_c3voc_xsd(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_programme(client, organiser)

    document = await export_xml(settings)

    assert document.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert xml_errors(document) == []


async def test_schedule_xml_validation_control_catches_a_missing_track(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_programme(client, organiser)
    root = etree.fromstring(await export_xml(settings))
    event = root.find("day/room/event")
    assert event is not None
    event.remove(event.find("track"))

    assert len(xml_errors(etree.tostring(root))) == 1


async def test_schedule_xml_shows_confirmed_sessions_only_without_secrets(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    created = await build_programme(client, organiser)

    document = await export_xml(settings)

    for secret in SECRETS:
        assert secret.encode() not in document
    root = etree.fromstring(document)
    assert [(e.get("guid"), e.findtext("title")) for e in root.iter("event")] == [
        (created[slug]["guid"], created[slug]["title"]["en"])
        for slug in ("limits-of-cop26", "kapitalizm-i-klimaticheskij-krizis", "night-owls", "unions-and-the-climate")
    ]
    assert [(d.get("index"), d.get("start")) for d in root.iter("day")] == [
        ("1", "2027-11-14T00:00:00+01:00"),
        ("2", "2027-11-15T00:00:00+01:00"),
    ]
    kapitalizm = root.find("day/room[@name='Side Room']/event")
    assert kapitalizm is not None
    assert kapitalizm.findtext("slug") == f"climate_2027-{kapitalizm.get('id')}-kapitalizm-i-klimaticheskij-krizis"
    assert [p.text for p in kapitalizm.iter("person")] == ["Ольга Петрова", "José Müller-Lüdenscheidt"]
    assert root.findtext("conference/acronym") == "climate_2027"


# Import


async def create_empty_conference(client: Client, organiser: Organiser, **overrides: Any) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload(**overrides))


async def import_into(settings: Settings, slug: str, data: Any) -> int:
    async with database(settings) as db:
        conference = await db.scalar(select(Conference).where(Conference.slug == slug))
        assert conference is not None
        return await import_frab_schedule(db, conference, data)


DEMOCON = {"slug": "democon", "timezone": "Europe/Berlin", "starts_on": "2020-12-14", "ends_on": "2020-12-16"}


async def test_import_pretalx_example(client: Client, organiser: Organiser, settings: Settings) -> None:
    await create_empty_conference(client, organiser, **DEMOCON)
    example = pretalx_example()

    created = await import_into(settings, "democon", example)

    assert created == 36
    assert await count(settings, "democon", Track) == 2
    assert await count(settings, "democon", Speaker) == 27
    async with database(settings) as db:
        conference, sessions = await load(db, "democon")
        streams = list(await db.scalars(select(Stream).order_by(Stream.position)))
        speakers = list(await db.scalars(select(Speaker)))
    assert [(s.slug, s.name) for s in streams] == [("gray-room", "Gray Room"), ("tan-room", "Tan Room")]
    # Both rooms share one guid in the file: the first keeps it, the second gets its own.
    assert str(streams[0].guid) == "b379c473-93b9-4eae-9a09-d482e86cede3"
    assert streams[1].guid != streams[0].guid
    assert {s.country for s in speakers} == {None}
    expected = {e["title"] for e in events(example)}
    assert {s.title["en"] for s in sessions} == expected
    assert {s.status.value for s in sessions} == {"confirmed"}
    first = sessions[0]
    # time_zone_name says UTC, the dates say +01:00: the offsets win.
    assert (first.starts_at, first.ends_at) == (
        datetime(2020, 12, 14, 8, 0, tzinfo=UTC),
        datetime(2020, 12, 14, 8, 30, tzinfo=UTC),
    )
    by_slug = {s.slug: s for s in sessions}
    hardware = by_slug["focused-5thgeneration-hardware"]
    assert str(hardware.guid) == "8079583e-8321-506c-95af-fd2903a5f075"
    assert (hardware.kind.value, hardware.language, hardware.track.slug if hardware.track else None) == (
        "talk",
        "en",
        "phased",
    )
    assert hardware.stream is not None
    assert hardware.stream.slug == "gray-room"
    assert [link.speaker.name for link in hardware.speaker_links] == ["Brian Robinson"]
    assert hardware.abstract["en"].startswith("Brand back-end models!\n\nStation provide certain mean.")
    assert {s.kind.value for s in sessions} == {"talk", "workshop"}
    assert conference.programme_version > 1


async def test_import_our_own_schedule_reproduces_the_programme(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_programme(client, organiser)
    exported = await export_json(settings)
    await create_empty_conference(
        client,
        organiser,
        slug="climate-copy",
        timezone="Europe/Berlin",
        languages=["en", "ru"],
        starts_on="2027-11-14",
        ends_on="2027-11-15",
    )

    created = await import_into(settings, "climate-copy", json.loads(json.dumps(exported)))

    def programme(sessions: list[ConferenceSession]) -> list[tuple[Any, ...]]:
        return [
            (
                s.slug,
                s.title["en"],
                s.starts_at,
                s.ends_at,
                s.stream.name if s.stream else "Online",
                s.track.name["en"] if s.track else None,
                s.kind.value,
                s.language,
                [link.speaker.name for link in s.speaker_links],
            )
            for s in sessions
            if s.status.value == "confirmed"
        ]

    async with database(settings) as db:
        _, original = await load(db, "climate-2027")
        _, copied = await load(db, "climate-copy")
    assert created == 4
    assert programme(copied) == programme(original)
    # guids are unique across conferences: the copy cannot take the original's.
    assert {s.guid for s in copied}.isdisjoint({s.guid for s in original})
    # Exporting the copy gives the same events again.
    again = await export_json(settings, "climate-copy")
    assert [(e["title"], e["date"], e["room"], [p["name"] for p in e["persons"]]) for e in events(again)] == [
        (e["title"], e["date"], e["room"], [p["name"] for p in e["persons"]]) for e in events(exported)
    ]


async def test_import_broken_file_names_the_path_and_writes_nothing(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await create_empty_conference(client, organiser, **DEMOCON)
    broken = pretalx_example()
    broken["schedule"]["conference"]["days"][1]["rooms"]["Gray Room"][3]["persons"][0]["public_name"] = 42

    with pytest.raises(FrabImportError) as caught:
        await import_into(settings, "democon", broken)

    assert str(caught.value) == (
        'schedule.conference.days[1].rooms["Gray Room"][3].persons[0].public_name: not a string'
    )
    assert isinstance(caught.value, ValueError)
    for model in (Stream, Track, Speaker, ConferenceSession):
        assert await count(settings, "democon", model) == 0


async def test_import_failure_while_writing_leaves_nothing_after_rollback(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    """A title too long is found only when its session is created, after streams and speakers."""
    await create_empty_conference(client, organiser, **DEMOCON)
    broken = pretalx_example()
    broken["schedule"]["conference"]["days"][2]["rooms"]["Tan Room"][1]["title"] = "x" * 301

    with pytest.raises(FrabImportError) as caught:
        await import_into(settings, "democon", broken)

    assert str(caught.value) == (
        'schedule.conference.days[2].rooms["Tan Room"][1].title: '
        "Value should have at most 300 items after validation, not 301"
    )
    for model in (Stream, Track, Speaker, ConferenceSession):
        assert await count(settings, "democon", model) == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("start", "9:00"), 'schedule.conference.days[0].rooms["Gray Room"][2].start: not HH:MM'),
        (("duration", "half an hour"), 'schedule.conference.days[0].rooms["Gray Room"][2].duration: not H:MM'),
        (("date", "tomorrow"), 'schedule.conference.days[0].rooms["Gray Room"][2].date: not an ISO 8601 date-time'),
        (("guid", "b379c473"), 'schedule.conference.days[0].rooms["Gray Room"][2].guid: not a UUID'),
        (("persons", {}), 'schedule.conference.days[0].rooms["Gray Room"][2].persons: not an array'),
        (("language", "klingon"), 'schedule.conference.days[0].rooms["Gray Room"][2].language: unknown language'),
        (
            ("date", "2020-12-17T10:00:00+01:00"),
            'schedule.conference.days[0].rooms["Gray Room"][2].date: falls on 2020-12-17 in Europe/Berlin, '
            "outside the conference (2020-12-14 to 2020-12-16)",
        ),
    ],
)
async def test_import_rejects_bad_event_fields(
    client: Client, organiser: Organiser, settings: Settings, change: tuple[str, Any], message: str
) -> None:
    await create_empty_conference(client, organiser, **DEMOCON)
    broken = copy.deepcopy(pretalx_example())
    key, value = change
    broken["schedule"]["conference"]["days"][0]["rooms"]["Gray Room"][2][key] = value

    with pytest.raises(FrabImportError) as caught:
        await import_into(settings, "democon", broken)

    assert str(caught.value).startswith(message)


async def test_import_rejects_a_file_that_is_not_a_schedule(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await create_empty_conference(client, organiser, **DEMOCON)

    with pytest.raises(FrabImportError, match=r"^schedule\.conference: missing$"):
        await import_into(settings, "democon", {"schedule": {"version": "1"}})
    with pytest.raises(FrabImportError, match=r"^\(document\): not an object$"):
        await import_into(settings, "democon", [])


async def test_imported_speaker_without_country_reads_as_null(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await create_empty_conference(client, organiser, **DEMOCON)
    await import_into(settings, "democon", pretalx_example())

    response = await client.get("/api/v1/conferences/democon/speakers/brian-robinson")

    assert response.status_code == 200, response.text
    assert (response.json()["country"], response.json()["country_name"]) == (None, None)
    # The API still requires a country for the speakers it creates.
    missing = await client.post(
        "/api/v1/conferences/democon/speakers",
        json={"slug": "no-country", "name": "No Country"},
        headers=organiser.headers,
    )
    assert missing.status_code == 400
