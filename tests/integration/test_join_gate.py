"""The join gate (``/join/{join_token}/{session}``): who is let into which session, when, and
what everyone else is told; workshop seats with their waiting list; meeting URLs read live.

The conference and its sessions lie around *now* (see ``build_conference``); join links are
opened without cookies, as from a calendar app.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

import httpx
from sqlalchemy import select

from confman.attendees.links import attendee_tokens
from confman.db.models import ConferenceSession, SeatStatus, SessionAttendance, SessionSeat
from confman.lib.timezones import utcnow
from confman.settings import Settings
from tests.factories import Organiser, database, outbox, put_registration_settings
from tests.integration.test_attendee_pages import (
    CONF,
    MAIN_URL,
    SLUG,
    WORKSHOP_URL,
    Client,
    assert_private,
    build_conference,
    client,
    clock,
    cookieless,
    open_page,
    register,
    registration_of,
)

__all__ = ["client"]  # the fixture: a client that shows redirects instead of following them

UNCOMPARED_HEADERS = {"date", "set-cookie", "x-request-id"}
SLUGS = ("now", "soon", "over", "called-off", "bare", "no-such-session")


def headers_of(response: httpx.Response) -> list[tuple[str, str]]:
    return [(key, value) for key, value in response.headers.multi_items() if key not in UNCOMPARED_HEADERS]


async def join_token_of(settings: Settings, email: str) -> str:
    """The join token the server derives for a registration whose page never shows one
    (waiting or pending): what a leaked or guessed-right link would carry."""
    registration = await registration_of(settings, email)
    async with database(settings) as db:
        return (await attendee_tokens(db, registration.id, settings.secret_key)).join


async def session_id(settings: Settings, slug: str) -> int:
    async with database(settings) as db:
        found = await db.scalar(select(ConferenceSession.id).where(ConferenceSession.slug == slug))
    assert found is not None
    return found


async def attendance(settings: Settings) -> list[tuple[int, int, int, datetime, datetime]]:
    async with database(settings) as db:
        rows = await db.execute(
            select(
                SessionAttendance.registration_id,
                SessionAttendance.session_id,
                SessionAttendance.joins,
                SessionAttendance.first_joined_at,
                SessionAttendance.last_joined_at,
            ).order_by(SessionAttendance.id)
        )
        return list(rows.tuples())


async def seat_of(settings: Settings, email: str, slug: str) -> SeatStatus | None:
    registration_id = (await registration_of(settings, email)).id
    workshop = await session_id(settings, slug)
    async with database(settings) as db:
        status: SeatStatus | None = await db.scalar(
            select(SessionSeat.status).where(
                SessionSeat.registration_id == registration_id, SessionSeat.session_id == workshop
            )
        )
    return status


async def test_gate_matrix_for_every_registration_state_and_session_timing(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    times = await build_conference(client, organiser, bare=True, capacity=1)
    # Cancelled: had a join link, then cancelled (their seat goes to Rosa below).
    xenia = await open_page(client, await register(client, settings, "xenia@example.org", language="en"))
    cancelled_token = xenia.join_token
    assert (
        await client.post(f"{xenia.path}cancel", data={"_csrf_token": xenia.csrf, "confirm": "yes"})
    ).status_code == 303
    # Confirmed: the one seat.
    rosa = await open_page(client, await register(client, settings, "rosa@example.org", language="en"))
    # Waiting: the conference is full.
    await register(client, settings, "wanda@example.org")
    # Pending: double opt-in from now on, the e-mail address not confirmed.
    await put_registration_settings(client, organiser, SLUG, capacity=1, double_opt_in=True)
    response = await client.post(f"{CONF}/registrations", json={
        "name": "Pat Pending", "email": "pat@example.org", "country": "BR", "timezone": "UTC", "language": "en",
        "answers": {}, "consent": True,
    })  # fmt: skip
    assert response.status_code == 202
    statuses = {e: (await registration_of(settings, e)).status.value for e in
                ("xenia@example.org", "rosa@example.org", "wanda@example.org", "pat@example.org")}  # fmt: skip
    assert list(statuses.values()) == ["cancelled", "confirmed", "waitlisted", "pending"]
    refused_tokens = {
        "waitlisted": await join_token_of(settings, "wanda@example.org"),
        "cancelled": cancelled_token,
        "pending": await join_token_of(settings, "pat@example.org"),
        "unknown": "j_" + secrets.token_urlsafe(32),
    }
    assert len(set(refused_tokens.values()) | {rosa.join_token}) == 5

    async with cookieless(client) as calendar_app:
        refused = {
            (state, slug): await calendar_app.get(f"/join/{token}/{slug}")
            for state, token in refused_tokens.items()
            for slug in SLUGS
        }
        refused["confirmed", "no-such-session"] = await calendar_app.get(f"/join/{rosa.join_token}/no-such-session")
        before_first = utcnow()
        first = await calendar_app.get(rosa.join_paths["now"])
        after_first = utcnow()
        second = await calendar_app.get(rosa.join_paths["now"])
        # Link scanners and previews are sent on too, but are not the attendee joining.
        scanners = [
            await calendar_app.get(rosa.join_paths["now"], headers={"user-agent": agent})
            for agent in (
                "",
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) BingPreview/1.0b",
                "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.4266; Pro)",
                "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
                "python-requests/2.31.0",
            )
        ]
        # HEAD, from a browser too: the same redirect, not a join.
        head = await calendar_app.head(rosa.join_paths["now"], headers={"user-agent": "Mozilla/5.0 (X11; Linux)"})
        gates = {slug: await calendar_app.get(f"/join/{rosa.join_token}/{slug}") for slug in SLUGS[1:-1]}

    # Everyone but the confirmed attendee: 404, the very same answer, whatever the session.
    assert {key: r.status_code for key, r in refused.items()} == dict.fromkeys(refused, 404)
    reference = refused["unknown", "now"]
    assert "This link is not valid" in reference.text
    for key, answer in refused.items():
        assert answer.content == reference.content, key
        assert headers_of(answer) == headers_of(reference), key
        assert_private(answer)
    # The confirmed attendee, inside the window: straight to the meeting, and counted.
    assert (first.status_code, second.status_code) == (302, 302)
    assert [r.status_code for r in scanners] == [302] * len(scanners)
    assert first.headers["location"] == second.headers["location"] == MAIN_URL
    assert (head.status_code, head.headers["location"], head.content) == (302, MAIN_URL, b"")
    assert_private(first)
    rosa_id = (await registration_of(settings, "rosa@example.org")).id
    [(registration_id, joined_session, joins, first_joined, last_joined)] = await attendance(settings)
    assert (registration_id, joined_session, joins) == (rosa_id, await session_id(settings, "now"), 2)
    assert before_first <= first_joined <= after_first
    assert first_joined <= last_joined
    # Outside the window, or no way in: a page saying why, never the meeting URL.
    assert {slug: r.status_code for slug, r in gates.items()} == {
        "soon": 200, "over": 410, "called-off": 410, "bare": 503,
    }  # fmt: skip
    for answer in gates.values():
        assert_private(answer)
        assert "location" not in answer.headers
        assert "meet.example.org" not in answer.text
    assert 'class="gate gate-early"' in gates["soon"].text
    assert "The session has not opened yet." in gates["soon"].text
    assert f'data-opens="{times.at(120 - 15).isoformat()}"' in gates["soon"].text
    assert "This session has ended." in gates["over"].text
    assert "Watch the recording" not in gates["over"].text
    assert "This session is cancelled." in gates["called-off"].text
    assert "This session has ended." not in gates["called-off"].text
    assert "its meeting link is not ready yet" in gates["bare"].text
    assert gates["bare"].headers["retry-after"] == "30"
    assert len(await attendance(settings)) == 1  # refused and early attempts are not joins

    # The organisers add the recording: the ended session's page offers it.
    recording = "https://video.example.org/recordings/already-over?part=1&lang=en"
    patched = await client.patch(f"{CONF}/sessions/over", json={"recording_url": recording}, headers=organiser.headers)
    assert patched.status_code == 200, patched.text
    async with cookieless(client) as calendar_app:
        ended = await calendar_app.get(rosa.join_paths["over"])
    assert ended.status_code == 410
    assert_private(ended)
    assert "This session has ended." in ended.text
    assert 'href="https://video.example.org/recordings/already-over?part=1&amp;lang=en"' in ended.text
    assert "Watch the recording" in ended.text


async def test_early_page_shows_the_times_in_the_attendees_own_zone(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    times = await build_conference(client, organiser)
    path = await register(client, settings, "rosa@example.org", timezone="Asia/Tokyo", language="fr")
    rosa = await open_page(client, path)

    async with cookieless(client) as calendar_app:
        early = await calendar_app.get(rosa.join_paths["soon"])

    assert early.status_code == 200
    starts, ends, opens = times.at(120), times.at(180), times.at(105)
    tokyo = {name: clock(moment, "Asia/Tokyo") for name, moment in [("start", starts), ("end", ends), ("opens", opens)]}
    utc = clock(starts, "UTC")
    assert tokyo["start"] != utc
    html = early.text
    assert f'<time datetime="{starts.isoformat()}">{tokyo["start"]}</time>' in html
    assert f'<time datetime="{ends.isoformat()}">{tokyo["end"]}</time>' in html
    notice = html.split('class="gate gate-early"', 1)[1].split("</p>", 1)[0]
    assert f'data-opens="{opens.isoformat()}"' in notice  # for the page's countdown script
    words = re.sub(r"<[^>]+>", " ", notice.split(">", 1)[1])  # what the attendee reads
    assert tokyo["opens"] in words
    assert clock(opens, "UTC") not in words


async def test_custom_join_window_from_the_registration_settings(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_conference(client, organiser)
    rosa = await open_page(client, await register(client, settings, "rosa@example.org", language="en"))
    async with cookieless(client) as calendar_app:
        default = {slug: (await calendar_app.get(rosa.join_paths[slug])).status_code for slug in ("soon", "over")}

    # Opens 2½ hours before the start (soon starts in 2 hours), closes 2½ hours after the end (over ended 2 ago).
    await put_registration_settings(
        client, organiser, SLUG, double_opt_in=False, join_opens_minutes=150, join_closes_minutes=150
    )

    async with cookieless(client) as calendar_app:
        custom = {slug: await calendar_app.get(rosa.join_paths[slug]) for slug in ("soon", "over")}
    assert default == {"soon": 200, "over": 410}
    assert {slug: r.status_code for slug, r in custom.items()} == {"soon": 302, "over": 302}
    assert {r.headers["location"] for r in custom.values()} == {MAIN_URL}
    page = await open_page(client, rosa.path)
    assert "Join buttons open 150 minutes before each session starts." in page.html

    await put_registration_settings(
        client, organiser, SLUG, double_opt_in=False, join_opens_minutes=0, join_closes_minutes=0
    )

    async with cookieless(client) as calendar_app:
        narrow = {slug: (await calendar_app.get(rosa.join_paths[slug])).status_code for slug in ("now", "soon", "over")}
    assert narrow == {"now": 302, "soon": 200, "over": 410}


async def test_workshop_seats_gate_the_join_link_and_move_the_waiting_list_on(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_conference(client, organiser, workshop=True)
    rosa = await open_page(client, await register(client, settings, "rosa@example.org", language="en"))
    clara = await open_page(client, await register(client, settings, "clara@example.org", language="en"))
    rosa_workshop = f"/join/{rosa.join_token}/workshop"
    clara_workshop = f"/join/{clara.join_token}/workshop"
    assert "workshop" not in rosa.join_paths  # no seat, no join button
    assert "1 seat left of 1." in rosa.html

    async def join(path: str) -> httpx.Response:
        async with cookieless(client) as calendar_app:
            return await calendar_app.get(path)

    async def seat(page_path: str, csrf: str, action: str) -> httpx.Response:
        return await client.post(f"{page_path}seats/workshop", data={"_csrf_token": csrf, "action": action})

    no_seat = await join(rosa_workshop)
    assert no_seat.status_code == 403
    assert "you do not hold one" in no_seat.text
    assert_private(no_seat)

    taken = await seat(rosa.path, rosa.csrf, "take")

    assert taken.status_code == 303
    assert taken.headers["location"] == f"{rosa.path}?done=seat"
    assert "workshop" in (await open_page(client, rosa.path)).join_paths
    rosa_in = await join(rosa_workshop)
    assert (rosa_in.status_code, rosa_in.headers["location"]) == (302, WORKSHOP_URL)

    # Full: Clara goes on the session's waiting list, first in line.
    clara_before = await open_page(client, clara.path)
    assert "0 seats left of 1." in clara_before.html
    assert "Join the waiting list" in clara_before.html
    assert (await seat(clara.path, clara.csrf, "take")).status_code == 303
    assert await seat_of(settings, "clara@example.org", "workshop") is SeatStatus.WAITLISTED
    assert "You are number 1 on this session&#39;s waiting list." in (await open_page(client, clara.path)).html
    assert (await join(clara_workshop)).status_code == 403

    # Rosa gives up: Clara has the seat at once, and her link opens.
    released = await seat(rosa.path, rosa.csrf, "release")

    assert released.status_code == 303
    assert released.headers["location"] == f"{rosa.path}?done=released"
    assert await seat_of(settings, "rosa@example.org", "workshop") is SeatStatus.CANCELLED
    assert await seat_of(settings, "clara@example.org", "workshop") is SeatStatus.CONFIRMED
    assert "You have a seat." in (await open_page(client, clara.path)).html
    clara_in = await join(clara_workshop)
    assert (clara_in.status_code, clara_in.headers["location"]) == (302, WORKSHOP_URL)
    assert (await join(rosa_workshop)).status_code == 403

    # Rosa queues again; Clara cancels her registration: her seat is released and goes to Rosa.
    assert (await seat(rosa.path, rosa.csrf, "take")).status_code == 303
    assert "You are number 1 on this session&#39;s waiting list." in (await open_page(client, rosa.path)).html
    cancelled = await client.post(f"{clara.path}cancel", data={"_csrf_token": clara.csrf, "confirm": "yes"})

    assert cancelled.status_code == 303
    assert await seat_of(settings, "clara@example.org", "workshop") is SeatStatus.CANCELLED
    assert await seat_of(settings, "rosa@example.org", "workshop") is SeatStatus.CONFIRMED
    rosa_again = await join(rosa_workshop)
    assert (rosa_again.status_code, rosa_again.headers["location"]) == (302, WORKSHOP_URL)
    assert (await join(clara_workshop)).status_code == 404


async def test_a_changed_meeting_url_applies_to_the_same_join_link_at_once(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_conference(client, organiser)
    rosa = await open_page(client, await register(client, settings, "rosa@example.org"))
    link = rosa.join_paths["now"]
    async with cookieless(client) as calendar_app:
        assert (await calendar_app.get(link)).headers["location"] == MAIN_URL
    mails = len(await outbox(settings))
    new_room = "https://meet.example.org/secret-main-stream-new-room"
    own_room = "https://meet.example.org/secret-room-of-this-session"

    stream = await client.patch(f"{CONF}/streams/main", json={"meeting_url": new_room}, headers=organiser.headers)

    assert stream.status_code == 200, stream.text
    async with cookieless(client) as calendar_app:
        moved = await calendar_app.get(link)
    assert (moved.status_code, moved.headers["location"]) == (302, new_room)

    session = await client.patch(f"{CONF}/sessions/now", json={"meeting_url": own_room}, headers=organiser.headers)

    assert session.status_code == 200, session.text
    async with cookieless(client) as calendar_app:
        own = await calendar_app.get(link)
        other = await calendar_app.get(f"/join/{rosa.join_token}/soon")
    assert (own.status_code, own.headers["location"]) == (302, own_room)  # the session's own URL wins
    assert other.status_code == 200  # early: still no URL given out
    assert len(await outbox(settings)) == mails  # nothing re-sent
    assert (await open_page(client, rosa.path)).join_paths["now"] == link
