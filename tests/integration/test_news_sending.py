"""Sending an announcement to attendees: through the outbox (the organisers' messages), each
attendee in their language (else the default), at most once per registration status, and the
e-mails delivered by a real SMTP server."""

from __future__ import annotations

import asyncio
import re
from email.message import EmailMessage
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from confman.db.models import AnnouncementSending, AttendeeMessage, OutboxMail
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
)
from tests.mailserver import MailServer, Recorder, free_port, smtp_settings, wait_until

Client = AsyncTestClient[Litestar]
CONF = "/api/v1/conferences/climate-2027"
API = f"{CONF}/announcements"
# capacity 2: ana and zoe are confirmed, rosa and tom wait.
PEOPLE = [("Ана", "ana", "ru"), ("Zoë", "zoe", "fr"), ("Rosa", "rosa", "es"), ("Tom", "tom", "pt")]
TEXTS = {
    "en": ("Programme published", "The **programme** is out."),
    "es": ("Programa publicado", "El **programa** está listo."),
    "ru": ("Программа опубликована", "**Программа** готова."),
}


async def _setup(client: Client, organiser: Organiser) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await put_registration_settings(client, organiser, "climate-2027", capacity=2, double_opt_in=False)
    for name, user, language in PEOPLE:
        payload = registration_payload(name=name, email=f"{user}@example.org", language=language)
        answer = await client.post(f"{CONF}/registrations", json=payload)
        assert answer.status_code in {201, 202}, answer.text
    await post_ok(
        client,
        organiser,
        API,
        {
            "slug": "programme-published",
            "title": {code: title for code, (title, _) in TEXTS.items()},
            "body": {code: body for code, (_, body) in TEXTS.items()},
            "status": "published",
        },
    )


async def _count(settings: Settings, model: type, *where: Any) -> int:
    async with database(settings) as db:
        return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _plain(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def test_sending_by_status_reaches_each_attendee_once_in_their_language(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _setup(client, organiser)
    counted = await client.get(f"{API}/programme-published/recipients?audience=waitlisted", headers=organiser.headers)
    assert counted.json() == {"audience": "waitlisted", "recipients": 2, "sent_to": []}
    # A stale count sends nothing.
    stale = await client.post(
        f"{API}/programme-published/send",
        json={"audience": "waitlisted", "expected_recipients": 3},
        headers=organiser.headers,
    )
    assert stale.status_code == 409
    assert stale.json()["extra"][0]["key"] == "expected_recipients"
    assert await _count(settings, OutboxMail, OutboxMail.kind == "attendee_message") == 0
    assert await _count(settings, AnnouncementSending) == 0

    sent = await client.post(
        f"{API}/programme-published/send",
        json={"audience": "waitlisted", "expected_recipients": 2},
        headers=organiser.headers,
    )
    assert sent.status_code == 201, sent.text
    assert sent.json() == {"audience": "waitlisted", "recipients": 2, "sent_to": ["waitlisted"]}
    # Again to the waiting list, or to everyone (which includes it): refused, nothing written.
    for audience in ("waitlisted", "all"):
        again = await client.post(
            f"{API}/programme-published/send", json={"audience": audience}, headers=organiser.headers
        )
        assert again.status_code == 409, again.text
        assert again.json()["extra"][0] == {
            "key": "audience", "code": "already_sent", "message": "already sent to these attendees", "source": "body",
        }  # fmt: skip
    assert await _count(settings, AttendeeMessage) == 1
    confirmed = await client.post(
        f"{API}/programme-published/send", json={"audience": "confirmed"}, headers=organiser.headers
    )
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["recipients"] == 2
    read = await client.get(f"{API}/programme-published", headers=organiser.headers)
    assert read.json()["sent_to"] == ["confirmed", "waitlisted"]

    mails = [mail for mail in await outbox(settings) if mail.kind == "attendee_message"]
    # Each attendee once; in their language where the announcement has it, else the default.
    assert sorted((mail.recipient, mail.language) for mail in mails) == [
        ("ana@example.org", "ru"), ("rosa@example.org", "es"), ("tom@example.org", "en"), ("zoe@example.org", "en"),
    ]  # fmt: skip

    recorder = Recorder()
    server = MailServer(free_port(), recorder)
    server.start()
    worker = MailWorker(smtp_settings(settings, server.url))
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await wait_until(lambda: len(recorder.messages) >= 4, 20, "four messages")
    finally:
        stop.set()
        await task
        await worker.close()
        server.stop()
    received = {str(message["To"]).split("@")[0]: message for message in recorder.messages}
    assert {user: str(message["Subject"]) for user, message in received.items()} == {
        "ana": "Программа опубликована",
        "zoe": "Programme published",
        "rosa": "Programa publicado",
        "tom": "Programme published",
    }
    ana = _plain(received["ana"])
    assert "**Программа** готова." in ana
    # The link to the announcement in the attendee's language, worded in it when the interface has it.
    assert "http://testserver.local/climate-2027/news/programme-published/?lang=ru" in ana
    assert "http://testserver.local/climate-2027/news/programme-published/?lang=es" in _plain(received["rosa"])
    assert "http://testserver.local/climate-2027/news/programme-published/?lang=en" in _plain(received["tom"])
    assert re.search(r"http://testserver\.local/me/m[^/\s]+/", ana)


async def test_drafts_and_scheduled_announcements_cannot_be_sent(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _setup(client, organiser)
    await client.patch(f"{API}/programme-published", json={"status": "draft"}, headers=organiser.headers)
    answer = await client.post(f"{API}/programme-published/send", json={"audience": "all"}, headers=organiser.headers)
    assert answer.status_code == 400
    assert answer.json()["extra"][0]["key"] == "status"
    bad = await client.post(f"{API}/programme-published/send", json={"audience": "pending"}, headers=organiser.headers)
    assert bad.status_code == 400
    assert bad.json()["extra"][0]["key"] == "audience"
    assert await _count(settings, OutboxMail, OutboxMail.kind == "attendee_message") == 0
    assert await _count(settings, AnnouncementSending) == 0
