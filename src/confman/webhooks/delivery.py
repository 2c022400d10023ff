"""Delivering webhooks: claim, sign, post to the checked address, settle.

Deliveries are claimed like the outbox e-mails (a short transaction, ``FOR UPDATE SKIP LOCKED``
on PostgreSQL, SQLite's ``BEGIN IMMEDIATE`` otherwise; a lease) and settled one by one. A
delivery is claimable only while no older delivery of its endpoint and ``order_key`` is pending,
so events of one registration reach an endpoint in the order they happened, however many
workers run: a worker that claimed the head holds it pending until it settles. Each attempt
resolves the host once (within 5 s), refuses non-public addresses, connects to the address it
checked (with the name as ``Host`` and TLS SNI), follows no redirect, stops after 5 s to connect
and 10 s for the whole request, and reads at most 64 KiB of the answer. A batch's attempts run
side by side, so a batch ends well within its lease (60 s); a settle counts only while the claim
is still the worker's. 2xx is success; anything else is retried with exponential back-off until
the give-up time. An endpoint failing long and often is disabled and its owners are e-mailed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from confman.db.engine import read_only_transactions
from confman.db.models import Conference, DeliveryStatus, OutboxEvent, WebhookDelivery, WebhookEndpoint
from confman.lib.timezones import utcnow
from confman.mail.outbox import backoff
from confman.settings import Settings
from confman.webhooks.addresses import AddressRefused, Resolver, checked_address, system_resolver
from confman.webhooks.notices import tell_owners
from confman.webhooks.secrets import SealBroken, signature, unseal

log = logging.getLogger("confman.webhooks")
CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 10.0
EXCERPT_BYTES = 64 * 1024
USER_AGENT = "confman-webhooks/1"
PENDING = DeliveryStatus.PENDING.value


@dataclass(frozen=True)
class Job:
    """A claimed delivery with what its attempt needs."""

    id: int
    webhook_id: str
    endpoint_id: int
    conference_id: int
    url: str
    secret_sealed: str
    body: bytes
    due_since: datetime
    attempts: int


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str | None = None
    excerpt: str | None = None


def body_of(event: OutboxEvent, slug: str) -> bytes:
    """The JSON body: the same bytes on every attempt of the same delivery."""
    created = event.created_at.isoformat().replace("+00:00", "Z")
    document = {"type": event.name, "timestamp": created, "data": {**event.payload, "conference": slug}}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def _due(now: datetime) -> Any:
    earlier = aliased(WebhookDelivery)
    return (
        WebhookDelivery.status == PENDING,
        WebhookDelivery.next_attempt_at <= now,
        or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
        WebhookEndpoint.enabled.is_(True),
        ~exists().where(
            earlier.endpoint_id == WebhookDelivery.endpoint_id,
            earlier.order_key == WebhookDelivery.order_key,
            earlier.status == PENDING,
            earlier.id < WebhookDelivery.id,
        ),
    )


async def anything_due(db: AsyncSession) -> bool:
    now = utcnow()
    found = await db.scalar(select(exists().where(WebhookEndpoint.id == WebhookDelivery.endpoint_id, *_due(now))))
    return bool(found)


async def claim(db: AsyncSession, worker_id: str, *, limit: int, lease_seconds: float) -> list[Job]:
    """Take up to ``limit`` due deliveries (each the oldest pending of its endpoint and order key)."""
    now = utcnow()
    due = (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(*_due(now))
        .order_by(WebhookDelivery.id)
        .limit(limit)
    )
    if db.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True, of=WebhookDelivery)
    ids = list((await db.scalars(due)).all())
    if not ids:
        return []
    await db.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids))
        .values(lease_until=now + timedelta(seconds=lease_seconds), claimed_by=worker_id,
                attempts=WebhookDelivery.attempts + 1)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    rows = await db.execute(
        select(WebhookDelivery, WebhookEndpoint, OutboxEvent, Conference.slug)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
        .join(Conference, Conference.id == WebhookEndpoint.conference_id)
        .where(WebhookDelivery.id.in_(ids))
        .order_by(WebhookDelivery.id)
        .execution_options(populate_existing=True)
    )
    return [
        Job(
            id=delivery.id,
            webhook_id=delivery.webhook_id,
            endpoint_id=endpoint.id,
            conference_id=endpoint.conference_id,
            url=endpoint.url,
            secret_sealed=endpoint.secret_sealed,
            body=body_of(event, slug),
            due_since=delivery.due_since,
            attempts=delivery.attempts,
        )
        for delivery, endpoint, event, slug in rows.tuples()
    ]


async def _read_excerpt(response: httpx.Response) -> str:
    """At most EXCERPT_BYTES of the answer's body, as text; the rest is never read."""
    kept = bytearray()
    async for chunk in response.aiter_raw():
        kept.extend(chunk[: EXCERPT_BYTES - len(kept)])
        if len(kept) >= EXCERPT_BYTES:
            break
    return bytes(kept).decode("utf-8", errors="replace")


async def attempt(
    job: Job, client: httpx.AsyncClient, resolver: Resolver, *, secret_key: str, allow_private: bool
) -> Outcome:
    """One POST of ``job``, signed now, to the address its host resolves to (checked)."""
    try:
        secret = unseal(job.secret_sealed, secret_key)
    except SealBroken:
        return Outcome(ok=False, error="the endpoint's secret cannot be read (secret_key changed?): rotate it")
    url = httpx.URL(job.url)
    host = url.host
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT):
            address = await checked_address(host, port, resolver, allow_private=allow_private)
    except AddressRefused as refused:
        return Outcome(ok=False, error=f"refused: {refused}")
    except (OSError, TimeoutError) as error:
        return Outcome(ok=False, error=f"could not resolve {host}: {error!r}")
    timestamp = int(utcnow().timestamp())
    headers = {
        "host": url.netloc.decode("ascii"),
        "content-type": "application/json",
        "accept-encoding": "identity",
        "user-agent": USER_AGENT,
        "webhook-id": job.webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, job.webhook_id, timestamp, job.body),
    }
    extensions = {"sni_hostname": host} if url.scheme == "https" else {}
    request = client.build_request(
        "POST", url.copy_with(host=address), content=job.body, headers=headers, extensions=extensions
    )
    try:
        async with asyncio.timeout(TOTAL_TIMEOUT):
            response = await client.send(request, stream=True, follow_redirects=False)
            try:
                excerpt = await _read_excerpt(response)
            finally:
                await response.aclose()
    except TimeoutError:
        return Outcome(ok=False, error=f"no answer within {TOTAL_TIMEOUT:g} s")
    except httpx.HTTPError as error:
        return Outcome(ok=False, error=f"{type(error).__name__}: {error}"[:2000])
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(ok=True, status_code=code, excerpt=excerpt)
    if 300 <= code < 400:
        location = response.headers.get("location", "")[:500]
        return Outcome(ok=False, status_code=code, excerpt=excerpt, error=f"redirect to {location!r} not followed")
    return Outcome(ok=False, status_code=code, excerpt=excerpt, error=f"HTTP {code}")


async def settle(db: AsyncSession, job: Job, outcome: Outcome, worker_id: str, settings: Settings) -> bool:
    """Write the attempt's result (if the claim is still this worker's); True when this disabled
    the endpoint (its owners' e-mails are queued in the same transaction)."""
    now = utcnow()
    values: dict[str, Any] = {
        "last_attempt_at": now,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
        "response_excerpt": outcome.excerpt,
        "lease_until": None,
        "claimed_by": None,
    }
    if outcome.ok:
        values.update(status=DeliveryStatus.DELIVERED.value, delivered_at=now)
    elif now - job.due_since >= timedelta(seconds=settings.webhooks_give_up_seconds):
        values.update(status=DeliveryStatus.FAILED.value)
    else:
        retry = backoff(job.attempts, settings.webhooks_retry_base_seconds, settings.webhooks_retry_max_seconds)
        values.update(next_attempt_at=now + retry)
    settled = await db.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == job.id, WebhookDelivery.claimed_by == worker_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not getattr(settled, "rowcount", 0):
        return False  # the lease ran out and another worker has it: its attempt counts
    endpoint = update(WebhookEndpoint).where(WebhookEndpoint.id == job.endpoint_id)
    if outcome.ok:
        await db.execute(endpoint.values(consecutive_failures=0, failing_since=None, last_success_at=now))
        return False
    await db.execute(
        endpoint.values(
            consecutive_failures=WebhookEndpoint.consecutive_failures + 1,
            failing_since=func.coalesce(WebhookEndpoint.failing_since, now),
        )
    )
    disabled = await db.execute(
        update(WebhookEndpoint)
        .where(
            WebhookEndpoint.id == job.endpoint_id,
            WebhookEndpoint.enabled.is_(True),
            WebhookEndpoint.consecutive_failures >= settings.webhooks_disable_after_failures,
            WebhookEndpoint.failing_since <= now - timedelta(seconds=settings.webhooks_disable_after_seconds),
        )
        .values(enabled=False, disabled_reason="failing", disabled_at=now)
    )
    if not getattr(disabled, "rowcount", 0):
        return False
    failures = await db.scalar(
        select(WebhookEndpoint.consecutive_failures).where(WebhookEndpoint.id == job.endpoint_id)
    )
    log.warning("webhook endpoint %s disabled after %s failures", job.endpoint_id, failures)
    await tell_owners(db, conference_id=job.conference_id, url=job.url, failures=failures or 0,
                      base_url=settings.base_url)  # fmt: skip
    return True


class WebhookDeliverer:
    """One worker's share of the deliveries: a batch per round, its attempts side by side (each
    is the head of its own order key, so none waits for another)."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        worker_id: str,
        *,
        resolver: Resolver = system_resolver,
        batch_size: int = 20,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.worker_id = worker_id
        self.resolver = resolver
        self.batch_size = batch_size

    async def run_once(self) -> int:
        """Attempt one batch of due deliveries; how many were claimed (0: nothing was due)."""
        with read_only_transactions():
            async with self.sessions() as db:
                due = await anything_due(db)
                await db.rollback()
        if not due:
            return 0
        async with self.sessions() as db:
            jobs = await claim(db, self.worker_id, limit=self.batch_size,
                               lease_seconds=self.settings.webhooks_lease_seconds)  # fmt: skip
            await db.commit()
        if not jobs:
            return 0
        timeout = httpx.Timeout(TOTAL_TIMEOUT, connect=CONNECT_TIMEOUT)
        # trust_env=False: no proxy from the environment may carry a request past the address check.
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            await asyncio.gather(*(self._one(job, client) for job in jobs))
        return len(jobs)

    async def _one(self, job: Job, client: httpx.AsyncClient) -> None:
        outcome = await attempt(
            job,
            client,
            self.resolver,
            secret_key=self.settings.secret_key,
            allow_private=self.settings.webhooks_allow_private,
        )
        if not outcome.ok:
            # The URL's query may hold a token of the receiver's: only the endpoint's id is logged.
            log.info("webhook %s to endpoint %s failed: %s", job.webhook_id, job.endpoint_id, outcome.error)
        async with self.sessions() as db:
            await settle(db, job, outcome, self.worker_id, self.settings)
            await db.commit()
