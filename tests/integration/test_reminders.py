"""Reminder e-mails before followed sessions: exactly once per attendee and session, with two
workers running, through a real SMTP server; the organisers' attendance figures."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from confman.db.models import OutboxEvent, OutboxMail, Registration
from confman.settings import Settings
from confman.worker import MailWorker
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
from tests.mailserver import MailServer, Recorder, free_port, wait_until

Client = AsyncTestClient[Litestar]
CONF = "/api/v1/conferences/climate-2027"


async def conference_now(client: Client, organiser: Organiser, **settings: Any) -> datetime:
    """A conference running around now, with sessions at +30 min, +50 min (a workshop of 2
    seats) and +5 h; reminders one hour ahead (the default) unless ``settings`` say otherwise."""
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    await post_ok(
        client, organiser, "/api/v1/conferences",
        conference_payload(starts_on=str(today - timedelta(days=1)), ends_on=str(today + timedelta(days=1)),
                           timezone="Europe/London"),
    )  # fmt: skip
    stream = {"slug": "main", "name": "Main", "meeting_url": "https://meet.example.org/main-9d1"}
    await post_ok(client, organiser, f"{CONF}/streams", stream)
    for slug, starts, kind, capacity in (("soon", 30, "talk", None), ("workshop", 50, "workshop", 2),
                                         ("later", 300, "talk", None)):  # fmt: skip
        await post_ok(
            client, organiser, f"{CONF}/sessions",
            {"slug": slug, "title": {"en": slug.title(), "ru": f"Сессия {slug}"}, "kind": kind, "capacity": capacity,
             "stream": "main", "status": "confirmed", "starts_at": (now + timedelta(minutes=starts)).isoformat(),
             "ends_at": (now + timedelta(minutes=starts + 45)).isoformat()},
        )  # fmt: skip
    await put_registration_settings(client, organiser, "climate-2027", double_opt_in=False, **settings)
    return now


async def register(client: Client, settings: Settings, email: str, **overrides: Any) -> str:
    """A confirmed registration; its page token."""
    response = await client.post(f"{CONF}/registrations", json=registration_payload(email=email, **overrides))
    assert response.status_code == 201, response.text
    mail = [m for m in await outbox(settings) if m.recipient == email and m.context.get("manage_url")][-1]
    return token_from(mail.context["manage_url"])


async def events(settings: Settings, name: str) -> list[dict[str, Any]]:
    """The payloads of the events ``name``, oldest first, with e-mail addresses for registration ids."""
    async with database(settings) as db:
        emails = dict((await db.execute(select(Registration.id, Registration.email))).tuples().all())
        payloads = await db.scalars(
            select(OutboxEvent.payload).where(OutboxEvent.name == name).order_by(OutboxEvent.id)
        )
        return [{**p, "registration_id": emails.get(p.get("registration_id"))} for p in payloads]


async def delivering(settings: Settings, kind: str) -> set[str | None]:
    """The names of the events that the e-mails of ``kind`` deliver."""
    async with database(settings) as db:
        return set(
            await db.scalars(
                select(OutboxEvent.name)
                .select_from(OutboxMail)
                .outerjoin(OutboxEvent, OutboxEvent.id == OutboxMail.event_id)
                .where(OutboxMail.kind == kind)
            )
        )


def smtp(settings: Settings, server: MailServer) -> Settings:
    return settings.model_copy(update={"smtp_url": server.url, "mail_poll_seconds": 0.05})


def reminders(recorder: Recorder) -> list[EmailMessage]:
    with recorder.lock:
        return [m for m in recorder.messages if "Starting at" in str(m["Subject"]) or "Начало" in str(m["Subject"])]


async def test_each_follower_gets_one_reminder_per_session_with_two_workers_running(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await conference_now(client, organiser)
    people = [f"person{index}@example.org" for index in range(5)]
    for email in people:
        await register(client, settings, email, language="en", timezone="Asia/Tokyo")
    # One attendee follows only "later": no reminder for "soon".
    chooser = await register(client, settings, "chooser@example.org", language="en")
    page = await client.get(f"/me/{chooser}/")
    csrf = page.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = await client.post(
        f"/me/{chooser}/follow", data={"_csrf_token": csrf, "follow": "some", "session": "later"}
    )
    assert answer.status_code in {200, 303}

    recorder = Recorder()
    server = MailServer(free_port(), recorder)
    server.start()
    workers = [MailWorker(smtp(settings, server)), MailWorker(smtp(settings, server))]
    try:
        # Both look for due reminders at the same moment, several times over, and send.
        for _ in range(3):
            await asyncio.gather(*(worker.queue_reminders() for worker in workers))
        stop = asyncio.Event()
        running = [asyncio.create_task(worker.run(stop)) for worker in workers]
        await wait_until(lambda: len(reminders(recorder)) >= len(people), 30, "the reminders")
        await asyncio.sleep(0.5)  # time for a duplicate to arrive, if there were one
        stop.set()
        await asyncio.gather(*running)
    finally:
        for worker in workers:
            await worker.close()
        server.stop()

    sent = reminders(recorder)
    # "soon" is due (30 min < 1 h); the workshop is due too but nobody holds a seat; "later" is not due.
    assert sorted(str(m["To"]) for m in sent) == sorted(people)
    assert len({str(m["Message-ID"]) for m in sent}) == len(sent)
    message = sent[0]
    text = message.get_body(("plain",))
    assert isinstance(text, EmailMessage)
    body = text.get_content()
    assert "“Soon”" in body
    assert "/join/j_" in body
    assert "/soon" in body
    assert "meet.example.org" not in message.as_string()
    # The start in the attendee's zone (Tokyo, 12-hour clock in English) and the conference's.
    start = datetime.fromisoformat((await client.get(f"{CONF}/sessions/soon")).json()["starts_at"])
    tokyo, london = start.astimezone(ZoneInfo("Asia/Tokyo")), start.astimezone(ZoneInfo("Europe/London"))
    assert f"{tokyo.hour % 12 or 12}:{tokyo.minute:02d}" in body
    assert f"{london.hour % 12 or 12}:{london.minute:02d}" in body


async def test_a_reminder_is_queued_once_and_follows_seats_and_the_conference_lead_time(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await conference_now(client, organiser, reminder_minutes=40)
    seated = await register(client, settings, "seated@example.org", language="ru")
    await register(client, settings, "plain@example.org")
    page = await client.get(f"/me/{seated}/")
    csrf = page.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
    taken = await client.post(f"/me/{seated}/seats/workshop", data={"_csrf_token": csrf, "action": "take"})
    assert taken.status_code in {200, 303}

    worker = MailWorker(settings)
    try:
        first = await worker.queue_reminders()
        again = await worker.queue_reminders()
    finally:
        await worker.close()

    queued = [(m.recipient, m.context["session"]) for m in await outbox(settings) if m.kind == "reminder"]
    # 40 minutes ahead: "soon" (30 min) for both, the workshop (50 min) not yet; nothing twice.
    assert sorted(queued) == [("plain@example.org", "soon"), ("seated@example.org", "soon")]
    assert (first, again) == (2, 0)
    russian = next(m for m in await outbox(settings) if m.kind == "reminder" and m.recipient == "seated@example.org")
    assert russian.language == "ru"
    # Each reminder delivers its event "reminder.due", which holds no link; the seat was "granted".
    due = await events(settings, "reminder.due")
    starts_at = russian.context["starts_at"]
    assert sorted((e["registration_id"], e["session"], e["starts_at"] == starts_at) for e in due) == [
        ("plain@example.org", "soon", True),
        ("seated@example.org", "soon", True),
    ]
    assert {tuple(sorted(e)) for e in due} == {("registration_id", "session", "session_id", "starts_at")}
    assert await delivering(settings, "reminder") == {"reminder.due"}
    granted = await events(settings, "seat.granted")
    assert [(e["registration_id"], e["session"], e["source"]) for e in granted] == [
        ("seated@example.org", "workshop", "taken")
    ]


async def test_organisers_see_attendance_per_session_and_who_joined(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await conference_now(client, organiser, join_opens_minutes=60)
    tokens = [await register(client, settings, f"p{index}@example.org", name=f"Person {index}") for index in range(3)]
    joiner = await client.get(f"/me/{tokens[0]}/")
    join = joiner.text.split('href="http://testserver.local/join/', 1)[1].split('"', 1)[0]
    assert join.endswith("/soon")
    for _ in range(2):
        redirected = await client.get(f"/join/{join}", follow_redirects=False)
        assert redirected.status_code == 302
        assert redirected.headers["location"] == "https://meet.example.org/main-9d1"

    anonymous = await client.get(f"{CONF}/attendance")
    assert anonymous.status_code in {401, 404}
    figures = {
        row["session"]: row for row in (await client.get(f"{CONF}/attendance", headers=organiser.headers)).json()
    }
    assert (figures["soon"]["registered"], figures["soon"]["joined"], figures["soon"]["joins"]) == (3, 1, 2)
    assert (figures["workshop"]["registered"], figures["workshop"]["joined"]) == (0, 0)
    detail = (await client.get(f"{CONF}/sessions/soon/attendance", headers=organiser.headers)).json()
    assert [(a["name"], a["email"], a["joins"]) for a in detail["attendees"]] == [("Person 0", "p0@example.org", 2)]
    missing = await client.get(f"{CONF}/sessions/nope/attendance", headers=organiser.headers)
    assert missing.status_code == 404
    joined = await events(settings, "attendance.joined")
    assert [(e["registration_id"], sorted(e)) for e in joined] == [
        ("p0@example.org", ["joined_at", "registration_id", "session_id"])
    ] * 2


async def test_the_head_of_a_workshop_waiting_list_is_told_when_a_seat_becomes_theirs(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await conference_now(client, organiser)
    tokens = [await register(client, settings, f"w{index}@example.org", language="en") for index in range(3)]

    async def seat(token: str, action: str) -> None:
        page = await client.get(f"/me/{token}/")
        csrf = page.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
        answer = await client.post(f"/me/{token}/seats/workshop", data={"_csrf_token": csrf, "action": action})
        assert answer.status_code in {200, 303}

    for token in tokens:
        await seat(token, "take")  # two seats: the third waits
    assert not [m for m in await outbox(settings) if m.kind == "seat_promoted"]
    await seat(tokens[0], "release")

    promoted = [m for m in await outbox(settings) if m.kind == "seat_promoted"]
    assert [(m.recipient, m.context["session"]) for m in promoted] == [("w2@example.org", "workshop")]
    granted = await events(settings, "seat.granted")
    assert [(e["registration_id"], e["source"]) for e in granted] == [
        ("w0@example.org", "taken"),
        ("w1@example.org", "taken"),
        ("w2@example.org", "waitlist"),
    ]
    assert await delivering(settings, "seat_promoted") == {"seat.granted"}
    worker = MailWorker(settings)
    try:
        await worker.run_once()
    finally:
        await worker.close()
    written = [path.read_bytes() for path in settings.mailbox_dir.glob("*.eml")]
    assert any(b"Subject: You have a seat: Workshop" in message for message in written)
