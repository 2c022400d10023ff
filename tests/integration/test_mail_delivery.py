"""E-mail that is never lost: a real SMTP server (aiosmtpd), real worker processes, real databases."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import icalendar
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from confman.db.models import MailStatus, OutboxMail
from confman.lib.timezones import utcnow
from confman.mail.outbox import backoff
from confman.settings import Settings
from confman.worker import MailWorker
from tests.factories import (
    Organiser,
    database,
    outbox,
)
from tests.mailserver import MailServer, Recorder, free_port, queue_mails, smtp_settings, wait_until

Client = AsyncTestClient[Litestar]
CONF = "/api/v1/conferences/climate-2027"


async def test_mail_queued_while_the_server_is_down_arrives_exactly_once_when_it_is_back(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await queue_mails(client, organiser, 12)
    queued = {mail.message_id for mail in await outbox(settings)}
    recorder = Recorder()
    server = MailServer(free_port(), recorder)
    worker = MailWorker(smtp_settings(settings, server.url))
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        # Nothing listens on the port yet: every connection is refused, and retried. (Waited
        # for, not slept: on a loaded machine one second did not always give two attempts.)
        refused = await outbox(settings)
        deadline = time.monotonic() + 20
        while min(mail.attempts for mail in refused) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            refused = await outbox(settings)
        assert {mail.status for mail in refused} == {MailStatus.PENDING}
        assert min(mail.attempts for mail in refused) >= 2
        assert all("connect" in (mail.last_error or "") for mail in refused)

        server.start()
        await wait_until(lambda: len(recorder.message_ids()) >= len(queued), 20, "every e-mail")
        await asyncio.sleep(0.5)  # would a duplicate follow?
    finally:
        stop.set()
        await task
        await worker.close()
        server.stop()

    assert sorted(recorder.message_ids()) == sorted(queued)
    sent = await outbox(settings)
    assert {mail.status for mail in sent} == {MailStatus.SENT}
    # The private links do not stay in the database once the server has the e-mail.
    assert [mail.context for mail in sent] == [{}] * len(sent)


async def test_two_workers_never_send_the_same_email(client: Client, organiser: Organiser, settings: Settings) -> None:
    await queue_mails(client, organiser, 30)
    recorder = Recorder(delay=0.01)
    server = MailServer(free_port(), recorder)
    server.start()
    mail_settings = smtp_settings(settings, server.url)
    workers = [MailWorker(mail_settings, batch_size=5) for _ in range(2)]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(worker.run(stop)) for worker in workers]
    try:
        await wait_until(lambda: len(recorder.message_ids()) >= 30, 30, "30 e-mails")
        await asyncio.sleep(0.3)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        for worker in workers:
            await worker.close()
        server.stop()

    ids = recorder.message_ids()
    assert len(ids) == len(set(ids)) == 30
    claimed_by = {mail.claimed_by for mail in await outbox(settings)}
    assert len(claimed_by) == 2  # both really worked


async def test_a_live_worker_keeps_its_claims_past_the_lease_while_the_server_is_slow(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    # A batch of five takes 3.5 s at this server's pace, longer than the lease: the sending
    # worker's heartbeat renews its claims, so the other worker never takes (and sends again)
    # one of them. (A lease of 0.5 s was too short for a loaded CI machine's SQLite: a beat
    # came late; the worker now stops sending when its lease is not renewed in time.)
    await queue_mails(client, organiser, 10)
    recorder = Recorder(delay=0.7)
    server = MailServer(free_port(), recorder)
    server.start()
    # One connection, so that a batch takes its five sends' time.
    mail_settings = smtp_settings(settings, server.url, mail_lease_seconds=3, mail_connections=1)
    workers = [MailWorker(mail_settings, batch_size=5) for _ in range(2)]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(worker.run(stop)) for worker in workers]
    try:
        await wait_until(lambda: len(recorder.message_ids()) >= 10, 30, "10 e-mails")
        await asyncio.sleep(0.6)  # would a duplicate follow?
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        for worker in workers:
            await worker.close()
        server.stop()

    ids = recorder.message_ids()
    assert len(ids) == len(set(ids)) == 10
    # Each e-mail was claimed once: no lease ran out under a live worker.
    assert [mail.attempts for mail in await outbox(settings)] == [1] * 10


async def test_a_worker_sends_over_several_connections_at_once(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    # Sending is mostly waiting for the mail server: on PostgreSQL a worker keeps its four
    # connections busy at once (SQLite's writers queue anyway: one). Each sent once.
    await queue_mails(client, organiser, 12)
    recorder = Recorder(delay=0.3)
    server = MailServer(free_port(), recorder)
    server.start()
    worker = MailWorker(smtp_settings(settings, server.url))
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await wait_until(lambda: len(recorder.message_ids()) >= 12, 30, "12 e-mails")
    finally:
        stop.set()
        await task
        await worker.close()
        server.stop()

    ids = recorder.message_ids()
    assert len(ids) == len(set(ids)) == 12
    assert settings.mail_connections == 4
    assert recorder.most_at_once == (1 if settings.is_sqlite else 4)
    assert {mail.status for mail in await outbox(settings)} == {MailStatus.SENT}


def start_worker_process(settings: Settings, smtp_url: str, lease: float) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CONFMAN_DATABASE_URL": settings.database_url,
        "CONFMAN_BASE_URL": settings.base_url,
        "CONFMAN_SMTP_URL": smtp_url,
        "CONFMAN_MAIL_POLL_SECONDS": "0.05",
        "CONFMAN_MAIL_LEASE_SECONDS": str(lease),
        "CONFMAN_MAIL_RETRY_BASE_SECONDS": "0.1",
    }
    code = "from confman.cli import main; main(['worker'])"
    return subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.DEVNULL)  # noqa: S603


async def test_a_worker_killed_mid_batch_loses_nothing(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await queue_mails(client, organiser, 25)
    queued = {mail.message_id for mail in await outbox(settings)}
    recorder = Recorder(delay=0.05)
    server = MailServer(free_port(), recorder)
    server.start()
    first = start_worker_process(settings, server.url, lease=2.0)
    try:
        await wait_until(lambda: len(recorder.message_ids()) >= 5, 60, "the first worker to send some")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        after_kill = len(recorder.message_ids())
        assert after_kill < len(queued)  # killed in the middle, not after the end

        # Another worker (in this process) takes over once the dead one's lease has run out.
        second = MailWorker(smtp_settings(settings, server.url, mail_lease_seconds=2.0))
        stop = asyncio.Event()
        task = asyncio.create_task(second.run(stop))
        try:
            await wait_until(lambda: set(recorder.message_ids()) >= queued, 60, "every e-mail after the kill")
            await asyncio.sleep(0.3)
        finally:
            stop.set()
            await task
            await second.close()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)
        server.stop()

    ids = recorder.message_ids()
    assert set(ids) == queued
    # At most the e-mails in flight at the kill are repeated (one per connection: sent, not
    # yet marked), with their Message-IDs unchanged.
    in_flight = 1 if settings.is_sqlite else settings.mail_connections
    assert len(ids) - len(set(ids)) <= in_flight
    assert {mail.status for mail in await outbox(settings)} == {MailStatus.SENT}


async def test_confirmation_email_is_multipart_in_the_attendees_language_with_the_programme(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await queue_mails(client, organiser, 1, confirmed=True)
    recorder = Recorder()
    server = MailServer(free_port(), recorder)
    server.start()
    worker = MailWorker(smtp_settings(settings, server.url))
    try:
        assert await worker.run_once() == 1
    finally:
        await worker.close()
        server.stop()

    [message] = recorder.messages
    [mail] = await outbox(settings)
    assert message["Message-ID"] == mail.message_id
    assert message["To"] == "person0@example.org"
    assert message["Content-Language"] == "es"
    assert message.get_content_type() == "multipart/mixed"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    plain = text.get_content()
    # The session is at 10:00 UTC: 07:00 in São Paulo (the attendee), 10:00 in London (the conference).
    assert "7:00" in plain
    assert "(10:00)" in plain
    assert "/me/" in plain
    assert "/climate-2027/register/cancel/" in plain
    assert "domingo, 14 de noviembre de 2027" in plain
    assert "<a href=" in html.get_content()
    [attachment] = list(message.iter_attachments())
    assert isinstance(attachment, EmailMessage)
    assert (attachment.get_content_type(), attachment.get_filename()) == ("text/calendar", "programme.ics")
    assert attachment.get_content_charset() == "utf-8"
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    events = list(calendar.walk("VEVENT"))
    assert [str(event["SUMMARY"]) for event in events] == ["The Limits of COP26 and Capitalist Solutions"]


async def test_without_smtp_mail_goes_to_the_local_mailbox(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await queue_mails(client, organiser, 2)
    worker = MailWorker(settings)  # no smtp_url: the embedded default
    try:
        assert await worker.run_once() == 2
    finally:
        await worker.close()

    contents = mailbox_contents(settings.mailbox_dir)
    assert len(contents) == 2
    assert all(b"Confirm" in content for content in contents)


def mailbox_contents(folder: Path) -> list[bytes]:
    return [path.read_bytes() for path in sorted(folder.glob("*.eml"))]


def test_backoff_doubles_up_to_its_maximum() -> None:
    delays = [backoff(attempt, 10, 3600).total_seconds() for attempt in range(1, 11)]

    assert delays == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]


async def test_undeliverable_mail_is_retried_for_days_then_marked_failed(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await queue_mails(client, organiser, 2)
    mails = await outbox(settings)
    async with database(settings) as session:
        # One was queued two days ago, one eight days ago (the give-up time is seven days).
        for mail, age in zip(mails, (timedelta(days=2), timedelta(days=8)), strict=True):
            await session.execute(update(OutboxMail).where(OutboxMail.id == mail.id).values(created_at=utcnow() - age))
    # A retry base long enough that a busy machine cannot pass it before the check below.
    worker = MailWorker(
        smtp_settings(
            settings,
            f"smtp://127.0.0.1:{free_port()}?starttls=off",
            mail_retry_base_seconds=30,
            mail_retry_max_seconds=60,
        )
    )
    try:
        assert await worker.run_once() == 2
    finally:
        await worker.close()

    recent, old = await outbox(settings)
    assert (recent.status, old.status) == (MailStatus.PENDING, MailStatus.FAILED)
    assert recent.next_attempt_at > utcnow()
