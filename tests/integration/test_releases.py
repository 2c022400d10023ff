"""Programme changes and releases: the change records, the releases API, the e-mails each release
sends (through a real SMTP server, read back by the ``ical`` package and ical.js), the frab
version, the public changelog and its Atom feed, and the speakers' private address."""

from __future__ import annotations

import json
from email.message import EmailMessage
from typing import Any

from ical.calendar_stream import IcsCalendarStream
from litestar import Litestar
from litestar.testing import AsyncTestClient
from lxml import etree
from sqlalchemy import func, select

from confman.db.models import Event, OutboxEvent, OutboxMail, ProgrammeChange, ProgrammeRelease
from confman.settings import Settings
from tests.atom import assert_valid_atom
from tests.factories import (
    Organiser,
    conference_payload,
    database,
    outbox,
    post_ok,
    put_registration_settings,
    registration_payload,
    token_from,
)
from tests.integration.test_ical import JsParser, icaljs, icaljs_installed
from tests.mailserver import Recorder, send_everything

__all__ = ["icaljs", "icaljs_installed"]  # fixtures, imported for pytest to find

Client = AsyncTestClient[Litestar]
SLUG = "climate-2027"
CONF = f"/api/v1/conferences/{SLUG}"
SPEAKER_EMAILS = ("alex@example.org", "sam-private@example.org")


async def programme(client: Client, organiser: Organiser) -> dict[str, str]:
    """Three days, two streams, three confirmed sessions; Alex speaks in "capital" (and will
    register as an attendee with the same address), Sam in "capital" too. Returns the guids."""
    await post_ok(client, organiser, "/api/v1/conferences",
                  conference_payload(starts_on="2027-11-14", ends_on="2027-11-16"))  # fmt: skip
    for stream in ("main", "side"):
        await post_ok(client, organiser, f"{CONF}/streams", {"slug": stream, "name": stream.title()})
    await post_ok(client, organiser, f"{CONF}/speakers",
                  {"slug": "alex", "name": "Alex Callinicos", "country": "GB", "email": SPEAKER_EMAILS[0]})  # fmt: skip
    await post_ok(client, organiser, f"{CONF}/speakers",
                  {"slug": "sam", "name": "Sam Writer", "country": "GB", "email": SPEAKER_EMAILS[1]})  # fmt: skip
    guids = {}
    for slug, hour, speakers in (("opening", 10, []), ("debate", 12, []), ("capital", 14, ["alex", "sam"])):
        created = await post_ok(
            client, organiser, f"{CONF}/sessions",
            {"slug": slug, "title": {"en": f"The {slug}", "es": f"La sesión {slug}", "ru": f"Сессия {slug}"},
             "stream": "main", "status": "confirmed", "starts_at": f"2027-11-14T{hour}:00:00+00:00",
             "ends_at": f"2027-11-14T{hour}:45:00+00:00", "speakers": [{"speaker": s} for s in speakers]},
        )  # fmt: skip
        guids[slug] = created["guid"]
    return guids


async def register(client: Client, settings: Settings, email: str, *, follows: list[str] | None = None,
                   **overrides: Any) -> None:  # fmt: skip
    response = await client.post(f"{CONF}/registrations", json=registration_payload(email=email, **overrides))
    assert response.status_code == 201, response.text
    if follows is None:
        return
    mail = [m for m in await outbox(settings) if m.recipient == email and m.context.get("manage_url")][-1]
    token = token_from(mail.context["manage_url"])
    page = await client.get(f"/me/{token}/")
    csrf = page.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = await client.post(f"/me/{token}/follow", data={"_csrf_token": csrf, "follow": "some", "session": follows})
    assert answer.status_code in {200, 303}, answer.text


async def release(client: Client, organiser: Organiser, name: str, **note: str) -> dict[str, Any]:
    response = await client.post(f"{CONF}/releases", json={"name": name, "note": note}, headers=organiser.headers)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


async def patch(client: Client, organiser: Organiser, session: str, **values: Any) -> None:
    response = await client.patch(f"{CONF}/sessions/{session}", json=values, headers=organiser.headers)
    assert response.status_code == 200, response.text


def release_mails(recorder: Recorder) -> list[EmailMessage]:
    with recorder.lock:
        messages = list(recorder.messages)
    return [m for m in messages if any(part.get_filename() == "changes.ics" for part in m.iter_attachments())]


def calendar_part(message: EmailMessage) -> tuple[bytes, str | None]:
    part = next(part for part in message.iter_attachments() if part.get_filename() == "changes.ics")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload, part.get_param("charset")


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert isinstance(body, EmailMessage)
    return body.get_content()


async def test_three_releases_tell_each_follower_exactly_once_in_their_language_with_a_calendar(
    client: Client, organiser: Organiser, settings: Settings, icaljs: JsParser
) -> None:
    guids = await programme(client, organiser)
    await put_registration_settings(client, organiser, SLUG, double_opt_in=False)
    await register(client, settings, "rosa@example.org", language="es", timezone="America/Sao_Paulo")
    await register(client, settings, "ivan@example.org", language="ru", timezone="Asia/Tokyo", follows=["debate"])
    await register(client, settings, "nina@example.org", language="en", timezone="Europe/London", follows=["opening"])
    # Speaker and attendee at once: one e-mail per release all the same.
    await register(client, settings, SPEAKER_EMAILS[0].upper(), name="Alex", language="en", timezone="Europe/London")

    # Release 1: the sessions were added; nobody is told about additions.
    first = await release(client, organiser, "1.0", en="The first programme.")
    assert first["change_count"] == 3
    assert sorted((c["session"], c["kind"]) for c in first["changes"]) == [
        ("capital", "added"), ("debate", "added"), ("opening", "added")
    ]  # fmt: skip

    # Release 2: "debate" moves to the next morning (twice: only the net change counts);
    # "opening" gets a new title (no e-mail for that).
    await patch(client, organiser, "debate", starts_at="2027-11-15T08:00:00+00:00", ends_at="2027-11-15T08:45:00+00:00")
    await patch(client, organiser, "debate", starts_at="2027-11-15T09:00:00+00:00", ends_at="2027-11-15T09:45:00+00:00")
    await patch(client, organiser, "opening", title={"en": "The new opening", "es": "La nueva apertura"})
    second = await release(client, organiser, "1.1", en="Debate moved.", es="El debate cambió de día.")
    assert second["change_count"] == 3

    # Release 3: "capital" is cancelled, "opening" moves to the side stream.
    response = await client.post(f"{CONF}/sessions/status", json={"sessions": ["capital"], "status": "cancelled"},
                                 headers=organiser.headers)  # fmt: skip
    assert response.status_code == 200, response.text
    await patch(client, organiser, "opening", stream="side")
    await release(client, organiser, "1.2")

    recorder = await send_everything(settings)

    sent = release_mails(recorder)
    received = sorted((str(m["To"]).lower(), str(m["Subject"]).split(")")[0].rsplit("(", 1)[-1]) for m in sent)
    assert received == [
        ("alex@example.org", "1.1"),
        ("alex@example.org", "1.2"),
        ("ivan@example.org", "1.1"),
        ("nina@example.org", "1.2"),
        ("rosa@example.org", "1.1"),
        ("rosa@example.org", "1.2"),
        ("sam-private@example.org", "1.2"),
    ]
    by = {(str(m["To"]).lower(), "1.2" if "1.2" in str(m["Subject"]) else "1.1"): m for m in sent}

    # Ivan (Russian, Tokyo): only "debate", in Russian, the times in Tokyo and London.
    ivan = by[("ivan@example.org", "1.1")]
    assert ivan["Content-Language"] == "ru"
    body = text_of(ivan)
    assert "Сессия debate" in body
    assert "18:00" in body
    assert "09:00" in body
    assert "Сессия opening" not in body
    ics, charset = calendar_part(ivan)
    assert charset == "utf-8"
    events = IcsCalendarStream.calendar_from_ics(ics.decode("utf-8")).events
    assert [(e.uid, e.summary) for e in events] == [(f"{guids['debate']}@confman", "Сессия debate")]
    assert events[0].sequence is not None
    assert events[0].sequence >= 2
    js = await icaljs(ics)
    assert [(e["uid"], e["start_utc_iso"], e["status"]) for e in js] == [
        (f"{guids['debate']}@confman", "2027-11-15T09:00:00.000Z", "CONFIRMED")
    ]

    # Rosa (Spanish) in release 1.2: "opening" moved stream, "capital" cancelled.
    rosa = by[("rosa@example.org", "1.2")]
    assert rosa["Content-Language"] == "es"
    ics, charset = calendar_part(rosa)
    assert charset == "utf-8"
    parsed = {e.uid: e for e in IcsCalendarStream.calendar_from_ics(ics.decode("utf-8")).events}
    assert set(parsed) == {f"{guids['opening']}@confman", f"{guids['capital']}@confman"}
    js_events = {e["uid"]: e for e in await icaljs(ics)}
    assert js_events[f"{guids['capital']}@confman"]["status"] == "CANCELLED"
    assert js_events[f"{guids['opening']}@confman"]["status"] == "CONFIRMED"
    assert "La nueva apertura" in text_of(rosa)
    # The same session's SEQUENCE rises from one release's e-mail to the next.
    earlier = {e.uid: e for e in IcsCalendarStream.calendar_from_ics(
        calendar_part(by[("rosa@example.org", "1.1")])[0].decode("utf-8")).events}  # fmt: skip
    assert set(earlier) == {f"{guids['debate']}@confman"}
    assert js_events[f"{guids['capital']}@confman"]["sequence"] >= 1

    # Alex, speaker and attendee: one e-mail naming both sessions of 1.2.
    alex = text_of(by[("alex@example.org", "1.2")])
    assert "The capital" in alex
    assert "The new opening" in alex

    # Each release e-mail delivers its release's event, and the event says what it released.
    async with database(settings) as db:
        payloads = list(
            await db.scalars(
                select(OutboxEvent.payload).where(OutboxEvent.name == Event.PROGRAMME_RELEASED).order_by(OutboxEvent.id)
            )
        )
        mails = await db.scalar(
            select(func.count()).select_from(OutboxMail).where(OutboxMail.kind == "release_changes")
        )
    assert [(p["name"], p["change_count"]) for p in payloads] == [("1.0", 3), ("1.1", 3), ("1.2", 2)]
    assert all(set(p) == {"release_id", "name", "version", "change_count"} for p in payloads)
    assert mails == 7


async def test_frab_version_follows_the_releases(client: Client, organiser: Organiser, settings: Settings) -> None:
    await programme(client, organiser)

    async def frab() -> tuple[str, str]:
        document = (await client.get(f"/{SLUG}/schedule.json")).json()
        xml = (await client.get(f"/{SLUG}/schedule.xml")).content
        return document["schedule"]["version"], etree.fromstring(xml).findtext("version") or ""

    version = (await client.get(f"{CONF}/releases", headers=organiser.headers)).json()["frab_version"]
    assert version.startswith("0+")
    assert await frab() == (version, version)
    await release(client, organiser, "2027.1")
    assert await frab() == ("2027.1", "2027.1")
    await patch(client, organiser, "debate", title={"en": "Renamed"})
    listing = (await client.get(f"{CONF}/releases", headers=organiser.headers)).json()
    assert listing["frab_version"].startswith("2027.1+")
    assert [c["kind"] for c in listing["unreleased"]] == ["title"]
    assert await frab() == (listing["frab_version"], listing["frab_version"])


async def test_release_bad_input_answers_4xx_naming_the_field_and_writes_nothing(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await programme(client, organiser)
    cases = [
        ({"name": ""}, 400, "name"),
        ({"name": "has space"}, 400, "name"),
        ({"name": "x" * 33}, 400, "name"),
        ({"note": {"en": "no name"}}, 400, "name"),
        ({"name": "1.0", "note": {"de": "Deutsch"}}, 400, "note.de"),
        ({"name": "1.0", "colour": "red"}, 400, "colour"),
    ]
    for payload, status, field in cases:
        response = await client.post(f"{CONF}/releases", json=payload, headers=organiser.headers)
        assert response.status_code == status, (payload, response.text)
        assert field in json.dumps(response.json()), (payload, response.text)
    anonymous = await client.post(f"{CONF}/releases", json={"name": "1.0"})
    assert anonymous.status_code == 401
    assert (await client.get(f"{CONF}/releases")).status_code == 401
    async with database(settings) as db:
        assert await db.scalar(select(func.count()).select_from(ProgrammeRelease)) == 0

    await release(client, organiser, "1.0")
    # The same name again (after a change, so only the name is wrong): 409 naming it.
    await patch(client, organiser, "debate", title={"en": "Renamed"})
    duplicate = await client.post(f"{CONF}/releases", json={"name": "1.0"}, headers=organiser.headers)
    assert duplicate.status_code == 409, duplicate.text
    assert "name" in duplicate.text
    await release(client, organiser, "1.1")
    # Nothing changed since: 409 naming "changes", nothing written.
    empty = await client.post(f"{CONF}/releases", json={"name": "1.2"}, headers=organiser.headers)
    assert empty.status_code == 409, empty.text
    assert "changes" in empty.text
    async with database(settings) as db:
        names = list(await db.scalars(select(ProgrammeRelease.name).order_by(ProgrammeRelease.id)))
        unreleased = await db.scalar(
            select(func.count()).select_from(ProgrammeChange).where(ProgrammeChange.release_id.is_(None))
        )
    assert (names, unreleased) == (["1.0", "1.1"], 0)


async def test_changelog_page_and_atom_feed(client: Client, organiser: Organiser, settings: Settings) -> None:
    await programme(client, organiser)
    await release(client, organiser, "1.0", en="First programme", ru="Первая программа")
    await patch(client, organiser, "debate", starts_at="2027-11-15T09:00:00+00:00", ends_at="2027-11-15T09:45:00+00:00")
    await release(client, organiser, "1.1", en="Debate moved")
    response = await client.post(f"{CONF}/sessions/status", json={"sessions": ["capital"], "status": "cancelled"},
                                 headers=organiser.headers)  # fmt: skip
    assert response.status_code == 200

    page = await client.get(f"/{SLUG}/changes/?lang=en&tz=Asia/Tokyo")
    assert page.status_code == 200
    html = page.text
    assert "Not yet released" in html
    assert "Release 1.1" in html
    assert "Release 1.0" in html
    assert html.index("Not yet released") < html.index("Release 1.1") < html.index("Release 1.0")
    assert "Debate moved" in html
    # Moved from Sun 12:00 UTC (Tokyo 21:00) to Mon 09:00 UTC (Tokyo 18:00), both zones named.
    moved = "Moved from Sun, Nov 14 9:00 PM your time (Sun, Nov 14 12:00 PM London) to Mon, Nov 15 6:00 PM your time"
    assert moved in html.replace("\u202f", " ")
    assert "Cancelled" in html
    etag = page.headers["etag"]
    again = await client.get(f"/{SLUG}/changes/?lang=en&tz=Asia/Tokyo", headers={"If-None-Match": etag})
    assert again.status_code == 304
    programme_page = await client.get(f"/{SLUG}/programme/?lang=en")
    assert f"/{SLUG}/changes/" in programme_page.text

    russian = await client.get(f"/{SLUG}/changes.atom?lang=ru")
    assert russian.status_code == 200
    assert russian.headers["content-type"].startswith("application/atom+xml")
    feed = assert_valid_atom(russian.content, entries=2)  # RFC 4287's RELAX NG schema and feedparser
    assert [entry.title for entry in feed.entries] == ["Выпуск 1.1", "Выпуск 1.0"]
    assert "Первая программа" in feed.entries[1].content[0].value
    assert "Сессия debate" in feed.entries[0].content[0].value
    english = assert_valid_atom((await client.get(f"/{SLUG}/changes.atom")).content, entries=2)
    assert "First programme" in english.entries[1].content[0].value
    cached = await client.get(f"/{SLUG}/changes.atom?lang=ru", headers={"If-None-Match": russian.headers["etag"]})
    assert cached.status_code == 304


async def test_speaker_emails_are_for_organisers_only(client: Client, organiser: Organiser, settings: Settings) -> None:
    await programme(client, organiser)
    await release(client, organiser, "1.0")
    organiser_view = await client.get(f"{CONF}/speakers/alex", headers=organiser.headers)
    assert organiser_view.json()["email"] == SPEAKER_EMAILS[0]
    changed = await client.patch(f"{CONF}/speakers/alex", json={"email": "alex-new@example.org"},
                                 headers=organiser.headers)  # fmt: skip
    assert changed.status_code == 200
    assert changed.json()["email"] == "alex-new@example.org"
    bad = await client.patch(f"{CONF}/speakers/alex", json={"email": "not an address"}, headers=organiser.headers)
    assert bad.status_code == 400
    assert "email" in bad.text
    private = ("alex-new@example.org", SPEAKER_EMAILS[1])
    public_paths = [
        f"{CONF}/speakers", f"{CONF}/speakers/alex", f"{CONF}/sessions", f"/{SLUG}/speakers/",
        f"/{SLUG}/speakers/alex/", f"/{SLUG}/programme/", f"/{SLUG}/sessions/capital/", f"/{SLUG}/schedule.json",
        f"/{SLUG}/schedule.xml",
        f"/{SLUG}/programme.ics", f"/{SLUG}/speakers/alex.ics", f"/{SLUG}/changes/", f"/{SLUG}/changes.atom",
    ]  # fmt: skip
    for path in public_paths:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert not any(address in response.text for address in private), path
    # The export keeps it (for organisers moving a conference).
    from confman.transfer.services import export_conference

    async with database(settings) as db:
        exported = await export_conference(db, SLUG)
    assert {s["slug"]: s["email"] for s in exported["speakers"]} == {"alex": "alex-new@example.org",
                                                                     "sam": SPEAKER_EMAILS[1]}  # fmt: skip


async def test_confirmation_calendar_holds_the_attendees_sessions(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    guids = await programme(client, organiser)
    await put_registration_settings(client, organiser, SLUG, double_opt_in=False)
    await register(client, settings, "all@example.org", language="ru")
    # The e-mail is worded when it leaves: by then this attendee follows two sessions only.
    await register(client, settings, "some@example.org", language="ru", follows=["debate", "capital"])

    recorder = await send_everything(settings)

    def calendar_of(address: str) -> list[Any]:
        with recorder.lock:
            confirmation = next(m for m in recorder.messages if str(m["To"]) == address)
        part = next(p for p in confirmation.iter_attachments() if p.get_filename() == "programme.ics")
        assert part.get_param("charset") == "utf-8"
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        return list(IcsCalendarStream.calendar_from_ics(data.decode("utf-8")).events)

    everything = calendar_of("all@example.org")
    assert sorted(e.uid for e in everything) == sorted(f"{guid}@confman" for guid in guids.values())
    assert "Сессия debate" in {e.summary for e in everything}
    some = calendar_of("some@example.org")
    assert sorted(e.uid for e in some) == sorted(f"{guids[s]}@confman" for s in ("debate", "capital"))
