"""Sustained registrations per second against a real server, next to a bare insert.

    python -m benchmarks.registration_load --database postgresql --workers 2 --seconds 30 --connections 64
    python -m benchmarks.registration_load --database sqlite --workers 1 --seconds 30 --connections 64

Serves the production app (uvicorn or granian, `--server`; ``benchmarks.bench_app``) on a fresh database, opens a
conference with ``--capacity`` seats, a waiting list and no double opt-in (so every submit
allocates under the per-conference lock and queues an e-mail), and loads with wrk:

1. ``POST /_bench/insert``: a bare Litestar endpoint inserting one row through SQLAlchemy in
   the same app, database and transaction set-up (the baseline);
2. ``POST /api/v1/conferences/bench-reg/registrations`` with a distinct e-mail each time,
   each from its own client address (``X-Forwarded-For``, which the server trusts from
   127.0.0.1 as behind a local reverse proxy), so the production rate limit (20 submits per
   client and minute) applies as it does to real attendees;
3. the bare insert again. Shares are against the better of the two bare runs, so a
   neighbour's load during one of them does not flatter the registration figure.

Then checks what a user relies on: exactly ``--capacity`` confirmed, everyone else on the
waiting list with positions 1..n, no error answers. Mail is not sent during the run (the
outbox fills; in production `confman worker` processes drain it elsewhere).
PostgreSQL comes from $CONFMAN_BENCH_POSTGRES_URL (default: the local server); a database is
created for the run and dropped after. Needs wrk (Debian package `wrk`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from datetime import date
from pathlib import Path

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from benchmarks.bench_app import BENCH_METADATA
from benchmarks.http_load import free_port, server_command, to_ms, wait_ready
from confman.cli import unit_of_work
from confman.conferences.schemas import ConferenceCreate
from confman.conferences.services import ConferenceService
from confman.db import migrate
from confman.db.engine import create_engine
from confman.db.models import ConferenceStatus, Registration, RegistrationStatus
from confman.registration.schemas import RegistrationSettingsWrite
from confman.registration.services import RegistrationSettingsService
from confman.settings import Settings

SLUG = "bench-reg"
# One client address per request. (One address for all, with the limit lifted, made the
# rate limiter keep and re-encode a history of every request of the last minute on each
# submit: ~35 % of the app's time at 20,000 entries, which no real client comes near.)
LUA = """
counter = 0
prefix = tostring(math.random(1, 1000000000))
math.randomseed(os.time() + math.random(1, 1000000))
request = function()
  counter = counter + 1
  local body = '{"name":"Bench Person","email":"p' .. prefix .. '-' .. counter .. '@example.org",'
    .. '"country":"GB","timezone":"Europe/London","language":"en","answers":{},"consent":true}'
  local client = "10." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." .. math.random(1, 254)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["X-Forwarded-For"] = client}, body)
end
"""


async def _admin(url: str, sql: str) -> None:
    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, password=parsed.password,
        database=parsed.database,
    )  # fmt: skip
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def sessions_opened(url: str, database: str) -> int:
    """Connections ever opened to ``database`` (PostgreSQL's own count): a pool that opens and
    closes connections under load shows here."""
    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, password=parsed.password,
        database=parsed.database,
    )  # fmt: skip
    try:
        return int(await connection.fetchval("SELECT sessions FROM pg_stat_database WHERE datname = $1", database))
    finally:
        await connection.close()


async def prepare(settings: Settings, capacity: int) -> None:
    await migrate.upgrade(settings)
    engine = create_engine(settings)
    async with engine.begin() as connection:
        await connection.run_sync(BENCH_METADATA.create_all)
    await engine.dispose()
    async with unit_of_work(settings) as db:
        conference = await ConferenceService(db).create(
            ConferenceCreate(
                slug=SLUG, title={"en": "Registration benchmark"}, timezone="Europe/London", default_language="en",
                status=ConferenceStatus.PUBLISHED, starts_on=date(2099, 1, 1), ends_on=date(2099, 1, 1),
            ),
            None,
        )  # fmt: skip
        await RegistrationSettingsService(db).replace(
            conference, RegistrationSettingsWrite(capacity=capacity, waitlist=True, double_opt_in=False), settings
        )


async def outcome(settings: Settings) -> tuple[dict[str, int], bool]:
    async with unit_of_work(settings) as db:
        rows = (await db.execute(select(Registration.status, func.count()).group_by(Registration.status))).all()
        seqs = list(
            await db.scalars(
                select(Registration.waitlist_seq)
                .where(Registration.status == RegistrationStatus.WAITLISTED)
                .order_by(Registration.waitlist_seq)
            )
        )
    counts = {status.value: count for status, count in rows}
    # Positions are ranks by waitlist_seq: contiguous 1..n exactly when the seqs are distinct and sorted.
    return counts, len(set(seqs)) == len(seqs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["postgresql", "sqlite"], required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--capacity", type=int, default=200)
    parser.add_argument("--server", choices=("granian", "uvicorn"), default="uvicorn")
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="confman-regbench-"))
    admin_url = os.environ.get("CONFMAN_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    if arguments.database == "postgresql":
        name = f"confman_bench_{uuid.uuid4().hex[:10]}"
        asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
        database_url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    else:
        database_url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    settings = Settings(database_url=database_url)
    lua = workdir / "post.lua"
    lua.write_text(LUA)
    port = free_port()
    env = {
        **os.environ,
        "CONFMAN_DATABASE_URL": database_url,
        "CONFMAN_BASE_URL": f"http://127.0.0.1:{port}",
        "CONFMAN_MAIL_WORKER_EMBEDDED": "false",
    }
    server = None
    try:
        asyncio.run(prepare(settings, arguments.capacity))
        server = subprocess.Popen(server_command(arguments.server, port, arguments.workers), env=env)  # noqa: S603
        base = f"http://127.0.0.1:{port}"
        wait_ready(base + "/_bench/bare")
        print(
            f"database: {arguments.database}, {arguments.server} workers: {arguments.workers}, "
            f"wrk: {arguments.connections} connections, {arguments.seconds} s per path, capacity {arguments.capacity}"
        )
        print(
            "| endpoint | req/s | p50 ms | p99 ms | non-2xx | client timeouts (> 30 s) | share of bare insert "
            "| app CPU ms/req | PostgreSQL CPU ms/req | connections opened |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        results = []
        for label, path in (
            ("bare insert `POST /_bench/insert` (first)", "/_bench/insert"),
            ("registration `POST …/registrations`", f"/api/v1/conferences/{SLUG}/registrations"),
            ("bare insert `POST /_bench/insert` (last)", "/_bench/insert"),
        ):
            app_before, database_before = cpu_seconds(server.pid), cpu_seconds_of("postgres")
            on_postgresql = arguments.database == "postgresql"
            opened_before = asyncio.run(sessions_opened(admin_url, name)) if on_postgresql else 0
            output = subprocess.run(  # noqa: S603
                ["wrk", "-t1", f"-c{arguments.connections}", f"-d{arguments.seconds}s", "--latency", "--timeout", "30s",  # noqa: S607
                 "-s", str(lua), base + path],
                check=True, capture_output=True, text=True,
            ).stdout  # fmt: skip
            cpu = (cpu_seconds(server.pid) - app_before, cpu_seconds_of("postgres") - database_before)
            opened = asyncio.run(sessions_opened(admin_url, name)) - opened_before if on_postgresql else 0
            results.append((label, output, cpu, opened))
        parsed = [(label, *_parse(output), cpu, opened) for label, output, cpu, opened in results]
        bare_rps = max(parsed[0][1], parsed[-1][1])
        for label, rps, p50, p99, errors, timeouts, requests, (app_cpu, database_cpu), opened in parsed:
            share = 100 * rps / bare_rps
            print(
                f"| {label} | {rps:.0f} | {p50:.1f} | {p99:.1f} | {errors} | {timeouts} | {share:.0f} % "
                f"| {1000 * app_cpu / requests:.2f} | {1000 * database_cpu / requests:.2f} | {opened} |"
            )
        counts, contiguous = asyncio.run(outcome(settings))
        print(f"registrations: {counts}; waiting-list positions contiguous: {contiguous}")
        confirmed = counts.get("confirmed", 0)
        expected = min(arguments.capacity, sum(counts.values()))
        print(f"exact capacity: {confirmed == expected} ({confirmed} confirmed, {arguments.capacity} seats)")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if arguments.database == "postgresql":
            asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children, living and reaped: the uvicorn
    supervisor and its workers. Steadier than req/s on a shared machine, which only stretches it."""
    total = 0.0
    for child in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        # utime, stime, cutime, cstime (fields 14-17 of proc(5), here from the state field on).
        total += sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


def cpu_seconds_of(command: str) -> float:
    """CPU time of every process named ``command``, with its reaped children's: PostgreSQL's
    backends, living or ended (the postmaster reaps them). Other databases' queries count too."""
    pids = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    total = 0.0
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == command:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _children(pid: int) -> list[int]:
    try:
        found = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []
    return [grandchild for child in found for grandchild in (child, *_children(child))]


def _parse(output: str) -> tuple[float, float, float, int, int, int]:
    """wrk's figures: req/s, p50, p99, error answers and socket errors, wrk's own timeouts, and
    the number of answers."""

    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    timeouts = 0
    if socket:
        connect, read, write, timeouts = (int(value) for value in socket.groups())
        errors += connect + read + write
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    return rps, p50, p99, errors, timeouts, requests


if __name__ == "__main__":
    main()
