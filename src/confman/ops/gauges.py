"""The database's figures for Prometheus, read at scrape time: the outbox's backlog and the age
of its oldest pending e-mail, registrations by status.

A collector in the metrics server's process (``confman run``), not in the workers: one query
set per scrape whatever the number of workers, remembered for ``CACHE_SECONDS`` so that several
scrapers in a row cost one.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from confman.db.engine import create_engine, read_only_transactions
from confman.db.models import MailStatus, OutboxMail, Registration, RegistrationStatus
from confman.lib.timezones import utcnow
from confman.settings import Settings

CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class Figures:
    outbox_pending: int = 0
    outbox_failed: int = 0
    oldest_pending_seconds: float = 0.0
    registrations: dict[str, int] = field(default_factory=dict)
    up: bool = False


async def read_figures(settings: Settings) -> Figures:
    engine = create_engine(settings.model_copy(update={"database_pool_size": 1}))
    try:
        with read_only_transactions():
            async with engine.connect() as connection:
                by_mail_status = select(OutboxMail.status, func.count()).group_by(OutboxMail.status)
                mail = {row[0]: int(row[1]) for row in await connection.execute(by_mail_status)}
                oldest = await connection.scalar(
                    select(func.min(OutboxMail.created_at)).where(OutboxMail.status == MailStatus.PENDING)
                )
                by_registration_status = select(Registration.status, func.count()).group_by(Registration.status)
                by_status = {row[0]: int(row[1]) for row in await connection.execute(by_registration_status)}
                await connection.rollback()
    finally:
        await engine.dispose()
    age = max(0.0, (utcnow() - oldest).total_seconds()) if oldest is not None else 0.0
    return Figures(
        outbox_pending=mail.get(MailStatus.PENDING, 0),
        outbox_failed=mail.get(MailStatus.FAILED, 0),
        oldest_pending_seconds=age,
        registrations={status.value: by_status.get(status, 0) for status in RegistrationStatus},
        up=True,
    )


class DatabaseCollector(Collector):
    def __init__(self, settings: Settings, cache_seconds: float = CACHE_SECONDS) -> None:
        self.settings = settings
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._read_at = -cache_seconds
        self._figures = Figures()

    def figures(self) -> Figures:
        with self._lock:
            if time.monotonic() - self._read_at >= self.cache_seconds:
                try:
                    self._figures = asyncio.run(read_figures(self.settings))
                except Exception:  # a scrape reports the database down, never fails
                    self._figures = Figures(up=False)
                self._read_at = time.monotonic()
            return self._figures

    def collect(self) -> Iterable[GaugeMetricFamily]:
        figures = self.figures()
        yield GaugeMetricFamily("confman_database_up", "1 when the last read of these figures worked", figures.up)
        yield GaugeMetricFamily("confman_outbox_pending", "E-mails in the outbox not yet sent", figures.outbox_pending)
        yield GaugeMetricFamily("confman_outbox_failed", "E-mails given up on", figures.outbox_failed)
        yield GaugeMetricFamily(
            "confman_outbox_oldest_pending_age_seconds",
            "How long the oldest pending e-mail has waited (0: none waits)",
            figures.oldest_pending_seconds,
        )
        registrations = GaugeMetricFamily("confman_registrations", "Registrations by status", labels=["status"])
        for status, count in sorted(figures.registrations.items()):
            registrations.add_metric([status], count)
        yield registrations
