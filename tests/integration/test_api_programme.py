"""Sessions, their speakers, public reads and programme versioning through the JSON API."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import Organiser, conference_payload, post_ok, session_payload, speaker_payload

Client = AsyncTestClient[Litestar]
CONF = "/api/v1/conferences/climate-2027"
SESSION = f"{CONF}/sessions/limits-of-cop26"
STREAM_SECRET = "https://meet.example.org/stream-secret-4711"
SESSION_SECRET = "https://meet.example.org/session-secret-0815"


async def build_programme(client: Client, organiser: Organiser, **session_overrides: Any) -> dict[str, Any]:
    """A published conference with a track, a stream (with a meeting URL), two speakers and one session."""
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await post_ok(client, organiser, f"{CONF}/tracks", {"slug": "ecology", "name": {"en": "Ecology"}})
    await post_ok(
        client, organiser, f"{CONF}/streams", {"slug": "main", "name": "Main room", "meeting_url": STREAM_SECRET}
    )
    await post_ok(client, organiser, f"{CONF}/speakers", speaker_payload())
    await post_ok(client, organiser, f"{CONF}/speakers", speaker_payload(slug="ana", name="Ana Lima", country="BR"))
    payload = session_payload(
        track="ecology",
        stream="main",
        meeting_url=SESSION_SECRET,
        speakers=[{"speaker": "alex-callinicos"}],
    )
    payload.update(session_overrides)
    return await post_ok(client, organiser, f"{CONF}/sessions", payload)


async def programme_version(client: Client, organiser: Organiser) -> int:
    response = await client.get(CONF, headers=organiser.headers)
    version: int = response.json()["programme_version"]
    return version


async def revision(client: Client, organiser: Organiser, slug: str = "limits-of-cop26") -> int:
    response = await client.get(f"{CONF}/sessions/{slug}", headers=organiser.headers)
    value: int = response.json()["revision"]
    return value


# Session CRUD


async def test_session_create_returns_organiser_view(client: Client, organiser: Organiser) -> None:
    created = await build_programme(client, organiser)

    assert created["slug"] == "limits-of-cop26"
    assert created["track"] == "ecology"
    assert created["stream"] == "main"
    assert created["starts_at"] == "2027-11-14T10:00:00Z"
    assert created["ends_at"] == "2027-11-14T11:30:00Z"
    assert created["timezone"] == "Europe/London"
    assert created["duration_minutes"] == 90
    assert created["language"] == "en"
    assert created["revision"] == 0
    assert created["meeting_url"] == SESSION_SECRET
    assert [s["slug"] for s in created["speakers"]] == ["alex-callinicos"]
    assert created["url"] == "http://testserver.local/climate-2027/sessions/limits-of-cop26/"


async def test_session_naive_time_is_read_in_conference_zone(client: Client, organiser: Organiser) -> None:
    await build_programme(client, organiser)

    created = await post_ok(
        client,
        organiser,
        f"{CONF}/sessions",
        session_payload(slug="tokyo", starts_at="2027-11-14T09:00:00", ends_at="2027-11-14T10:00:00"),
    )

    assert created["starts_at"] == "2027-11-14T09:00:00Z"


async def test_session_patch_and_delete(client: Client, organiser: Organiser) -> None:
    await build_programme(client, organiser)

    patched = await client.patch(
        SESSION,
        json={"title": {"en": "New", "es": "Nuevo"}, "track": None, "capacity": 50},
        headers=organiser.headers,
    )
    reread = await client.get(SESSION, headers=organiser.headers)
    deleted = await client.delete(SESSION, headers=organiser.headers)
    after = await client.get(SESSION, headers=organiser.headers)

    assert patched.status_code == 200, patched.text
    assert reread.json()["title"] == {"en": "New", "es": "Nuevo"}
    assert reread.json()["track"] is None
    assert reread.json()["capacity"] == 50
    assert deleted.status_code == 204
    assert after.status_code == 404


async def test_session_speakers_put_keeps_roles_and_order(client: Client, organiser: Organiser) -> None:
    await build_programme(client, organiser)
    speakers = [
        {"speaker": "ana", "role": "chair"},
        {"speaker": "alex-callinicos", "role": "moderator"},
    ]

    response = await client.put(f"{SESSION}/speakers", json=speakers, headers=organiser.headers)
    reread = await client.get(SESSION)

    assert response.status_code == 200, response.text
    assert [(s["slug"], s["role"]) for s in reread.json()["speakers"]] == [
        ("ana", "chair"),
        ("alex-callinicos", "moderator"),
    ]
    assert reread.json()["speakers"][0]["country_name"] == "Brazil"


async def test_session_speakers_put_changes_role_of_same_speaker(client: Client, organiser: Organiser) -> None:
    await build_programme(client, organiser)

    response = await client.put(
        f"{SESSION}/speakers", json=[{"speaker": "alex-callinicos", "role": "chair"}], headers=organiser.headers
    )
    reread = await client.get(SESSION)

    assert response.status_code == 200, response.text
    assert [(s["slug"], s["role"]) for s in reread.json()["speakers"]] == [("alex-callinicos", "chair")]


async def test_session_speakers_put_reorders_same_speakers(client: Client, organiser: Organiser) -> None:
    await build_programme(client, organiser, speakers=[{"speaker": "alex-callinicos"}, {"speaker": "ana"}])

    response = await client.put(
        f"{SESSION}/speakers", json=[{"speaker": "ana"}, {"speaker": "alex-callinicos"}], headers=organiser.headers
    )
    reread = await client.get(SESSION)

    assert response.status_code == 200, response.text
    assert [s["slug"] for s in reread.json()["speakers"]] == ["ana", "alex-callinicos"]


async def test_session_speakers_put_empty_list_clears(client: Client, organiser: Organiser) -> None:
    await build_programme(client, organiser)

    response = await client.put(f"{SESSION}/speakers", json=[], headers=organiser.headers)
    speaker = await client.get(f"{CONF}/speakers/alex-callinicos")

    assert response.status_code == 200, response.text
    assert response.json()["speakers"] == []
    assert speaker.status_code == 404  # in no public session any more: not announced


async def test_speaker_delete_removes_them_from_sessions(client: Client, organiser: Organiser) -> None:
    await build_programme(client, organiser)

    deleted = await client.delete(f"{CONF}/speakers/alex-callinicos", headers=organiser.headers)
    reread = await client.get(SESSION)

    assert deleted.status_code == 204
    assert reread.json()["speakers"] == []


async def test_track_delete_keeps_its_sessions(client: Client, organiser: Organiser) -> None:
    await build_programme(client, organiser)

    deleted = await client.delete(f"{CONF}/tracks/ecology", headers=organiser.headers)
    reread = await client.get(SESSION)

    assert deleted.status_code == 204
    assert reread.json()["track"] is None


# Public reads


async def test_public_reads_show_published_programme(client: Client, organiser: Organiser) -> None:
    await build_programme(client, organiser)

    sessions = await client.get(f"{CONF}/sessions")
    speakers = await client.get(f"{CONF}/speakers")
    tracks = await client.get(f"{CONF}/tracks")
    streams = await client.get(f"{CONF}/streams")

    assert [s["slug"] for s in sessions.json()] == ["limits-of-cop26"]
    # Ana is in no session: not announced, so not listed to the public (as on the pages).
    assert [(s["slug"], s["sessions"]) for s in speakers.json()] == [("alex-callinicos", ["limits-of-cop26"])]
    assert [t["slug"] for t in tracks.json()] == ["ecology"]
    assert [s["slug"] for s in streams.json()] == ["main"]


async def test_public_reads_hide_draft_session(client: Client, organiser: Organiser) -> None:
    await build_programme(client, organiser, status="draft")

    listed = await client.get(f"{CONF}/sessions")
    single = await client.get(SESSION)
    speaker = await client.get(f"{CONF}/speakers/alex-callinicos")
    as_organiser = await client.get(SESSION, headers=organiser.headers)

    assert listed.json() == []
    assert single.status_code == 404
    assert speaker.status_code == 404  # their only session is a draft
    assert as_organiser.status_code == 200


async def test_public_reads_hide_draft_conference(client: Client, organiser: Organiser) -> None:
    await build_programme(client, organiser)
    await client.patch(CONF, json={"status": "draft"}, headers=organiser.headers)

    paths = [CONF, f"{CONF}/sessions", SESSION, f"{CONF}/speakers", f"{CONF}/tracks", f"{CONF}/streams/main"]
    statuses = [(await client.get(path)).status_code for path in paths]
    listed = await client.get("/api/v1/conferences")

    assert statuses == [404] * len(paths)
    assert listed.json() == []


async def test_public_reads_never_contain_meeting_urls(
    client: Client, organiser: Organiser, other_organiser: Organiser
) -> None:
    await build_programme(client, organiser)
    await post_ok(client, organiser, f"{CONF}/sessions", session_payload(slug="in-room", stream="main"))
    paths = [
        "/",
        "/api/v1/conferences",
        CONF,
        f"{CONF}/sessions",
        SESSION,
        f"{CONF}/sessions/in-room",
        f"{CONF}/speakers",
        f"{CONF}/speakers/alex-callinicos",
        f"{CONF}/tracks",
        f"{CONF}/streams",
        f"{CONF}/streams/main",
        "/schema/openapi.json",
    ]

    anonymous = [await client.get(path) for path in paths]
    # A token of an organiser of another conference shows no more than no token.
    stranger = [await client.get(path, headers=other_organiser.headers) for path in paths]
    answers = anonymous + stranger

    assert [a.status_code for a in answers] == [200] * len(answers)
    leaks = [
        path
        for path, answer in zip(paths + paths, answers, strict=True)
        if "stream-secret-4711" in answer.text or "session-secret-0815" in answer.text or "meet.example" in answer.text
    ]
    assert leaks == []


async def test_organiser_reads_contain_meeting_urls(client: Client, organiser: Organiser) -> None:
    await build_programme(client, organiser)

    sessions = await client.get(f"{CONF}/sessions", headers=organiser.headers)
    single = await client.get(SESSION, headers=organiser.headers)
    streams = await client.get(f"{CONF}/streams", headers=organiser.headers)
    stream = await client.get(f"{CONF}/streams/main", headers=organiser.headers)

    assert sessions.json()[0]["meeting_url"] == SESSION_SECRET
    assert single.json()["meeting_url"] == SESSION_SECRET
    assert streams.json()[0]["meeting_url"] == STREAM_SECRET
    assert stream.json()["meeting_url"] == STREAM_SECRET


# Versioning


@pytest.mark.parametrize(
    "change",
    [
        {"starts_at": "2027-11-14T12:00:00+00:00", "ends_at": "2027-11-14T13:00:00+00:00"},
        {"title": {"en": "Another title"}},
        {"status": "cancelled"},
        {"speakers": [{"speaker": "ana"}]},
        {"speakers": [{"speaker": "alex-callinicos", "role": "chair"}]},
        {"stream": None},
    ],
    ids=["time", "title", "status", "speakers", "speaker-role", "stream"],
)
async def test_versioning_public_session_change_raises_version_and_revision_by_one(
    client: Client, organiser: Organiser, change: dict[str, Any]
) -> None:
    await build_programme(client, organiser)
    version_before = await programme_version(client, organiser)

    response = await client.patch(SESSION, json=change, headers=organiser.headers)

    assert response.status_code == 200, response.text
    assert response.json()["revision"] == 1
    assert await revision(client, organiser) == 1
    assert await programme_version(client, organiser) > version_before


async def test_versioning_speakers_put_raises_revision_by_one(client: Client, organiser: Organiser) -> None:
    await build_programme(client, organiser)
    version_before = await programme_version(client, organiser)

    response = await client.put(f"{SESSION}/speakers", json=[{"speaker": "ana"}], headers=organiser.headers)

    assert response.status_code == 200, response.text
    assert await revision(client, organiser) == 1
    assert await programme_version(client, organiser) > version_before


@pytest.mark.parametrize(
    "change", [{"meeting_url": "https://meet.example.org/new-room"}, {"capacity": 20}], ids=["meeting_url", "capacity"]
)
async def test_versioning_private_session_change_keeps_revision(
    client: Client, organiser: Organiser, change: dict[str, Any]
) -> None:
    await build_programme(client, organiser)

    response = await client.patch(SESSION, json=change, headers=organiser.headers)

    assert response.status_code == 200, response.text
    assert await revision(client, organiser) == 0


@pytest.mark.parametrize(
    ("path", "change"),
    [
        ("/tracks/ecology", {"name": {"en": "Ecology and climate"}}),
        ("/streams/main", {"name": "Hall"}),
        ("/speakers/alex-callinicos", {"name": "Alex Callinicos Jr"}),
        ("/speakers/alex-callinicos", {"country": "IE"}),
    ],
    ids=["track", "stream", "speaker-name", "speaker-country"],
)
async def test_versioning_related_change_raises_version_and_session_revision(
    client: Client, organiser: Organiser, path: str, change: dict[str, Any]
) -> None:
    await build_programme(client, organiser)
    version_before = await programme_version(client, organiser)

    response = await client.patch(f"{CONF}{path}", json=change, headers=organiser.headers)

    assert response.status_code == 200, response.text
    assert await programme_version(client, organiser) > version_before
    assert await revision(client, organiser) == 1


async def test_versioning_stream_meeting_url_change_raises_nothing(client: Client, organiser: Organiser) -> None:
    await build_programme(client, organiser)
    version_before = await programme_version(client, organiser)

    response = await client.patch(
        f"{CONF}/streams/main", json={"meeting_url": "https://meet.example.org/other"}, headers=organiser.headers
    )

    assert response.status_code == 200, response.text
    assert await programme_version(client, organiser) == version_before
    assert await revision(client, organiser) == 0


@pytest.mark.parametrize(
    ("path", "same"),
    [
        ("", {"title": conference_payload()["title"], "timezone": "Europe/London", "status": "published"}),
        ("/tracks/ecology", {"name": {"en": "Ecology"}, "position": 0}),
        ("/streams/main", {"name": "Main room", "meeting_url": STREAM_SECRET}),
        ("/speakers/alex-callinicos", {"name": "Alex Callinicos", "country": "GB"}),
        (
            "/sessions/limits-of-cop26",
            {
                "title": session_payload()["title"],
                "starts_at": "2027-11-14T10:00:00Z",
                "track": "ecology",
                "speakers": [{"speaker": "alex-callinicos"}],
                "meeting_url": SESSION_SECRET,
            },
        ),
    ],
    ids=["conference", "track", "stream", "speaker", "session"],
)
async def test_versioning_patch_with_identical_values_raises_nothing(
    client: Client, organiser: Organiser, path: str, same: dict[str, Any]
) -> None:
    await build_programme(client, organiser)
    version_before = await programme_version(client, organiser)

    response = await client.patch(f"{CONF}{path}", json=same, headers=organiser.headers)

    assert response.status_code == 200, response.text
    assert await programme_version(client, organiser) == version_before
    assert await revision(client, organiser) == 0


async def test_versioning_create_and_delete_raise_version(client: Client, organiser: Organiser) -> None:
    await build_programme(client, organiser)
    before = await programme_version(client, organiser)

    await post_ok(client, organiser, f"{CONF}/sessions", session_payload(slug="second"))
    after_create = await programme_version(client, organiser)
    await client.delete(f"{CONF}/sessions/second", headers=organiser.headers)
    after_delete = await programme_version(client, organiser)

    assert after_create == before + 1
    assert after_delete == before + 2
