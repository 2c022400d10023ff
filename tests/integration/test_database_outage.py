"""PostgreSQL restarted under the app: 503 with Retry-After while it is away, never a 500, and
nothing half-written. On a private cluster of its own (initdb/pg_ctl on a free port), never the
shared server the rest of the suite uses."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient

from confman.app import create_app
from confman.db import migrate
from confman.settings import Settings
from tests.factories import Organiser, conference_payload, post_ok, put_registration_settings, registration_payload
from tests.mailserver import free_port
from tests.server import serve

REQUIRED = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
REGISTER = "/api/v1/conferences/climate-2027/registrations"


@dataclass
class Cluster:
    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        # PostgreSQL refuses to run as root: its own user runs the private cluster.
        command = [
            "/usr/sbin/runuser",
            "-u",
            "postgres",
            "--",
            f"{BINARIES[-1]}/pg_ctl",
            "-D",
            str(self.folder / "data"),
            *args,
        ]
        subprocess.run(command, check=True, capture_output=True)  # noqa: S603

    def start(self) -> None:
        options = f"-p {self.port} -h 127.0.0.1 -k {self.folder} -F"
        self._ctl("-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if not BINARIES or not Path("/usr/sbin/runuser").exists() or os.geteuid() != 0:
        if REQUIRED:
            raise RuntimeError("the outage test needs PostgreSQL's initdb/pg_ctl and runuser (as root)")
        pytest.skip("needs PostgreSQL's initdb/pg_ctl and root to run them as postgres")
    folder = Path(tempfile.mkdtemp(prefix="confman-pg-"))
    folder.chmod(0o777)
    initdb = f"{BINARIES[-1]}/initdb"
    data = str(folder / "data")
    subprocess.run(  # noqa: S603
        ["/usr/sbin/runuser", "-u", "postgres", "--", initdb, "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"],
        check=True,
        capture_output=True,
    )
    server = Cluster(folder, free_port())
    server.start()
    try:
        asyncio.run(migrate.upgrade(Settings(database_url=server.url)))
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


async def test_a_restart_answers_503_with_retry_after_and_writes_nothing_half(cluster: Cluster) -> None:
    settings = Settings(
        database_url=cluster.url, base_url="http://testserver.local", secret_key="t" * 32,
        mail_worker_embedded=False, registration_submits_per_minute=100_000, programme_cache_seconds=0,
    )  # fmt: skip
    organiser = await Organiser.create(settings, "ada@example.org")
    async with AsyncTestClient(create_app(settings), base_url="http://testserver.local") as client:
        await post_ok(client, organiser, "/api/v1/conferences", conference_payload(status="published"))
        await put_registration_settings(client, organiser, "climate-2027", double_opt_in=False)

        # Down: every kind of answer says "come back", none is a 500.
        cluster.stop()
        down = [
            await client.get("/api/v1/conferences"),
            await client.get("/climate-2027/programme/?tz=Asia/Tokyo"),
            await client.post(REGISTER, json=registration_payload(email="during@example.org")),
            await client.get(f"{REGISTER}?limit=5", headers=organiser.headers),
        ]
        assert [(r.status_code, r.headers.get("retry-after")) for r in down] == [(503, "5")] * len(down)

        # Restarted in the middle of a stream of reads and registrations.
        async def load(index: int) -> int:
            await asyncio.sleep(index * 0.01)
            if index % 2:
                answer = await client.post(REGISTER, json=registration_payload(email=f"p{index}@example.org"))
            else:
                answer = await client.get("/api/v1/conferences/climate-2027/sessions")
            return answer.status_code

        restart = asyncio.get_running_loop().run_in_executor(None, cluster.start)
        statuses = await asyncio.gather(*(load(index) for index in range(40)))
        await restart
        assert set(statuses) <= {200, 201, 503}, statuses

        # Back: the registration made while it was down is not there, and can be made now.
        listed = await client.get(f"{REGISTER}?limit=1000", headers=organiser.headers)
        emails = {row["email"] for row in listed.json()}
        accepted = {f"p{index}@example.org" for index, status in enumerate(statuses) if index % 2 and status == 201}
        assert "during@example.org" not in emails
        assert accepted <= emails  # every 201 is in the database
        again = await client.post(REGISTER, json=registration_payload(email="during@example.org"))
        assert again.status_code == 201, again.text


async def test_every_connection_taken_or_none_free_in_time_answers_503(cluster: Cluster) -> None:
    """Too many processes for max_connections ("sorry, too many clients already", a CI run once
    met it) and a pool whose connections are all busy: both an overload, so 503 with
    Retry-After, not a 500."""
    import asyncpg

    settings = Settings(
        database_url=cluster.url, base_url="http://testserver.local", secret_key="t" * 32,
        mail_worker_embedded=False, programme_cache_seconds=0, database_pool_size=1, database_pool_timeout=0.5,
    )  # fmt: skip
    app = create_app(settings)
    async with AsyncTestClient(app, base_url="http://testserver.local") as client:
        # Every slot of the server taken by others, before this app's pool opened any.
        hoard: list[asyncpg.Connection] = []
        try:
            while True:
                hoard.append(await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres"))
        except asyncpg.exceptions.TooManyConnectionsError:
            pass
        try:
            full = await client.get("/api/v1/conferences")
        finally:
            await asyncio.gather(*(connection.close() for connection in hoard))
        assert (full.status_code, full.headers.get("retry-after")) == (503, "5"), full.text
        assert (await client.get("/api/v1/conferences")).status_code == 200

    # The pool's one connection held by a registration that waits for the conference's seat
    # lock (taken here, as a surge's placements would): a read finds no connection in 0.5 s.
    # A server process: the test client runs one request at a time.
    organiser = await Organiser.create(settings, "grace@example.org")
    environment = {"CONFMAN_DATABASE_POOL_SIZE": "1", "CONFMAN_DATABASE_POOL_TIMEOUT": "0.5"}
    with serve(cluster.url, workers=1, **environment) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            conference = conference_payload(slug="pool-2027", status="published")
            await post_ok(client, organiser, "/api/v1/conferences", conference)
            await put_registration_settings(client, organiser, "pool-2027", double_opt_in=False)
            locker = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres")
            try:
                async with locker.transaction():
                    await locker.execute("SELECT * FROM registration_tally FOR UPDATE")
                    register = asyncio.create_task(
                        client.post("/api/v1/conferences/pool-2027/registrations", json=registration_payload())
                    )
                    await asyncio.sleep(0.5)
                    busy = await client.get("/api/v1/conferences")
                placed = await register
            finally:
                await locker.close()
            assert (busy.status_code, busy.headers.get("retry-after")) == (503, "5"), busy.text
            assert placed.status_code == 201, placed.text
            assert (await client.get("/api/v1/conferences")).status_code == 200
