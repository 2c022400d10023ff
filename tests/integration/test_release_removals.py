"""Sessions that leave the public programme, and changes made elsewhere than on a session: a
deleted or drafted session's followers are told at the next release, with a cancelled event in
their ``changes.ics`` (read by the ``ical`` package and ical.js); a stream's deletion moves its
sessions and a speaker's new name or deletion changes their sessions' speakers, in the changelog.
The programme and helpers are ``test_releases``'s."""

from __future__ import annotations

from typing import Any

from ical.calendar_stream import IcsCalendarStream
from litestar import Litestar
from litestar.testing import AsyncTestClient

from confman.settings import Settings
from tests.factories import Organiser, put_registration_settings
from tests.integration.test_ical import JsParser, icaljs, icaljs_installed
from tests.integration.test_releases import (
    CONF,
    SLUG,
    SPEAKER_EMAILS,
    calendar_part,
    patch,
    programme,
    register,
    release,
    release_mails,
    text_of,
)
from tests.mailserver import send_everything

__all__ = ["icaljs", "icaljs_installed"]  # fixtures, imported for pytest to find

Client = AsyncTestClient[Litestar]


async def feed_sequences(client: Client) -> dict[str, int]:
    """UID → SEQUENCE in the public programme feed."""
    response = await client.get(f"/{SLUG}/programme.ics")
    assert response.status_code == 200
    events = IcsCalendarStream.calendar_from_ics(response.text).events
    return {event.uid or "": event.sequence or 0 for event in events}


def events_of(ics: bytes) -> dict[str, Any]:
    return {event.uid: event for event in IcsCalendarStream.calendar_from_ics(ics.decode("utf-8")).events}


async def unreleased(client: Client, organiser: Organiser) -> list[tuple[str, str]]:
    listing = await client.get(f"{CONF}/releases", headers=organiser.headers)
    assert listing.status_code == 200, listing.text
    return [(change["session"], change["kind"]) for change in listing.json()["unreleased"]]


async def test_removed_sessions_followers_get_one_email_each_with_a_cancelled_event(
    client: Client, organiser: Organiser, settings: Settings, icaljs: JsParser
) -> None:
    guids = await programme(client, organiser)
    await put_registration_settings(client, organiser, SLUG, double_opt_in=False)
    # Rosa follows every session; Ivan "debate"; Nina "opening" only (kept: no e-mail).
    await register(client, settings, "rosa@example.org", language="es", timezone="America/Sao_Paulo")
    await register(client, settings, "ivan@example.org", language="ru", timezone="Asia/Tokyo", follows=["debate"])
    await register(client, settings, "nina@example.org", language="en", timezone="Europe/London", follows=["opening"])
    # Alex speaks in "capital" and follows "opening" as an attendee: one e-mail, as the speaker.
    await register(client, settings, SPEAKER_EMAILS[0], name="Alex", language="en", timezone="Europe/London",
                   follows=["opening"])  # fmt: skip
    await release(client, organiser, "1.0")
    # A new abstract: a revision the feed shows (SEQUENCE 1), and no change record.
    await patch(client, organiser, "debate", abstract={"en": "About the debate"})
    seen = await feed_sequences(client)
    debate_uid, capital_uid = f"{guids['debate']}@confman", f"{guids['capital']}@confman"

    # "debate" is deleted (its follows go with it), "capital" goes back to draft.
    deleted = await client.delete(f"{CONF}/sessions/debate", headers=organiser.headers)
    assert deleted.status_code == 204, deleted.text
    drafted = await client.post(f"{CONF}/sessions/status", json={"sessions": ["capital"], "status": "draft"},
                                headers=organiser.headers)  # fmt: skip
    assert drafted.status_code == 200, drafted.text
    # Registered after the removals: following "all" does not include sessions already gone.
    await register(client, settings, "late@example.org", language="en", timezone="Europe/London")
    await release(client, organiser, "1.1")

    recorder = await send_everything(settings)

    sent = release_mails(recorder)
    assert sorted(str(m["To"]).lower() for m in sent) == [
        "alex@example.org",
        "ivan@example.org",
        "rosa@example.org",
        SPEAKER_EMAILS[1],
    ]
    by = {str(m["To"]).lower(): m for m in sent}

    # Ivan (Russian, Tokyo): "debate" removed, in Russian, Tokyo's 21:00 and London's 12:00.
    ivan = by["ivan@example.org"]
    assert ivan["Content-Language"] == "ru"
    body = text_of(ivan)
    assert "Сессия debate" in body
    assert "Убрана из программы" in body
    assert "21:00" in body
    assert "12:00" in body
    assert "capital" not in body
    ics, charset = calendar_part(ivan)
    assert charset == "utf-8"
    events = events_of(ics)
    assert list(events) == [debate_uid]
    assert events[debate_uid].summary == "Отменено: Сессия debate"
    assert events[debate_uid].status is not None
    assert events[debate_uid].status.value == "CANCELLED"
    assert (seen[debate_uid], events[debate_uid].sequence) == (1, 2)
    js = await icaljs(ics)
    assert [(e["uid"], e["start_utc_iso"], e["status"]) for e in js] == [
        (debate_uid, "2027-11-14T12:00:00.000Z", "CANCELLED")
    ]
    assert js[0]["sequence"] == 2

    # Rosa (Spanish, follows all): both, cancelled, each SEQUENCE past the feed's.
    rosa = by["rosa@example.org"]
    assert rosa["Content-Language"] == "es"
    assert "Retirada del programa" in text_of(rosa)
    ics, _ = calendar_part(rosa)
    js_events = {e["uid"]: e for e in await icaljs(ics)}
    assert {uid: (e["status"], e["sequence"] - seen[uid]) for uid, e in js_events.items()} == {
        debate_uid: ("CANCELLED", 1),
        capital_uid: ("CANCELLED", 1),
    }
    assert set(events_of(ics)) == {debate_uid, capital_uid}

    # The speakers of "capital", through their private addresses: that session alone.
    for address in ("alex@example.org", SPEAKER_EMAILS[1]):
        text = text_of(by[address])
        assert "The capital" in text
        assert "Removed from the programme" in text
        assert list(events_of(calendar_part(by[address])[0])) == [capital_uid]


async def test_stream_deletion_is_a_move_of_each_public_session(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await programme(client, organiser)
    await client.post(f"{CONF}/sessions", headers=organiser.headers, json={
        "slug": "draft", "title": {"en": "A draft"}, "stream": "main", "starts_at": "2027-11-15T10:00:00+00:00",
        "ends_at": "2027-11-15T11:00:00+00:00"})  # fmt: skip
    await release(client, organiser, "1.0")

    response = await client.delete(f"{CONF}/streams/main", headers=organiser.headers)
    assert response.status_code == 204, response.text

    # The draft is not public: no change for it.
    assert await unreleased(client, organiser) == [("opening", "moved"), ("debate", "moved"), ("capital", "moved")]
    page = await client.get(f"/{SLUG}/changes/?lang=en")
    assert page.status_code == 200
    assert page.text.count("No longer in the stream Main.") == 3
    second = await release(client, organiser, "1.1")
    assert second["change_count"] == 3


async def test_speaker_renamed_or_deleted_changes_their_public_sessions_speakers(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await programme(client, organiser)
    await release(client, organiser, "1.0")

    renamed = await client.patch(f"{CONF}/speakers/sam", json={"name": "Sam Author"}, headers=organiser.headers)
    assert renamed.status_code == 200, renamed.text
    same = await client.patch(f"{CONF}/speakers/alex", json={"name": "Alex Callinicos"}, headers=organiser.headers)
    assert same.status_code == 200, same.text
    assert await unreleased(client, organiser) == [("capital", "speakers")]

    deleted = await client.delete(f"{CONF}/speakers/alex", headers=organiser.headers)
    assert deleted.status_code == 204, deleted.text
    listing = (await client.get(f"{CONF}/releases", headers=organiser.headers)).json()["unreleased"]
    assert [(c["session"], c["kind"], c["before"]["speakers"], c["after"]["speakers"]) for c in listing] == [
        ("capital", "speakers", ["Alex Callinicos", "Sam Writer"], ["Alex Callinicos", "Sam Author"]),
        ("capital", "speakers", ["Alex Callinicos", "Sam Author"], ["Sam Author"]),
    ]
    page = await client.get(f"/{SLUG}/changes/?lang=en")
    assert "Speakers now: Sam Author." in page.text
