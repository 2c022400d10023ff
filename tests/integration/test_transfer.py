"""Whole-conference export/import: export → import into an empty database → export is identical."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from litestar import Litestar
from litestar.exceptions import NotFoundException
from litestar.testing import AsyncTestClient
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from confman.db.models import Conference, ConferenceSession, SessionSpeaker, Speaker, Stream, Track
from confman.settings import Settings
from confman.transfer import TransferError, export_conference, import_conference
from tests.factories import (
    Organiser,
    conference_payload,
    database,
    session_payload,
    speaker_payload,
    truncate_all,
)

SLUG = "climate-2027"
BASE = f"/api/v1/conferences/{SLUG}"


async def _post(client: AsyncTestClient[Litestar], organiser: Organiser, path: str, body: dict[str, Any]) -> None:
    response = await client.post(path, json=body, headers=organiser.headers)
    assert response.status_code == 201, response.text


async def _patch(client: AsyncTestClient[Litestar], organiser: Organiser, path: str, body: dict[str, Any]) -> None:
    response = await client.patch(path, json=body, headers=organiser.headers)
    assert response.status_code == 200, response.text


async def _build_rich_conference(client: AsyncTestClient[Litestar], organiser: Organiser) -> None:
    """Everything the file format carries, made through the API as organisers make it."""
    await _post(
        client,
        organiser,
        "/api/v1/conferences",
        conference_payload(
            ends_on="2027-11-15",
            description={"en": "An online conference.", "fr": "Une conférence en ligne.", "ru": "Онлайн-конференция."},
        ),
    )
    await _post(
        client,
        organiser,
        f"{BASE}/tracks",
        {"slug": "ecology", "name": {"en": "Ecology", "ru": "Экология"}, "color": "#2E7D32", "position": 1},
    )
    # Put first explicitly: a track without a position is appended after the last.
    await _post(client, organiser, f"{BASE}/tracks", {"slug": "history", "name": {"en": "History"}, "position": 0})
    await _post(
        client,
        organiser,
        f"{BASE}/streams",
        {
            "slug": "main-hall",
            "name": "Main hall",
            "public_url": "https://video.example.org/live/main",
            "meeting_url": "https://meet.example.org/j/8842?pwd=s3cret",
        },
    )
    await _post(
        client,
        organiser,
        f"{BASE}/streams",
        {"slug": "room-b", "name": "Room B", "meeting_url": "https://meet.example.org/j/9911", "position": 2},
    )
    await _post(
        client,
        organiser,
        f"{BASE}/speakers",
        speaker_payload(
            slug="alexandra-kollontai",
            name="Александра Коллонтай",
            country="RU",
            timezone="Europe/Moscow",
            bio={
                "en": "Revolutionary and diplomat.",
                "ru": "\n\n".join(["Революционерка и дипломат.", "Писательница."]),
            },
            links=[
                {"title": "Архив", "url": "https://archive.example.org/kollontai"},
                {"title": "Works", "url": "https://example.org/works?lang=en"},
            ],
            email="kollontai@example.org",
        ),
    )
    await _post(
        client,
        organiser,
        f"{BASE}/speakers",
        speaker_payload(
            slug="jose-marti",
            name="José Martí",
            country="CU",
            bio={"es": "Poeta y pensador cubano.", "en": "Cuban poet and thinker.", "fr": "Poète cubain."},
        ),
    )
    await _post(
        client,
        organiser,
        f"{BASE}/speakers",
        speaker_payload(slug="francoise-d-eaubonne", name="Françoise d'Eaubonne", country="FR"),
    )
    await _post(client, organiser, f"{BASE}/speakers", speaker_payload())
    await _post(
        client,
        organiser,
        f"{BASE}/sessions",
        session_payload(
            slug="ecology-and-revolution",
            title={"en": "Ecology and Revolution", "ru": "Экология и революция", "fr": "Écologie et révolution"},
            abstract={"en": "A **panel**.", "es": "Un panel."},
            kind="panel",
            language="ru",
            track="ecology",
            stream="main-hall",
            starts_at="2027-11-14T09:00:00+00:00",
            ends_at="2027-11-14T10:30:00+00:00",
            capacity=500,
            speakers=[
                {"speaker": "jose-marti", "role": "moderator"},
                {"speaker": "alexandra-kollontai", "role": "speaker"},
                {"speaker": "francoise-d-eaubonne", "role": "speaker"},
                {"speaker": "alex-callinicos", "role": "chair"},
            ],
        ),
    )
    await _post(
        client,
        organiser,
        f"{BASE}/sessions",
        session_payload(
            track="history",
            stream="room-b",
            meeting_url="https://meet.example.org/j/override",
            speakers=[{"speaker": "alex-callinicos"}],
        ),
    )
    await _post(
        client,
        organiser,
        f"{BASE}/sessions",
        session_payload(
            slug="cancelled-workshop",
            title={"en": "A workshop that will not happen"},
            kind="workshop",
            starts_at="2027-11-15T14:00",
            ends_at="2027-11-15T15:00",
            speakers=[{"speaker": "jose-marti"}],
        ),
    )
    # Cancelling is a public change: the session's revision and the programme version rise.
    await _patch(client, organiser, f"{BASE}/sessions/cancelled-workshop", {"status": "cancelled"})
    await _post(
        client,
        organiser,
        f"{BASE}/sessions",
        session_payload(
            slug="draft-closing",
            title={"en": "Closing (to be confirmed)"},
            status="draft",
            starts_at="2027-11-15T16:00:00+00:00",
            ends_at="2027-11-15T16:30:00+00:00",
        ),
    )
    await _patch(client, organiser, f"{BASE}/tracks/history", {"name": {"en": "History", "es": "Historia"}})
    # The registration rules and questions travel with the conference (issue 18).
    rules = {
        "opens_at": "2027-09-01T09:00:00+02:00", "closes_at": None, "capacity": 120, "waitlist": False,
        "double_opt_in": True, "privacy_text": {"en": "We keep your name.", "es": "Guardamos tu nombre."},
        "questions": [
            {"key": "topic", "kind": "single_choice", "label": {"en": "Topic", "es": "Tema"}, "required": True,
             "choices": [{"key": "history", "label": {"en": "History"}}, {"key": "now", "label": {"en": "Now"}}]},
            {"key": "note", "kind": "long_text", "label": {"en": "Anything else?"}},
        ],
        "join_opens_minutes": 30, "join_closes_minutes": 10, "reminder_minutes": None,
    }  # fmt: skip
    answer = await client.put(f"{BASE}/registration-settings", json=rules, headers=organiser.headers)
    assert answer.status_code == 200, answer.text


async def _export(settings: Settings, slug: str = SLUG) -> dict[str, Any]:
    async with database(settings) as db:
        return await export_conference(db, slug)


async def _import(settings: Settings, data: dict[str, Any]) -> None:
    async with database(settings) as db:
        await import_conference(db, data)


async def _row_counts(settings: Settings) -> dict[str, int]:
    async with database(settings) as db:
        return {
            model.__tablename__: await db.scalar(select(func.count()).select_from(model)) or 0
            for model in (Conference, Track, Stream, Speaker, ConferenceSession, SessionSpeaker)
        }


async def test_export_import_round_trip_is_lossless(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _build_rich_conference(client, organiser)
    first = await _export(settings)

    await truncate_all(settings)
    await _import(settings, copy.deepcopy(first))
    second = await _export(settings)

    assert second == first
    assert [s["email"] for s in first["speakers"] if s["slug"] == "alexandra-kollontai"] == ["kollontai@example.org"]
    assert first["registration_settings"]["opens_at"] == "2027-09-01T07:00:00Z"
    assert [q["key"] for q in first["registration_settings"]["questions"]] == ["topic", "note"]
    assert (first["registration_settings"]["capacity"], first["registration_settings"]["reminder_minutes"]) == (
        120,
        None,
    )
    # Key order too: the files must be byte-identical, not merely equal as dicts.
    assert json.dumps(second, ensure_ascii=False) == json.dumps(first, ensure_ascii=False)
    assert json.loads(json.dumps(first)) == first
    public = await client.get(f"/api/v1/conferences/{SLUG}")
    assert public.json()["programme_version"] == first["conference"]["programme_version"]


async def test_export_rich_conference_contains_secrets_order_and_history(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _build_rich_conference(client, organiser)

    exported = await _export(settings)

    assert list(exported) == [
        "format",
        "conference",
        "tracks",
        "streams",
        "speakers",
        "sessions",
        "registration_settings",
    ]
    assert exported["format"] == "confman.conference/1"
    assert exported["conference"]["title"] == {
        "en": "The Revolutionary Alternative",
        "ru": "Революционная альтернатива",
    }
    assert [stream["meeting_url"] for stream in exported["streams"]] == [
        "https://meet.example.org/j/8842?pwd=s3cret",
        "https://meet.example.org/j/9911",
    ]
    assert [track["slug"] for track in exported["tracks"]] == ["history", "ecology"]
    assert [speaker["name"] for speaker in exported["speakers"]] == [
        "Alex Callinicos",
        "Александра Коллонтай",
        "Françoise d'Eaubonne",
        "José Martí",
    ]
    sessions = {session["slug"]: session for session in exported["sessions"]}
    assert list(sessions) == ["ecology-and-revolution", "limits-of-cop26", "cancelled-workshop", "draft-closing"]
    assert sessions["ecology-and-revolution"]["speakers"] == [
        {"speaker": "jose-marti", "role": "moderator"},
        {"speaker": "alexandra-kollontai", "role": "speaker"},
        {"speaker": "francoise-d-eaubonne", "role": "speaker"},
        {"speaker": "alex-callinicos", "role": "chair"},
    ]
    assert sessions["cancelled-workshop"]["status"] == "cancelled"
    assert sessions["cancelled-workshop"]["revision"] == 1
    # Wall-clock 14:00 in London in November is 14:00 UTC.
    assert sessions["cancelled-workshop"]["starts_at"] == "2027-11-15T14:00:00Z"
    assert sessions["draft-closing"]["status"] == "draft"
    assert sessions["limits-of-cop26"]["meeting_url"] == "https://meet.example.org/j/override"
    assert "id" not in exported["conference"]
    assert "created_at" not in sessions["draft-closing"]


async def test_export_rich_conference_uses_constant_number_of_queries(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _build_rich_conference(client, organiser)
    selects: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    async with database(settings) as db:
        assert isinstance(db.bind, AsyncEngine)
        event.listen(db.bind.sync_engine, "before_cursor_execute", count)
        await export_conference(db, SLUG)

    # Conference, tracks, streams, speakers, sessions, session speakers, the logo, the
    # registration rules: one each.
    assert len(selects) == 8


async def test_export_unknown_slug_raises_not_found(settings: Settings) -> None:
    async with database(settings) as db:
        with pytest.raises(NotFoundException):
            await export_conference(db, "no-such-conference")


async def test_import_existing_slug_is_refused(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _build_rich_conference(client, organiser)
    exported = await _export(settings)
    exported["conference"]["guid"] = "4f5a2f0e-8f6b-4c1e-9d7a-2b3c4d5e6f70"
    before = await _row_counts(settings)

    with pytest.raises(TransferError) as caught:
        await _import(settings, exported)

    assert str(caught.value) == "conference.slug: a conference 'climate-2027' already exists"
    assert await _row_counts(settings) == before


async def test_import_existing_guids_are_refused(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _build_rich_conference(client, organiser)
    exported = await _export(settings)
    exported["conference"]["slug"] = "climate-2027-copy"
    before = await _row_counts(settings)

    with pytest.raises(TransferError) as caught:
        await _import(settings, exported)

    assert (
        str(caught.value) == f"conference.guid: a conference with guid {exported['conference']['guid']} already exists"
    )
    assert await _row_counts(settings) == before


async def test_import_reused_session_guid_names_json_path(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _build_rich_conference(client, organiser)
    exported = await _export(settings)
    # A copy under a new identity, but one session keeps the original's guid.
    copied = {
        **exported,
        "conference": {**exported["conference"], "slug": "copy", "guid": "4f5a2f0e-8f6b-4c1e-9d7a-2b3c4d5e6f70"},
        "streams": [],
        "speakers": [],
        "sessions": [{**exported["sessions"][3], "track": None, "stream": None, "speakers": []}],
    }
    before = await _row_counts(settings)

    with pytest.raises(TransferError) as caught:
        await _import(settings, copied)

    assert str(caught.value) == (
        f"sessions[0].guid: {exported['sessions'][3]['guid']} is already used in another conference"
    )
    assert await _row_counts(settings) == before


async def test_import_dangling_speaker_reference_names_json_path(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _build_rich_conference(client, organiser)
    exported = await _export(settings)
    await truncate_all(settings)
    exported["sessions"][2]["speakers"][0]["speaker"] = "rosa-luxemburg"

    with pytest.raises(TransferError) as caught:
        await _import(settings, exported)

    assert str(caught.value) == "sessions[2].speakers[0].speaker: no speaker 'rosa-luxemburg' in this file"
    assert isinstance(caught.value, ValueError)


async def test_import_wrong_types_name_json_paths(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _build_rich_conference(client, organiser)
    exported = await _export(settings)
    await truncate_all(settings)
    exported["tracks"][1]["name"]["en"] = 5
    exported["sessions"][0]["capacity"] = "lots"

    with pytest.raises(TransferError) as caught:
        await _import(settings, exported)

    assert caught.value.errors == [
        "tracks[1].name.en: Input should be a valid string",
        "sessions[0].capacity: Input should be a valid integer, unable to parse string as an integer",
    ]
    assert str(caught.value) == "\n".join(caught.value.errors)


async def test_import_cross_reference_problems_are_all_listed(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _build_rich_conference(client, organiser)
    exported = await _export(settings)
    await truncate_all(settings)
    exported["tracks"][1]["slug"] = "history"
    exported["speakers"][0]["bio"]["de"] = "Ein Revolutionär."
    exported["sessions"][0]["title"] = {"ru": "Только по-русски"}
    exported["sessions"][0]["stream"] = "room-z"
    exported["sessions"][1]["ends_at"] = exported["sessions"][1]["starts_at"]
    exported["sessions"][1]["speakers"].append({"speaker": "alex-callinicos", "role": "chair"})
    exported["registration_settings"]["questions"][0]["label"]["de"] = "Thema"

    with pytest.raises(TransferError) as caught:
        await _import(settings, exported)

    assert caught.value.errors == [
        "speakers[0].bio.de: language not offered by the conference (offered: en, es, fr, ru)",
        "tracks[1].slug: 'history' is used twice (also by tracks[0])",
        "registration_settings.questions[0].label.de: language not offered by the conference (offered: en, es, fr, ru)",
        "sessions[0].title: needs a value in the default language 'en'",
        "sessions[0].track: no track 'ecology' in this file",
        "sessions[0].stream: no stream 'room-z' in this file",
        "sessions[1].ends_at: must be after starts_at",
        "sessions[1].speakers[1].speaker: 'alex-callinicos' is listed twice",
    ]


async def test_import_invalid_file_writes_nothing(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _build_rich_conference(client, organiser)
    exported = await _export(settings)
    await truncate_all(settings)
    # Only the very last reference is wrong: everything before it must not be written either.
    exported["sessions"][-1]["speakers"] = [{"speaker": "nobody", "role": "speaker"}]

    with pytest.raises(TransferError):
        await _import(settings, exported)

    assert await _row_counts(settings) == {
        "conference": 0,
        "track": 0,
        "stream": 0,
        "speaker": 0,
        "conference_session": 0,
        "session_speaker": 0,
    }


async def test_import_wrong_format_is_refused(settings: Settings) -> None:
    with pytest.raises(TransferError) as caught:
        await _import(settings, {"format": "confman.conference/2"})

    assert caught.value.errors == [
        "format: Input should be 'confman.conference/1'",
        "conference: Field required",
        "tracks: Field required",
        "streams: Field required",
        "speakers: Field required",
        "sessions: Field required",
    ]
