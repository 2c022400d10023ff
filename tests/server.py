"""The app as a real server process (uvicorn, several workers), for tests that need real concurrency."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import httpx

from tests.mailserver import free_port

CHECKOUT = Path(__file__).resolve().parents[1]

# The app as production serves it.
APP = "confman.app:create_app_from_environment"


class Server(NamedTuple):
    """One server to start: its database, worker processes, extra environment, and the app
    factory uvicorn calls (``module:function``)."""

    database_url: str
    workers: int = 2
    environment: dict[str, str] | None = None
    factory: str = APP


@contextmanager
def serve(database_url: str, *, workers: int = 2, **environment: str) -> Iterator[str]:
    """Serve confman on a free port; yields its base URL and stops it afterwards."""
    with serve_many(Server(database_url, workers, environment)) as [base_url]:
        yield base_url


@contextmanager
def serve_many(*servers: Server) -> Iterator[list[str]]:
    """Several servers started side by side (their start-up, mostly imports, overlaps)."""
    started: list[tuple[subprocess.Popen[bytes], str]] = []
    try:
        for server in servers:
            started.append(_start(server))
        for process, base_url in started:
            _wait_ready(process, base_url)
        yield [base_url for _, base_url in started]
    finally:
        for process, _ in started:
            _stop(process)


def _start(server: Server) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "CONFMAN_DATABASE_URL": server.database_url,
        "CONFMAN_BASE_URL": base_url,
        "CONFMAN_MAIL_WORKER_EMBEDDED": "false",
        "CONFMAN_REGISTRATION_SUBMITS_PER_MINUTE": "1000000",
        # The suite's servers share one PostgreSQL (max_connections 100) with each other and the
        # many-servers test's four: 8 per worker is plenty for their loads.
        "CONFMAN_DATABASE_POOL_SIZE": "8",
        **(server.environment or {}),
    }
    # --app-dir: the checkout, so that a factory in tests/ imports as in the test run.
    command = [
        sys.executable, "-m", "uvicorn", "--factory", server.factory, "--app-dir", str(CHECKOUT),
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(server.workers), "--log-level", "warning",
        # As `confman run` does: a worker on a busy test machine may take longer than 5 s to start.
        "--timeout-worker-healthcheck", "60",
    ]  # fmt: skip
    return subprocess.Popen(command, env=env), base_url  # noqa: S603


def _wait_ready(process: subprocess.Popen[bytes], base_url: str) -> None:
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/api/v1/conferences", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
