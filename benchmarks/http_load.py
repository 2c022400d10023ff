"""Serve confman as in production (granian or uvicorn, several workers) and load it with wrk.

    python -m benchmarks.http_load --workers 2 --seconds 10 --connections 64 \
        /_bench/bare /bench-2027/programme.ics /bench-2027/schedule.json

The database comes from $CONFMAN_DATABASE_URL (default: a fresh SQLite file); the
large benchmark conference is generated into it when missing. Prints req/s and
p50/p99 latency per path, and each path's req/s as a share of the bare endpoint's
(measured first and last; the better of the two counts).
Needs wrk (Debian package `wrk`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

from benchmarks.large_conference import create_large_conference
from confman.cli import unit_of_work
from confman.db import migrate
from confman.settings import Settings


async def prepare(settings: Settings) -> None:
    await migrate.upgrade(settings)
    async with unit_of_work(settings) as db:
        from sqlalchemy import select

        from confman.db.models import Conference

        if await db.scalar(select(Conference.id).where(Conference.slug == "bench-2027")) is None:
            await create_large_conference(db)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server not ready at {url}")


def to_ms(value: str) -> float:
    number, unit = float(re.sub(r"[a-z]+$", "", value)), re.sub(r"^[0-9.]+", "", value)
    return number * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def viewer_misses_script(directory: Path) -> Path:
    """A wrk script that asks each request in another zone and language (``?tz=…&lang=…``), so
    no page comes from a cache: 4 languages × every zone, in turn (the page cache keeps far fewer)."""
    from confman.lib.timezones import known_zones

    zones = ", ".join(f'"{quote(zone, safe="/")}"' for zone in sorted(known_zones()))
    script = directory / "viewer_misses.lua"
    script.write_text(
        f"local zones = {{{zones}}}\n"
        'local languages = {"en", "ru", "es", "fr"}\n'
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  local zone = zones[n % #zones + 1]\n"
        "  local language = languages[math.floor(n / #zones) % #languages + 1]\n"
        '  return wrk.format(nil, wrk.path .. "?tz=" .. zone .. "&lang=" .. language)\n'
        "end\n"
    )
    return script


def run_wrk(
    url: str, seconds: int, connections: int, threads: int, headers: list[str], script: Path | None = None
) -> tuple[float, float, float, int]:
    header_args = [argument for header in headers for argument in ("-H", header)]
    script_args = ["-s", str(script)] if script else []
    output = subprocess.run(  # noqa: S603
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", *header_args, *script_args, url],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return rps, p50, p99, int(errors.group(1)) if errors else 0


def server_command(server: str, port: int, workers: int) -> list[str]:
    """The server as `confman run --server …` starts it, proxy headers included (no access log:
    wrk would measure the terminal)."""
    if server == "granian":
        return [
            sys.executable, "-m", "granian", "--interface", "asgi", "--factory",
            "benchmarks.bench_app:create_proxied_bench_app",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning",
        ]  # fmt: skip
    return [
        sys.executable, "-m", "uvicorn", "benchmarks.bench_app:create_bench_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--server", choices=("granian", "uvicorn"), default="uvicorn")
    parser.add_argument(
        "--gzip", action="store_true", help="send Accept-Encoding: gzip, as browsers and calendar apps do"
    )
    parser.add_argument(
        "--viewer-misses",
        action="store_true",
        help="pages only: each request in another zone and language, so every answer is a page-cache miss",
    )
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="confman-bench-"))
    database_url = os.environ.get("CONFMAN_DATABASE_URL", f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}")
    port = free_port()
    env = {**os.environ, "CONFMAN_DATABASE_URL": database_url, "CONFMAN_BASE_URL": f"http://127.0.0.1:{port}"}
    asyncio.run(prepare(Settings(database_url=database_url)))

    server = subprocess.Popen(server_command(arguments.server, port, arguments.workers), env=env)  # noqa: S603
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base + "/_bench/bare")
        print(
            f"database: {database_url.split('://')[0]}, {arguments.server} workers: {arguments.workers}, "
            f"wrk: {arguments.connections} connections, {arguments.seconds}s per path"
            + (", Accept-Encoding: gzip" if arguments.gzip else "")
            + (", each request in another zone and language" if arguments.viewer_misses else "")
        )
        # The bare endpoint runs first and last; shares are against the better of the two,
        # so a slow start (or a neighbour's load) cannot flatter the other paths.
        paths = ["/_bench/bare", *[p for p in arguments.paths if p != "/_bench/bare"], "/_bench/bare"]
        results: list[tuple[str, float, float, float, int]] = []
        for path in paths:
            headers = ["Accept-Encoding: gzip"] if arguments.gzip else []
            script = viewer_misses_script(workdir) if arguments.viewer_misses and path != "/_bench/bare" else None
            # Warm every worker for exactly what is measured, with a second of the same load
            # (not timed): a few requests one after another may all reach one worker, and the
            # other's first answers (imports, catalogues, the read model, the gzip copy) then
            # land in the timed run's p99 as 0.8-1.5 s.
            run_wrk(base + path, 1, arguments.connections, arguments.wrk_threads, headers, script)
            rps, p50, p99, errors = run_wrk(
                base + path, arguments.seconds, arguments.connections, arguments.wrk_threads, headers, script
            )
            results.append((path, rps, p50, p99, errors))
        bare_rps = max(rps for path, rps, *_ in results if path == "/_bench/bare")
        print("| path | req/s | p50 ms | p99 ms | non-2xx | share of bare |")
        print("|---|---:|---:|---:|---:|---:|")
        for path, rps, p50, p99, errors in results:
            print(f"| `{path}` | {rps:.0f} | {p50:.2f} | {p99:.2f} | {errors} | {100 * rps / bare_rps:.0f} % |")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
