"""Conferences, tracks, streams, speakers and members through the JSON API."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import Organiser, conference_payload, post_ok, speaker_payload

Client = AsyncTestClient[Litestar]
CONF = "/api/v1/conferences/climate-2027"


async def create_conference(client: Client, organiser: Organiser, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/conferences", json=conference_payload(**overrides), headers=organiser.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


# Conferences


async def test_conference_create_returns_owner_view(client: Client, organiser: Organiser) -> None:
    created = await create_conference(client, organiser, languages=["ru", "en", "ru"])

    assert created["slug"] == "climate-2027"
    assert created["role"] == "owner"
    assert created["languages"] == ["en", "ru"]
    assert created["programme_version"] == 1
    assert created["url"] == "http://testserver.local/climate-2027/"


async def test_conference_list_shows_published_to_public_and_drafts_to_owner(
    client: Client, organiser: Organiser
) -> None:
    await create_conference(client, organiser)
    await create_conference(client, organiser, slug="draft-conf", status="draft")

    public = await client.get("/api/v1/conferences")
    own = await client.get("/api/v1/conferences", headers=organiser.headers)

    assert public.status_code == 200
    assert [c["slug"] for c in public.json()] == ["climate-2027"]
    assert [c["role"] for c in public.json()] == [None]
    assert sorted(c["slug"] for c in own.json()) == ["climate-2027", "draft-conf"]


async def test_conference_patch_changes_only_given_fields(client: Client, organiser: Organiser) -> None:
    await create_conference(client, organiser)

    response = await client.patch(
        CONF, json={"title": {"en": "New title"}, "ends_on": "2027-11-15"}, headers=organiser.headers
    )
    reread = await client.get(CONF)

    assert response.status_code == 200, response.text
    assert reread.json()["title"] == {"en": "New title"}
    assert reread.json()["ends_on"] == "2027-11-15"
    assert reread.json()["timezone"] == "Europe/London"
    assert reread.json()["description"] == {"en": "An online conference."}


async def test_conference_patch_description_null_is_rejected(client: Client, organiser: Organiser) -> None:
    await create_conference(client, organiser)

    response = await client.patch(CONF, json={"description": None}, headers=organiser.headers)
    reread = await client.get(CONF)

    assert response.status_code == 400, response.text
    assert "description" in response.json()["detail"]
    assert reread.json()["description"] == {"en": "An online conference."}


async def test_conference_delete_removes_it(client: Client, organiser: Organiser) -> None:
    await create_conference(client, organiser)

    response = await client.delete(CONF, headers=organiser.headers)
    reread = await client.get(CONF, headers=organiser.headers)

    assert response.status_code == 204
    assert reread.status_code == 404


# Tracks


async def test_track_crud_round_trip(client: Client, organiser: Organiser) -> None:
    await create_conference(client, organiser)
    created = await post_ok(
        client, organiser, f"{CONF}/tracks", {"slug": "ecology", "name": {"en": "Ecology"}, "color": "#00aa00"}
    )

    patched = await client.patch(
        f"{CONF}/tracks/ecology", json={"name": {"en": "Ecology", "es": "Ecología"}}, headers=organiser.headers
    )
    listed = await client.get(f"{CONF}/tracks")
    deleted = await client.delete(f"{CONF}/tracks/ecology", headers=organiser.headers)
    after = await client.get(f"{CONF}/tracks/ecology")

    assert created == {"slug": "ecology", "name": {"en": "Ecology"}, "color": "#00aa00", "position": 0}
    assert patched.status_code == 200, patched.text
    assert listed.json() == [
        {"slug": "ecology", "name": {"en": "Ecology", "es": "Ecología"}, "color": "#00aa00", "position": 0}
    ]
    assert deleted.status_code == 204
    assert after.status_code == 404


# Streams


async def test_stream_crud_round_trip(client: Client, organiser: Organiser) -> None:
    await create_conference(client, organiser)
    created = await post_ok(
        client,
        organiser,
        f"{CONF}/streams",
        {"slug": "main", "name": "Main room", "meeting_url": "https://meet.example.org/secret-room"},
    )

    patched = await client.patch(f"{CONF}/streams/main", json={"name": "Big room"}, headers=organiser.headers)
    reread = await client.get(f"{CONF}/streams/main", headers=organiser.headers)
    deleted = await client.delete(f"{CONF}/streams/main", headers=organiser.headers)
    after = await client.get(f"{CONF}/streams", headers=organiser.headers)

    assert created["meeting_url"] == "https://meet.example.org/secret-room"
    assert patched.status_code == 200, patched.text
    assert reread.json()["name"] == "Big room"
    assert reread.json()["meeting_url"] == "https://meet.example.org/secret-room"
    assert deleted.status_code == 204
    assert after.json() == []


# Speakers


async def test_speaker_crud_round_trip(client: Client, organiser: Organiser) -> None:
    await create_conference(client, organiser)
    created = await post_ok(client, organiser, f"{CONF}/speakers", speaker_payload(bio={"en": "Writer."}))

    patched = await client.patch(
        f"{CONF}/speakers/alex-callinicos", json={"name": "Alex C."}, headers=organiser.headers
    )
    reread = await client.get(f"{CONF}/speakers/alex-callinicos", headers=organiser.headers)
    # In no session yet, so not announced: the public API knows them no more than the pages do.
    public_one = await client.get(f"{CONF}/speakers/alex-callinicos")
    public_list = await client.get(f"{CONF}/speakers")
    deleted = await client.delete(f"{CONF}/speakers/alex-callinicos", headers=organiser.headers)
    after = await client.get(f"{CONF}/speakers/alex-callinicos")

    assert created["country_name"] == "United Kingdom"
    assert created["bio"] == {"en": "Writer."}
    assert patched.status_code == 200, patched.text
    assert reread.json()["name"] == "Alex C."
    assert public_one.status_code == 404
    assert public_list.json() == []
    assert deleted.status_code == 204
    assert after.status_code == 404


async def test_speaker_timezone_defaults_from_single_zone_country(client: Client, organiser: Organiser) -> None:
    await create_conference(client, organiser)

    created = await post_ok(client, organiser, f"{CONF}/speakers", speaker_payload(country="GB"))

    assert created["timezone"] == "Europe/London"


async def test_speaker_timezone_stays_null_for_multi_zone_country(client: Client, organiser: Organiser) -> None:
    await create_conference(client, organiser)

    created = await post_ok(client, organiser, f"{CONF}/speakers", speaker_payload(country="BR"))

    assert created["timezone"] is None


async def test_speaker_timezone_explicit_wins_over_country(client: Client, organiser: Organiser) -> None:
    await create_conference(client, organiser)

    gb = await post_ok(client, organiser, f"{CONF}/speakers", speaker_payload(country="GB", timezone="Asia/Tokyo"))
    br = await post_ok(
        client,
        organiser,
        f"{CONF}/speakers",
        speaker_payload(slug="br", country="BR", timezone="America/Sao_Paulo"),
    )

    assert gb["timezone"] == "Asia/Tokyo"
    assert br["timezone"] == "America/Sao_Paulo"


async def test_speaker_country_change_resets_timezone_from_country(client: Client, organiser: Organiser) -> None:
    await create_conference(client, organiser)
    await post_ok(client, organiser, f"{CONF}/speakers", speaker_payload(country="GB"))

    response = await client.patch(f"{CONF}/speakers/alex-callinicos", json={"country": "BR"}, headers=organiser.headers)

    assert response.status_code == 200, response.text
    assert response.json()["timezone"] is None
    assert response.json()["country"] == "BR"


# Members


async def test_member_added_by_owner_can_write(
    client: Client, organiser: Organiser, other_organiser: Organiser
) -> None:
    await create_conference(client, organiser, status="draft")

    added = await client.post(f"{CONF}/members", json={"email": "GRACE@example.org"}, headers=organiser.headers)
    write = await client.post(
        f"{CONF}/tracks", json={"slug": "t", "name": {"en": "T"}}, headers=other_organiser.headers
    )
    members = await client.get(f"{CONF}/members", headers=other_organiser.headers)

    assert added.status_code == 201, added.text
    assert added.json()["email"] == "grace@example.org"
    assert added.json()["role"] == "organiser"
    assert write.status_code == 201, write.text
    assert [(m["email"], m["role"]) for m in members.json()] == [
        ("ada@example.org", "owner"),
        ("grace@example.org", "organiser"),
    ]


async def test_member_non_owner_cannot_delete_conference(
    client: Client, organiser: Organiser, other_organiser: Organiser
) -> None:
    await create_conference(client, organiser)
    await post_ok(client, organiser, f"{CONF}/members", {"email": other_organiser.email})

    response = await client.delete(CONF, headers=other_organiser.headers)
    reread = await client.get(CONF)

    assert response.status_code == 403
    assert reread.status_code == 200


async def test_member_non_owner_cannot_add_members(
    client: Client, organiser: Organiser, other_organiser: Organiser
) -> None:
    await create_conference(client, organiser)
    await post_ok(client, organiser, f"{CONF}/members", {"email": other_organiser.email})

    response = await client.post(
        f"{CONF}/members", json={"email": other_organiser.email, "role": "owner"}, headers=other_organiser.headers
    )

    assert response.status_code == 403


async def test_member_last_owner_cannot_be_removed(client: Client, organiser: Organiser) -> None:
    await create_conference(client, organiser)
    members = await client.get(f"{CONF}/members", headers=organiser.headers)
    owner_id = members.json()[0]["id"]

    response = await client.delete(f"{CONF}/members/{owner_id}", headers=organiser.headers)
    after = await client.get(f"{CONF}/members", headers=organiser.headers)

    assert response.status_code == 409
    assert response.json()["extra"][0]["key"] == "role"
    assert after.json() == members.json()


async def test_member_second_owner_allows_removing_first(
    client: Client, organiser: Organiser, other_organiser: Organiser
) -> None:
    await create_conference(client, organiser)
    await post_ok(client, organiser, f"{CONF}/members", {"email": other_organiser.email, "role": "owner"})
    members = await client.get(f"{CONF}/members", headers=organiser.headers)
    first_id = members.json()[0]["id"]

    response = await client.delete(f"{CONF}/members/{first_id}", headers=other_organiser.headers)
    after = await client.get(f"{CONF}/members", headers=other_organiser.headers)

    assert response.status_code == 204
    assert [m["email"] for m in after.json()] == ["grace@example.org"]


async def test_member_unknown_email_is_rejected(client: Client, organiser: Organiser) -> None:
    await create_conference(client, organiser)

    response = await client.post(f"{CONF}/members", json={"email": "nobody@example.org"}, headers=organiser.headers)

    assert response.status_code == 400
    assert response.json()["extra"][0]["key"] == "email"
