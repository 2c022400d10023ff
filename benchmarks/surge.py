"""Registration opens and everyone comes at once: exact capacity, latency, errors, outbox drain.

    python -m benchmarks.surge --seats 500 --attempts 5000 --workers 2 --mail-workers 1

The issue's surge is 5,000 seats and 50,000 attempts within a minute (833 a second). Two
shared cores take about half that rate, so the default keeps the ratio (ten attempts a seat)
at a tenth of the size: 500 seats, 5,000 attempts, sent by 64 clients as fast as the server
answers (a demand above capacity, as in a real surge; the time they take is reported). wrk stops once
the database holds that many registrations; the few requests in flight then still count.

On a fresh PostgreSQL database (``$CONFMAN_BENCH_POSTGRES_URL``, default the local server;
created and dropped) the production app runs under ``--server`` with ``--workers``, no embedded
mail worker, and ``--mail-workers`` real ``confman worker`` processes send through SMTP to an
aiosmtpd sink in this process. Each attempt is a JSON submit from its own client address
(``registration_load.LUA``). Reported: attempts answered, p50/p99, error answers, how many
confirmed (must be exactly the seats) and waitlisted (positions contiguous), the e-mails the
sink received, and how long after the first attempt (and after the last answer) the outbox
had nothing left to send. Needs wrk.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from benchmarks.http_load import free_port, server_command, wait_ready
from benchmarks.registration_load import LUA, SLUG, _admin, _parse, outcome, prepare
from confman.cli import unit_of_work
from confman.db.models import MailStatus, OutboxMail, Registration
from confman.settings import Settings


class Sink:
    """An SMTP server that accepts and counts every message."""

    def __init__(self) -> None:
        self.received = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received += 1
        return "250 OK"


async def registrations(settings: Settings) -> int:
    async with unit_of_work(settings) as db:
        return int(await db.scalar(select(func.count()).select_from(Registration)) or 0)


async def pending_mail(settings: Settings) -> int:
    async with unit_of_work(settings) as db:
        return int(
            await db.scalar(select(func.count()).select_from(OutboxMail).where(OutboxMail.status == MailStatus.PENDING))
            or 0
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seats", type=int, default=500)
    parser.add_argument("--attempts", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--mail-workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--server", choices=("granian", "uvicorn"), default="uvicorn")
    parser.add_argument("--drain-timeout", type=float, default=600)
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="confman-surge-"))
    admin_url = os.environ.get("CONFMAN_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    name = f"confman_surge_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    database_url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    settings = Settings(database_url=database_url)
    script = workdir / "surge.lua"
    script.write_text(LUA)
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    port = free_port()
    env = {
        **os.environ,
        "CONFMAN_DATABASE_URL": database_url,
        "CONFMAN_BASE_URL": f"http://127.0.0.1:{port}",
        "CONFMAN_MAIL_WORKER_EMBEDDED": "false",
        "CONFMAN_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        asyncio.run(prepare(settings, arguments.seats))
        processes.append(subprocess.Popen(server_command(arguments.server, port, arguments.workers), env=env))  # noqa: S603
        base = f"http://127.0.0.1:{port}"
        wait_ready(base + "/_bench/bare")
        for _ in range(arguments.mail_workers):
            processes.append(subprocess.Popen([sys.executable, "-m", "confman", "worker"], env=env))
        print(
            f"surge: {arguments.attempts} attempts for {arguments.seats} seats, {arguments.connections} clients, "
            f"{arguments.server} workers: {arguments.workers}, mail workers: {arguments.mail_workers}"
        )
        started = time.monotonic()
        # wrk runs until the database holds the attempts, then SIGINT makes it stop and report.
        wrk = subprocess.Popen(  # noqa: S603
            ["wrk", "-t1", f"-c{arguments.connections}", "-d600s", "--latency", "--timeout", "30s",  # noqa: S607
             "-s", str(script), f"{base}/api/v1/conferences/{SLUG}/registrations"],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        while wrk.poll() is None and asyncio.run(registrations(settings)) < arguments.attempts:
            time.sleep(0.2)
        answered_at = time.monotonic()
        wrk.send_signal(signal.SIGINT)
        output = wrk.communicate(timeout=60)[0]
        rps, p50, p99, errors, timeouts, requests = _parse(output)
        left = asyncio.run(pending_mail(settings))
        while left and time.monotonic() - answered_at < arguments.drain_timeout:
            time.sleep(0.5)
            left = asyncio.run(pending_mail(settings))
        drained_at = time.monotonic()
        counts, contiguous = asyncio.run(outcome(settings))
        total = sum(counts.values())
        confirmed = counts.get("confirmed", 0)
        print("| attempts answered | seconds | req/s | p50 ms | p99 ms | errors | timeouts |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        seconds = answered_at - started
        print(f"| {requests} | {seconds:.1f} | {rps:.0f} | {p50:.1f} | {p99:.1f} | {errors} | {timeouts} |")
        print(f"registrations in the database: {total} {counts}; waiting-list positions contiguous: {contiguous}")
        exact = confirmed == min(arguments.seats, total)
        print(f"exact capacity: {exact} ({confirmed} confirmed, {arguments.seats} seats)")
        print(
            f"outbox: {'drained' if not left else f'{left} still pending'} {drained_at - started:.1f} s after the "
            f"first attempt, {drained_at - answered_at:.1f} s after the last answer; the sink received {sink.received}"
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        smtp.stop()
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
