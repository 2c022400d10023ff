"""Feeds and exports over HTTP: content types, validators, 304s, updates in place, no leaks."""

from __future__ import annotations

import asyncio
import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import Organiser, conference_payload, session_payload, speaker_payload

Client = AsyncTestClient[Litestar]
MEETING = "https://meet.example.org/secret-room-42"
SESSION_MEETING = "https://meet.example.org/secret-session-7"


@pytest.fixture
async def programme(client: Client, organiser: Organiser) -> Organiser:
    headers = organiser.headers
    assert (await client.post("/api/v1/conferences", json=conference_payload(), headers=headers)).status_code == 201
    base = "/api/v1/conferences/climate-2027"
    stream = {"slug": "main", "name": "Main hall", "meeting_url": MEETING}
    assert (await client.post(f"{base}/streams", json=stream, headers=headers)).status_code == 201
    assert (await client.post(f"{base}/speakers", json=speaker_payload(), headers=headers)).status_code == 201
    confirmed = session_payload(stream="main", meeting_url=SESSION_MEETING, speakers=[{"speaker": "alex-callinicos"}])
    assert (await client.post(f"{base}/sessions", json=confirmed, headers=headers)).status_code == 201
    draft = session_payload(slug="secret-draft", title={"en": "Not yet announced"}, status="draft")
    assert (await client.post(f"{base}/sessions", json=draft, headers=headers)).status_code == 201
    return organiser


def field(body: str, name: str) -> list[str]:
    """Values of a property in the VEVENTs (or, for calendar properties, anywhere)."""
    unfolded = body.replace("\r\n ", "")
    events = re.findall(r"^BEGIN:VEVENT\r$(.*?)^END:VEVENT\r$", unfolded, flags=re.MULTILINE | re.DOTALL)
    scope = "".join(events) if name in EVENT_PROPERTIES else unfolded
    return re.findall(rf"^{name}[;:](.*)\r$", scope, flags=re.MULTILINE)


EVENT_PROPERTIES = {"UID", "SUMMARY", "DTSTART", "SEQUENCE", "LAST-MODIFIED", "STATUS"}


async def test_programme_ics_is_a_calendar_with_validators(client: Client, programme: Organiser) -> None:
    answer = await client.get("/climate-2027/programme.ics")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert answer.headers["etag"].startswith('"')
    assert answer.headers["last-modified"].endswith(" GMT")
    assert answer.headers["cache-control"] == "public, max-age=300"
    assert field(answer.text, "SUMMARY") == ["The Limits of COP26 and Capitalist Solutions"]
    assert field(answer.text, "SOURCE") == ["VALUE=URI:http://testserver.local/climate-2027/programme.ics"]


async def test_programme_ics_unchanged_gives_identical_body_and_304(client: Client, programme: Organiser) -> None:
    first = await client.get("/climate-2027/programme.ics")
    second = await client.get("/climate-2027/programme.ics")
    by_etag = await client.get("/climate-2027/programme.ics", headers={"If-None-Match": first.headers["etag"]})
    by_date = await client.get(
        "/climate-2027/programme.ics", headers={"If-Modified-Since": first.headers["last-modified"]}
    )

    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    assert (by_etag.status_code, by_etag.content) == (304, b"")
    assert by_etag.headers["etag"] == first.headers["etag"]
    assert by_date.status_code == 304


async def test_reschedule_and_cancel_update_the_same_event_in_place(client: Client, programme: Organiser) -> None:
    before = await client.get("/climate-2027/programme.ics")
    await asyncio.sleep(1.05)  # LAST-MODIFIED has whole seconds
    moved = await client.patch(
        "/api/v1/conferences/climate-2027/sessions/limits-of-cop26",
        json={"starts_at": "2027-11-14T12:00:00+00:00", "ends_at": "2027-11-14T13:30:00+00:00"},
        headers=programme.headers,
    )
    after_move = await client.get("/climate-2027/programme.ics", headers={"If-None-Match": before.headers["etag"]})
    cancelled = await client.patch(
        "/api/v1/conferences/climate-2027/sessions/limits-of-cop26",
        json={"status": "cancelled"},
        headers=programme.headers,
    )
    after_cancel = await client.get("/climate-2027/programme.ics")

    assert (moved.status_code, cancelled.status_code) == (200, 200)
    assert after_move.status_code == 200
    assert after_move.headers["etag"] != before.headers["etag"]
    assert field(after_move.text, "UID") == field(before.text, "UID")
    assert field(before.text, "SEQUENCE") == ["0"]
    assert field(after_move.text, "SEQUENCE") == ["1"]
    assert field(after_move.text, "DTSTART") == ["TZID=Europe/London:20271114T120000"]
    assert field(after_move.text, "LAST-MODIFIED")[0] > field(before.text, "LAST-MODIFIED")[0]
    assert field(after_cancel.text, "UID") == field(before.text, "UID")
    assert field(after_cancel.text, "SEQUENCE") == ["2"]
    assert field(after_cancel.text, "STATUS") == ["CANCELLED"]
    assert field(after_cancel.text, "SUMMARY") == ["Cancelled: The Limits of COP26 and Capitalist Solutions"]
    assert "METHOD" not in after_cancel.text


async def test_deleted_session_leaves_the_feed(client: Client, programme: Organiser) -> None:
    deleted = await client.delete(
        "/api/v1/conferences/climate-2027/sessions/limits-of-cop26", headers=programme.headers
    )
    feed = await client.get("/climate-2027/programme.ics")

    assert deleted.status_code == 204
    assert field(feed.text, "UID") == []


async def test_feeds_and_exports_never_leak_meeting_urls_or_drafts(client: Client, programme: Organiser) -> None:
    paths = [
        "/climate-2027/programme.ics",
        "/climate-2027/programme.ics?lang=ru",
        "/climate-2027/sessions/limits-of-cop26.ics",
        "/climate-2027/speakers/alex-callinicos.ics",
        "/climate-2027/schedule.json",
        "/climate-2027/schedule.xml",
    ]
    answers = [await client.get(path) for path in paths]
    draft = await client.get("/climate-2027/sessions/secret-draft.ics")

    assert [answer.status_code for answer in answers] == [200] * len(paths)
    for answer in answers:
        assert "meet.example.org" not in answer.text
        assert "Not yet announced" not in answer.text
    assert draft.status_code == 404


async def test_session_and_speaker_feeds_hold_their_own_events(client: Client, programme: Organiser) -> None:
    session = await client.get("/climate-2027/sessions/limits-of-cop26.ics")
    programme_feed = await client.get("/climate-2027/programme.ics")
    speaker = await client.get("/climate-2027/speakers/alex-callinicos.ics")
    unknown = await client.get("/climate-2027/speakers/nobody.ics")

    assert field(session.text, "UID") == field(programme_feed.text, "UID")
    assert field(speaker.text, "UID") == field(programme_feed.text, "UID")
    assert field(speaker.text, "X-WR-CALNAME")[0].startswith("Alex Callinicos · ")
    assert unknown.status_code == 404


async def test_speaker_of_draft_sessions_only_has_no_feed(client: Client, programme: Organiser) -> None:
    base = "/api/v1/conferences/climate-2027"
    unannounced = speaker_payload(slug="not-yet", name="Not Yet Announced Person")
    assert (await client.post(f"{base}/speakers", json=unannounced, headers=programme.headers)).status_code == 201
    linked = await client.patch(
        f"{base}/sessions/secret-draft", json={"speakers": [{"speaker": "not-yet"}]}, headers=programme.headers
    )

    feed = await client.get("/climate-2027/speakers/not-yet.ics")
    everything = await client.get("/climate-2027/programme.ics")

    assert linked.status_code == 200
    assert feed.status_code == 404
    assert "Not Yet Announced Person" not in feed.text + everything.text


async def test_feed_in_another_language_has_its_own_validator(client: Client, programme: Organiser) -> None:
    english = await client.get("/climate-2027/programme.ics")
    russian = await client.get("/climate-2027/programme.ics?lang=ru")

    assert field(russian.text, "X-WR-CALNAME") == ["Революционная альтернатива"]
    assert russian.headers["etag"] != english.headers["etag"]


async def test_feeds_of_a_draft_conference_do_not_exist(client: Client, organiser: Organiser) -> None:
    payload = conference_payload(status="draft")
    assert (await client.post("/api/v1/conferences", json=payload, headers=organiser.headers)).status_code == 201

    statuses = [
        (await client.get(f"/climate-2027/{name}")).status_code
        for name in ("programme.ics", "schedule.json", "schedule.xml")
    ]
    assert statuses == [404, 404, 404]


async def test_schedule_exports_have_their_media_types(client: Client, programme: Organiser) -> None:
    as_json = await client.get("/climate-2027/schedule.json")
    as_xml = await client.get("/climate-2027/schedule.xml")

    assert as_json.headers["content-type"] == "application/json"
    assert as_json.json()["schedule"]["conference"]["acronym"] == "climate_2027"
    assert as_xml.headers["content-type"] == "application/vnd.c3voc.schedule+xml; charset=utf-8"
    assert as_xml.text.startswith("<?xml")


async def test_index_page_offers_programme_subscription(client: Client, programme: Organiser) -> None:
    page = await client.get("/")

    assert page.status_code == 200
    assert 'href="webcal://testserver.local/climate-2027/programme.ics"' in page.text
    assert 'href="http://testserver.local/climate-2027/programme.ics" download' in page.text


async def test_feeds_travel_gzipped_and_decode_to_the_same_calendar(client: Client, programme: Organiser) -> None:
    plain = await client.get("/climate-2027/programme.ics", headers={"Accept-Encoding": "identity"})
    zipped = await client.get("/climate-2027/programme.ics", headers={"Accept-Encoding": "gzip"})
    by_etag = await client.get(
        "/climate-2027/programme.ics", headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["etag"]}
    )

    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert zipped.content == plain.content
    assert zipped.headers["etag"] != plain.headers["etag"]
    assert by_etag.status_code == 304
