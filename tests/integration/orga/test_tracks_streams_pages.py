"""Tracks and streams in the organisers' pages and the API: add, edit, delete, order; track
colours on the public pages; meeting URLs kept off every page that answers GET."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from confman.db.models import AuditRecord, Conference, ConferenceSession, Stream, Track
from confman.settings import Settings
from tests.factories import Organiser, conference_payload, database, post_ok, session_payload
from tests.orga import csrf_token, post_form, sign_in

Client = AsyncTestClient[Litestar]
API = "/api/v1/conferences/climate-2027"
TRACKS = "/orga/climate-2027/tracks/"
STREAMS = "/orga/climate-2027/streams/"
MEETING = "https://meet.example.org/room-a?pwd=s3cret"


async def _conference(client: Client, organiser: Organiser, **overrides: Any) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload(**overrides))


async def _signed_in(client: Client, organiser: Organiser, **overrides: Any) -> None:
    await _conference(client, organiser, **overrides)
    assert (await sign_in(client, organiser.email)).status_code == 303


async def _tracks(settings: Settings) -> list[tuple[str, dict[str, str], str | None, int]]:
    async with database(settings) as db:
        rows = await db.execute(select(Track.slug, Track.name, Track.color, Track.position).order_by(Track.position))
        return [(slug, name, color, position) for slug, name, color, position in rows]


async def _streams(settings: Settings) -> list[tuple[str, str, str | None, int]]:
    async with database(settings) as db:
        rows = await db.execute(
            select(Stream.slug, Stream.name, Stream.meeting_url, Stream.position).order_by(Stream.position)
        )
        return [(slug, name, meeting, position) for slug, name, meeting, position in rows]


async def _version(settings: Settings) -> int:
    async with database(settings) as db:
        return int(await db.scalar(select(Conference.programme_version)) or 0)


async def _add_track(client: Client, slug: str, name: str, color: str = "#00aa00") -> Any:
    return await post_form(client, TRACKS, TRACKS, {"slug": slug, "name.en": name, "color": color})


async def _add_stream(client: Client, slug: str, name: str, meeting: str = "") -> Any:
    return await post_form(client, STREAMS, STREAMS, {"slug": slug, "name": name, "meeting_url": meeting})


# Tracks: add, edit, delete


async def test_track_added_on_the_page_is_listed_with_its_colour_class(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in(client, organiser)

    answer = await post_form(
        client, TRACKS, TRACKS, {"slug": "ecology", "name.en": "Ecology", "name.ru": "Экология", "color": "#00AA00"}
    )

    assert answer.status_code == 303
    assert answer.headers["location"] == TRACKS
    assert await _tracks(settings) == [("ecology", {"en": "Ecology", "ru": "Экология"}, "#00AA00", 0)]
    page = await client.get(TRACKS)
    assert "The track was added." in page.text
    assert 'class="swatch track-ecology"' in page.text
    assert "style=" not in page.text
    version = await _version(settings)
    sheet = await client.get(f"/orga/climate-2027/tracks.css?v={version}")
    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("text/css")
    assert ".track-ecology{border-left:.3rem solid #00aa00;padding-left:.6rem}" in sheet.text
    assert f'href="/orga/climate-2027/tracks.css?v={version}"' in page.text


async def test_track_edit_changes_name_and_colour_and_can_remove_the_colour(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in(client, organiser)
    await _add_track(client, "ecology", "Ecology")

    edit = await client.get(f"{TRACKS}ecology/")
    assert 'value="Ecology"' in edit.text
    answer = await post_form(
        client, f"{TRACKS}ecology/", f"{TRACKS}ecology/", {"name.en": "Écologie", "color": "#123456"}
    )
    assert answer.status_code == 303
    assert await _tracks(settings) == [("ecology", {"en": "Écologie"}, "#123456", 0)]

    await post_form(client, f"{TRACKS}ecology/", f"{TRACKS}ecology/", {"name.en": "Écologie", "no_color": "on"})
    assert await _tracks(settings) == [("ecology", {"en": "Écologie"}, None, 0)]


async def test_track_delete_asks_then_keeps_its_sessions_without_a_track(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in(client, organiser)
    await _add_track(client, "ecology", "Ecology")
    await post_ok(client, organiser, f"{API}/sessions", session_payload(track="ecology"))

    confirm = await client.get(f"{TRACKS}ecology/delete")
    assert "1 session is in this track. It stays, without a track." in confirm.text
    assert await _tracks(settings) != []
    answer = await post_form(client, f"{TRACKS}ecology/delete", f"{TRACKS}ecology/delete", {})

    assert answer.status_code == 303
    assert await _tracks(settings) == []
    async with database(settings) as db:
        assert list(await db.execute(select(ConferenceSession.slug, ConferenceSession.track_id))) == [
            ("limits-of-cop26", None)
        ]


async def test_track_form_refuses_a_colour_that_could_break_the_stylesheet(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in(client, organiser)

    answer = await _add_track(client, "ecology", "Ecology", color="red;}body{")

    assert answer.status_code == 400
    assert 'id="color" name="color" type="color" value="red;}body{"' not in answer.text
    assert 'id="color-error">Choose a colour such as #1f77b4.' in answer.text
    assert 'aria-invalid="true" aria-describedby="color-error' in answer.text
    assert await _tracks(settings) == []
    api = await client.post(
        f"{API}/tracks", json={"slug": "x", "name": {"en": "X"}, "color": "red;}body{"}, headers=organiser.headers
    )
    assert api.status_code == 400
    assert [e["key"] for e in api.json()["extra"]] == ["color"]
    assert await _tracks(settings) == []


async def test_track_form_names_each_bad_field_and_writes_nothing(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in(client, organiser)
    await _add_track(client, "ecology", "Ecology")
    version = await _version(settings)

    bad_slug = await _add_track(client, "Not A Slug", "Name")
    duplicate = await _add_track(client, "ecology", "Other")
    no_name = await _add_track(client, "other", "")

    assert bad_slug.status_code == duplicate.status_code == no_name.status_code == 400
    assert 'id="slug-error">Use lower-case letters, digits and hyphens.' in bad_slug.text
    assert 'id="slug-error">This is already taken.' in duplicate.text
    assert 'id="name-error">' in no_name.text
    assert 'value="Not A Slug"' in bad_slug.text  # the input is kept
    assert await _tracks(settings) == [("ecology", {"en": "Ecology"}, "#00aa00", 0)]
    assert await _version(settings) == version


async def test_track_names_with_html_are_escaped_and_cyrillic_round_trips(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in(client, organiser)

    await post_form(
        client, TRACKS, TRACKS, {"slug": "x", "name.en": "<script>alert(1)</script>", "name.ru": "Экология & «кризис»"}
    )

    page = await client.get(TRACKS)
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    edit = await client.get(f"{TRACKS}x/")
    assert 'value="Экология &amp; «кризис»"' in edit.text
    assert (await _tracks(settings))[0][1] == {"en": "<script>alert(1)</script>", "ru": "Экология & «кризис»"}


# Ordering


async def test_new_tracks_and_streams_go_to_the_end_through_the_api(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    for slug in ("a", "b", "c"):
        created = await post_ok(client, organiser, f"{API}/tracks", {"slug": slug, "name": {"en": slug}})
        assert created["position"] == "abc".index(slug)
        stream = await post_ok(client, organiser, f"{API}/streams", {"slug": slug, "name": slug})
        assert stream["position"] == "abc".index(slug)
    listed = await client.get(f"{API}/tracks")
    assert [t["slug"] for t in listed.json()] == ["a", "b", "c"]
    placed = await post_ok(client, organiser, f"{API}/tracks", {"slug": "first", "name": {"en": "F"}, "position": 0})
    assert placed["position"] == 0


async def test_new_track_and_stream_from_the_page_go_to_the_end(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in(client, organiser)
    for slug in ("a", "b"):
        await _add_track(client, slug, slug.upper())
        await _add_stream(client, slug, slug.upper())

    assert [(slug, position) for slug, _, _, position in await _tracks(settings)] == [("a", 0), ("b", 1)]
    assert [(slug, position) for slug, _, _, position in await _streams(settings)] == [("a", 0), ("b", 1)]


async def test_api_reorder_sets_every_position_with_one_version_raise(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    for slug in ("a", "b", "c"):
        await post_ok(client, organiser, f"{API}/tracks", {"slug": slug, "name": {"en": slug}})
        await post_ok(client, organiser, f"{API}/streams", {"slug": slug, "name": slug, "meeting_url": MEETING})
    version = await _version(settings)

    tracks = await client.put(f"{API}/tracks/order", json={"tracks": ["c", "a"]}, headers=organiser.headers)
    assert tracks.status_code == 200, tracks.text
    assert [(t["slug"], t["position"]) for t in tracks.json()] == [("c", 0), ("a", 1), ("b", 2)]
    assert await _version(settings) == version + 1

    streams = await client.put(f"{API}/streams/order", json={"streams": ["b", "c", "a"]}, headers=organiser.headers)
    assert streams.status_code == 200, streams.text
    assert [(s["slug"], s["position"]) for s in streams.json()] == [("b", 0), ("c", 1), ("a", 2)]
    assert streams.json()[0]["meeting_url"] == MEETING  # an organiser answer
    assert await _version(settings) == version + 2

    same = await client.put(f"{API}/tracks/order", json={"tracks": ["c", "a", "b"]}, headers=organiser.headers)
    assert same.status_code == 200
    assert await _version(settings) == version + 2  # nothing moved, nothing released


async def test_api_reorder_refuses_unknown_or_repeated_slugs_and_strangers(
    client: Client, organiser: Organiser, other_organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    for slug in ("a", "b"):
        await post_ok(client, organiser, f"{API}/tracks", {"slug": slug, "name": {"en": slug}})

    unknown = await client.put(f"{API}/tracks/order", json={"tracks": ["b", "zzz"]}, headers=organiser.headers)
    repeated = await client.put(f"{API}/tracks/order", json={"tracks": ["b", "b"]}, headers=organiser.headers)
    stranger = await client.put(f"{API}/tracks/order", json={"tracks": ["b", "a"]}, headers=other_organiser.headers)
    anonymous = await client.put(f"{API}/streams/order", json={"streams": []})

    assert (unknown.status_code, unknown.json()["extra"][0]["key"]) == (400, "tracks[1]")
    assert (repeated.status_code, repeated.json()["extra"][0]["key"]) == (400, "tracks[1]")
    assert stranger.status_code == 404
    assert anonymous.status_code == 401
    assert [(slug, position) for slug, _, _, position in await _tracks(settings)] == [("a", 0), ("b", 1)]


async def test_page_orders_tracks_by_their_numbers(client: Client, organiser: Organiser, settings: Settings) -> None:
    await _signed_in(client, organiser)
    for slug in ("a", "b", "c"):
        await _add_track(client, slug, slug.upper())
    version = await _version(settings)

    answer = await post_form(
        client, TRACKS, f"{TRACKS}_order", {"position.a": "3", "position.b": "1", "position.c": "2"}
    )

    assert answer.status_code == 303
    assert [(slug, position) for slug, _, _, position in await _tracks(settings)] == [("b", 0), ("c", 1), ("a", 2)]
    assert await _version(settings) == version + 1
    page = await client.get(TRACKS)
    assert page.text.index('data-slug="b"') < page.text.index('data-slug="c"') < page.text.index('data-slug="a"')


async def test_page_order_refuses_a_number_that_is_not_one_and_writes_nothing(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in(client, organiser)
    for slug in ("a", "b"):
        await _add_track(client, slug, slug.upper())

    answer = await post_form(client, TRACKS, f"{TRACKS}_order", {"position.a": "two", "position.b": "1"})

    assert answer.status_code == 400
    assert 'id="position.a-error">Enter a whole number.' in answer.text
    assert 'value="two"' in answer.text
    assert [(slug, position) for slug, _, _, position in await _tracks(settings)] == [("a", 0), ("b", 1)]


async def test_page_moves_a_track_down_and_the_script_posts_a_whole_order(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in(client, organiser)
    for slug in ("a", "b", "c"):
        await _add_track(client, slug, slug.upper())

    moved = await post_form(client, TRACKS, f"{TRACKS}_order", {"move": "down:a"})
    assert moved.status_code == 303
    assert [slug for slug, *_ in await _tracks(settings)] == ["b", "a", "c"]

    page = await client.get(TRACKS)
    dragged = await client.post(
        f"{TRACKS}_order",
        data={"order": "c,b,a"},
        headers={"X-Requested-With": "fetch", "X-CSRFToken": csrf_token(page.text)},
    )
    assert dragged.status_code == 204
    assert [slug for slug, *_ in await _tracks(settings)] == ["c", "b", "a"]


async def test_page_orders_streams_by_numbers_and_by_the_script(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in(client, organiser)
    for slug in ("a", "b", "c"):
        await _add_stream(client, slug, slug.upper())

    await post_form(client, STREAMS, f"{STREAMS}_order", {"position.a": "2", "position.b": "3", "position.c": "1"})
    assert [slug for slug, *_ in await _streams(settings)] == ["c", "a", "b"]
    page = await client.get(STREAMS)
    dragged = await client.post(
        f"{STREAMS}_order",
        data={"order": "b,a,c"},
        headers={"X-Requested-With": "fetch", "X-CSRFToken": csrf_token(page.text)},
    )
    assert dragged.status_code == 204
    assert [slug for slug, *_ in await _streams(settings)] == ["b", "a", "c"]


# Colours on the public pages


async def test_public_programme_and_session_carry_the_track_class_and_its_stylesheet(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    await post_ok(
        client, organiser, f"{API}/tracks", {"slug": "ecology", "name": {"en": "Ecology"}, "color": "#00AA00"}
    )
    await post_ok(client, organiser, f"{API}/tracks", {"slug": "plain", "name": {"en": "Plain"}})
    await post_ok(client, organiser, f"{API}/sessions", session_payload(track="ecology"))
    version = await _version(settings)

    programme = await client.get("/climate-2027/programme/")
    session = await client.get("/climate-2027/sessions/limits-of-cop26/")

    assert re.search(
        r'<article class="session [^"]*\btrack-ecology\b[^"]*" id="session-limits-of-cop26"', programme.text
    )
    assert 'class="session-page track-ecology"' in session.text
    link = f'<link rel="stylesheet" href="/climate-2027/tracks.css?v={version}">'
    assert link in programme.text
    assert link in session.text
    sheet = await client.get(f"/climate-2027/tracks.css?v={version}")
    assert sheet.status_code == 200
    assert sheet.headers["content-type"] == "text/css; charset=utf-8"
    assert sheet.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert sheet.text == (
        "/* track colours */\n"
        ".track-ecology{border-left:.3rem solid #00aa00;padding-left:.6rem}\n"
        ".swatch.track-ecology{border:1px solid #595959;padding:0;background-color:#00aa00}\n"
    )
    again = await client.get(f"/climate-2027/tracks.css?v={version}", headers={"If-None-Match": sheet.headers["etag"]})
    assert again.status_code == 304
    stale = await client.get("/climate-2027/tracks.css?v=1")
    assert stale.headers["cache-control"] == "public, max-age=300"


async def test_draft_colours_are_only_in_the_organisers_stylesheet(client: Client, organiser: Organiser) -> None:
    await _conference(client, organiser, status="draft")
    await post_ok(client, organiser, f"{API}/tracks", {"slug": "ecology", "name": {"en": "E"}, "color": "#00aa00"})

    assert (await client.get("/climate-2027/tracks.css")).status_code == 404
    anonymous = await client.get("/orga/climate-2027/tracks.css", follow_redirects=False)
    assert anonymous.status_code == 303  # to the sign-in page
    await sign_in(client, organiser.email)
    sheet = await client.get("/orga/climate-2027/tracks.css")
    assert sheet.status_code == 200
    assert ".track-ecology{border-left:.3rem solid #00aa00;padding-left:.6rem}" in sheet.text
    assert sheet.headers["cache-control"] == "private, no-cache"


# Streams and the meeting URL


async def test_meeting_url_never_appears_on_a_page_that_answers_get(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in(client, organiser)

    added = await _add_stream(client, "room-a", "Room A", MEETING)

    assert added.status_code == 303
    assert await _streams(settings) == [("room-a", "Room A", MEETING, 0)]
    for path in (STREAMS, f"{STREAMS}room-a/", f"{STREAMS}room-a/delete"):
        page = await client.get(path)
        assert page.status_code == 200
        assert MEETING not in page.text
        assert "s3cret" not in page.text
    listing = await client.get(STREAMS)
    assert "meet.example.org/•••" in listing.text


async def test_reveal_is_a_post_that_answers_the_url_and_is_recorded(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in(client, organiser)
    await _add_stream(client, "room-a", "Room A", MEETING)

    page = await post_form(client, STREAMS, f"{STREAMS}room-a/reveal", {})
    listing = await client.get(STREAMS)
    htmx = await client.post(
        f"{STREAMS}room-a/reveal", headers={"HX-Request": "true", "X-CSRFToken": csrf_token(listing.text)}
    )

    assert page.status_code == 200
    assert MEETING.replace("&", "&amp;") in page.text
    assert page.headers["cache-control"] == "no-store"
    assert htmx.status_code == 200
    assert htmx.text.strip().startswith('<span class="revealed" id="meeting-room-a">')
    assert "<html" not in htmx.text
    async with database(settings) as db:
        reveals = list(
            await db.execute(
                select(AuditRecord.action, AuditRecord.entity, AuditRecord.entity_key, AuditRecord.actor).where(
                    AuditRecord.action == "meeting_url.revealed"
                )
            )
        )
    assert reveals == [("meeting_url.revealed", "stream", "room-a", organiser.email)] * 2
    forged = await client.post(f"{STREAMS}room-a/reveal", data={"_csrf_token": "forged"})
    assert forged.status_code == 403
    assert MEETING not in forged.text


async def test_stream_edit_keeps_the_meeting_url_when_empty_and_removes_it_when_asked(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in(client, organiser)
    await _add_stream(client, "room-a", "Room A", MEETING)
    edit = f"{STREAMS}room-a/"

    kept = await post_form(client, edit, edit, {"name": "Room Alpha", "public_url": "https://video.example.org/a"})
    assert kept.status_code == 303
    assert await _streams(settings) == [("room-a", "Room Alpha", MEETING, 0)]

    new = "https://meet.example.org/other"
    await post_form(client, edit, edit, {"name": "Room Alpha", "meeting_url": new})
    assert await _streams(settings) == [("room-a", "Room Alpha", new, 0)]

    await post_form(client, edit, edit, {"name": "Room Alpha", "remove_meeting_url": "on"})
    assert await _streams(settings) == [("room-a", "Room Alpha", None, 0)]


async def test_stream_form_refuses_a_bad_meeting_url_without_showing_it_again(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in(client, organiser)

    answer = await _add_stream(client, "room-a", "Room A", "javascript:alert(1)//secret")

    assert answer.status_code == 400
    assert 'id="meeting_url-error">' in answer.text
    assert "javascript:alert(1)//secret" not in answer.text
    assert await _streams(settings) == []


async def test_stream_delete_keeps_sessions_without_a_stream(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in(client, organiser)
    await _add_stream(client, "room-a", "<b>Room</b> A", MEETING)
    await post_ok(client, organiser, f"{API}/sessions", session_payload(stream="room-a"))

    confirm = await client.get(f"{STREAMS}room-a/delete")
    assert "&lt;b&gt;Room&lt;/b&gt; A" in confirm.text
    assert "<b>Room</b>" not in confirm.text
    answer = await post_form(client, f"{STREAMS}room-a/delete", f"{STREAMS}room-a/delete", {})

    assert answer.status_code == 303
    assert await _streams(settings) == []
    async with database(settings) as db:
        assert list(await db.execute(select(ConferenceSession.stream_id))) == [(None,)]


# Access


async def test_non_members_get_the_missing_conference_404_everywhere(
    client: Client, organiser: Organiser, other_organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    await post_ok(client, organiser, f"{API}/tracks", {"slug": "ecology", "name": {"en": "E"}, "color": "#00aa00"})
    await post_ok(client, organiser, f"{API}/streams", {"slug": "room-a", "name": "A", "meeting_url": MEETING})
    await sign_in(client, other_organiser.email)

    for path in (TRACKS, f"{TRACKS}ecology/", "/orga/climate-2027/tracks.css", STREAMS, f"{STREAMS}room-a/"):
        answer = await client.get(path)
        missing = await client.get(path.replace("climate-2027", "no-such-conference"))
        assert answer.status_code == missing.status_code == 404, path
        assert answer.text == missing.text.replace("no-such-conference", "climate-2027")
    home = await client.get("/orga/")
    reveal = await client.post(f"{STREAMS}room-a/reveal", data={"_csrf_token": csrf_token(home.text)})
    assert reveal.status_code == 404
    assert MEETING not in reveal.text
    async with database(settings) as db:
        assert list(await db.scalars(select(AuditRecord.action).where(AuditRecord.action != "created"))) == []
