"""The worker: queues due reminders, sends due outbox e-mails and delivers due webhooks, with
exponential back-off and a lease per claim.

Every domain's e-mails are worded by its ``notices`` module, imported here once so that each
registers its renderers with mail (``NOTICES``). Run as ``confman worker`` (any number of them,
on any number of machines), or embedded in each app process (the default). Every e-mail is
settled in its own short transaction as soon as the server has it, so a crash repeats at most
the one e-mail in flight, and that one keeps its Message-ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
import zlib
from collections.abc import Sequence
from email.message import EmailMessage
from types import ModuleType
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from confman.accounts import notices as account_notices
from confman.attendees import notices as attendee_notices
from confman.attendees.reminders import queue_due_reminders
from confman.changes import notices as change_notices
from confman.db.engine import create_engine, read_only_transactions
from confman.db.models import MailStatus, OutboxMail
from confman.db.session_store import DatabaseStore
from confman.lib.timezones import utcnow
from confman.mail import outbox
from confman.mail.messages import RenderRequest, build_message, render
from confman.mail.transport import DeliveryError, Transport, transport_for
from confman.outreach import notices as outreach_notices
from confman.registration import notices as registration_notices
from confman.settings import Settings
from confman.webhooks import notices as webhook_notices
from confman.webhooks.delivery import WebhookDeliverer

log = logging.getLogger("confman.mail")
# The modules that word the e-mails: importing them registers their renderers.
NOTICES: tuple[ModuleType, ...] = (
    registration_notices,
    attendee_notices,
    account_notices,
    outreach_notices,
    webhook_notices,
    change_notices,
)


class _Lease:
    """How long this worker may still count its claims as its own, by its own clock.

    Each start and renewal is timed from *before* the database statement, so the rows'
    ``lease_until`` (written later) never ends before what this clock believes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._loop = asyncio.get_running_loop()
        self._until = self._loop.time() + seconds

    def start_renewal(self) -> float:
        return self._loop.time()

    def renewed(self, started: float) -> None:
        self._until = max(self._until, started + self.seconds)

    def held(self) -> bool:
        """Still held with a third of the lease to spare: room for the send about to start."""
        return self._until - self._loop.time() > self.seconds / 3


class MailWorker:
    def __init__(self, settings: Settings, engine: AsyncEngine | None = None, batch_size: int | None = None) -> None:
        self.settings = settings
        self._own_engine = engine is None
        self.engine = engine or create_engine(settings)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Sending is mostly waiting (the mail server's reply, the commit that marks it sent):
        # several connections at once keep the worker busy (one sent ~75 e-mails/s, issue 17).
        self.connections = 1 if settings.is_sqlite else settings.mail_connections
        self.batch_size = batch_size or 20 * self.connections
        self.worker_id = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.webhooks = WebhookDeliverer(settings, self.sessions, self.worker_id)

    async def close(self) -> None:
        if self._own_engine:
            await self.engine.dispose()

    async def _anything_due(self) -> bool:
        now = utcnow()
        with read_only_transactions():
            async with self.sessions() as db:
                found = await db.scalar(
                    select(
                        exists().where(
                            OutboxMail.status == MailStatus.PENDING,
                            OutboxMail.next_attempt_at <= now,
                            (OutboxMail.lease_until.is_(None)) | (OutboxMail.lease_until < now),
                        )
                    )
                )
                await db.rollback()
        return bool(found)

    async def queue_reminders(self) -> int:
        """Queue the session reminders that are due (any number of workers: each once)."""
        async with self.sessions() as db:
            queued = await queue_due_reminders(db, self.settings, utcnow())
            await db.commit()
        return queued

    async def forget_expired_sign_ins(self) -> int:
        """Delete the organisers' sessions that have expired (they already sign no one in)."""
        return await DatabaseStore(self.engine).delete_expired()

    async def run_once(self) -> int:
        """Send one batch of due e-mails; how many were claimed (0: nothing was due)."""
        if not await self._anything_due():
            return 0
        lease = _Lease(self.settings.mail_lease_seconds)
        async with self.sessions() as db:
            claimed = await outbox.claim(
                db, self.worker_id, limit=self.batch_size, lease_seconds=self.settings.mail_lease_seconds
            )
            await db.commit()
        if not claimed:
            return 0
        heartbeat = asyncio.create_task(self._keep_leases([mail.id for mail in claimed], lease))
        try:
            await self._deliver(claimed, lease)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        return len(claimed)

    async def _keep_leases(self, ids: list[int], lease: _Lease) -> None:
        """While this worker lives and sends the batch, its claims are renewed every third of the
        lease: the lease can be short (a crashed process's e-mails are due again in seconds),
        and a slow mail server never hands a live worker's e-mails to another."""
        while True:
            await asyncio.sleep(lease.seconds / 3)
            try:
                renewing = lease.start_renewal()
                async with self.sessions() as db:
                    await outbox.extend_lease(db, ids, self.worker_id, lease_seconds=lease.seconds)
                    await db.commit()
                lease.renewed(renewing)
            except Exception:  # the next beat tries again; the lease still runs meanwhile
                log.exception("extending the e-mails' lease failed")

    async def _deliver(self, claimed: Sequence[OutboxMail], lease: _Lease) -> None:
        messages = await self._build(claimed)
        # A recipient's e-mails share one connection, so they arrive in the order queued.
        lanes: dict[int, list[OutboxMail]] = {}
        for mail in claimed:
            lane = zlib.crc32(mail.recipient.lower().encode()) % self.connections
            lanes.setdefault(lane, []).append(mail)
        # Every lane ends before the batch does (the heartbeat stops with it); a lane's
        # unexpected error is raised once all have ended.
        outcomes = await asyncio.gather(
            *(self._deliver_lane(lane, messages, lease) for lane in lanes.values()), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    async def _deliver_lane(
        self, claimed: Sequence[OutboxMail], messages: dict[int, EmailMessage], lease: _Lease
    ) -> None:
        sent: set[int] = set()
        try:
            async with transport_for(self.settings) as transport:
                for mail in claimed:
                    if not lease.held():
                        # The heartbeat could not renew the claims in time (a database busy or
                        # out of reach): another worker may take these e-mails once the lease
                        # runs out, so this one leaves them to it rather than risk sending
                        # them twice. Nothing to write: they are due again when the lease ends.
                        log.warning("lease on e-mails not renewed in time; leaving the rest of the batch")
                        return
                    message = messages.get(mail.id)
                    if message is not None and await self._send(transport, mail, message):
                        sent.add(mail.id)
        except DeliveryError as error:
            # Could not connect: every e-mail of the batch tries again later.
            log.warning("mail server unavailable: %s", error)
            for mail in claimed:
                if mail.id in messages and mail.id not in sent:
                    await self._settle_failure(mail, str(error), permanent=False)

    async def _send(self, transport: Transport, mail: OutboxMail, message: EmailMessage) -> bool:
        try:
            await transport.send(message)
        except DeliveryError as error:
            log.warning("e-mail %s not delivered: %s", mail.message_id, error)
            await self._settle_failure(mail, str(error), permanent=error.permanent)
            return False
        async with self.sessions() as db:
            await outbox.mark_sent(db, mail, self.worker_id)
            await db.commit()
        return True

    async def _build(self, claimed: Sequence[OutboxMail]) -> dict[int, EmailMessage]:
        built: dict[int, EmailMessage] = {}
        with read_only_transactions():
            async with self.sessions() as db:
                memo: dict[Any, Any] = {}  # shared by the batch: each conference's programme is read once
                for mail in claimed:
                    try:
                        content = await render(RenderRequest(db, mail, self.settings.base_url, memo))
                        built[mail.id] = build_message(mail, content, sender=self.settings.mail_from)
                    except Exception as error:  # a rendering bug must not stop the other e-mails
                        log.exception("e-mail %s could not be built", mail.message_id)
                        await self._settle_failure(mail, f"build: {error!r}", permanent=False)
                await db.rollback()
        return built

    async def _settle_failure(self, mail: OutboxMail, error: str, *, permanent: bool) -> None:
        async with self.sessions() as db:
            await outbox.mark_failed_attempt(
                db,
                mail,
                self.worker_id,
                error,
                permanent=permanent,
                retry_base=self.settings.mail_retry_base_seconds,
                retry_max=self.settings.mail_retry_max_seconds,
                give_up_seconds=self.settings.mail_give_up_seconds,
            )
            await db.commit()

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set: e-mails (and the reminders, queued now and then) in one loop,
        webhook deliveries in another beside it, so that an endpoint slow to answer (a round
        may wait 15 s for one) never holds back an e-mail."""
        await asyncio.gather(self._send_mail(stop), self._deliver_webhooks(stop))

    async def _send_mail(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        next_reminders = loop.time()
        while not stop.is_set():
            if loop.time() >= next_reminders:
                next_reminders = loop.time() + self.settings.reminder_poll_seconds
                try:
                    await self.queue_reminders()
                    await self.forget_expired_sign_ins()
                except Exception:
                    log.exception("queueing reminders or forgetting expired sign-ins failed")
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("mail worker round failed")
                handled = 0
            if not handled:
                await self._pause(stop)

    async def _deliver_webhooks(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                handled = await self.webhooks.run_once()
            except Exception:
                log.exception("webhook delivery round failed")
                handled = 0
            if not handled:
                await self._pause(stop)

    async def _pause(self, stop: asyncio.Event) -> None:
        """Wait for the poll interval, or less if the worker is told to stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=self.settings.mail_poll_seconds)


class EmbeddedWorker:
    """A mail worker inside the app process, started and stopped with the app."""

    def __init__(self, settings: Settings, engine: AsyncEngine) -> None:
        self.worker = MailWorker(settings, engine)
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self.worker.run(self.stop), name="confman-mail-worker")

    async def shutdown(self) -> None:
        self.stop.set()
        if self.task is not None:
            await self.task
            self.task = None
