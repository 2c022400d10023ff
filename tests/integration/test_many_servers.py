"""Many servers, as docker/compose.yaml runs them: app1 and app2 (``confman run``, two workers
each) and worker1 and worker2 (``confman worker``) on one PostgreSQL and one Redis, with a real
SMTP server in place of Mailpit. Each service runs as a local process with its own ``command``
and ``environment`` from the compose file (``${…}`` filled from docker/.env.example; the hosts
postgres, redis and mailpit mapped to local ones), so the file cannot drift from what is tested.

The clients stand behind the proxy, as with Caddy: each sends its own ``X-Forwarded-For`` (the
servers trust the proxy's address, 127.0.0.1 here), so the rate limits count real clients.
PostgreSQL only: several servers on one SQLite file is not a deployment.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import select

from confman.db.models import Conference, MailStatus, OutboxMail, Registration, RegistrationTally
from confman.settings import Settings
from tests.factories import (
    Organiser,
    conference_payload,
    database,
    registration_payload,
    registration_settings_payload,
    session_payload,
)
from tests.mailserver import MailServer, Recorder, free_port

CHECKOUT = Path(__file__).resolve().parents[2]
COMPOSE = CHECKOUT / "docker" / "compose.yaml"
ENV_EXAMPLE = CHECKOUT / "docker" / ".env.example"
LOCAL_REDIS = os.environ.get("CONFMAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
_VARIABLE = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")

# Only the PostgreSQL half of the session's databases.
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def example_environment() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def interpolate(value: str, variables: dict[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        name, operator, argument = match.groups()
        if variables.get(name):
            return variables[name]
        if operator == "-":
            return str(argument)
        raise AssertionError(f"compose.yaml needs {name}, which docker/.env.example does not set")

    return _VARIABLE.sub(substitute, value)


@dataclass
class Service:
    name: str
    command: list[str]
    environment: dict[str, str]
    base_url: str | None = None
    metrics_url: str | None = None
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None


def local_services(database_url: str, smtp_port: int, log_dir: Path) -> dict[str, Service]:
    """app1, app2, worker1, worker2 from compose.yaml, hosts and ports mapped to this machine."""
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    variables = example_environment()
    redis = httpx.URL(LOCAL_REDIS)
    hosts = {"redis:6379": f"{redis.host}:{redis.port or 6379}", "mailpit:1025": f"127.0.0.1:{smtp_port}"}
    # The tests' Redis is shared with other runs: a namespace of our own.
    namespace = f"confman_many_{uuid.uuid4().hex[:8]}"
    found = {}
    for name in ("app1", "app2", "worker1", "worker2"):
        environment = {key: interpolate(str(value), variables) for key, value in services[name]["environment"].items()}
        for key, value in environment.items():
            if value.startswith("postgresql+asyncpg://") and value.endswith("@postgres:5432/confman"):
                environment[key] = database_url
            for host, local in hosts.items():
                environment[key] = environment[key].replace(f"//{host}", f"//{local}")
        environment["CONFMAN_REDIS_NAMESPACE"] = namespace
        command = list(services[name]["command"])
        assert command[0] == "confman", command
        service = Service(
            name, [sys.executable, "-m", "confman", *command[1:]], environment, log=log_dir / f"{name}.log"
        )
        if "--port" in command:
            port = free_port()
            service.command[service.command.index("--port") + 1] = str(port)
            service.command[service.command.index("--host") + 1] = "127.0.0.1"
            service.base_url = f"http://127.0.0.1:{port}"
        if "CONFMAN_METRICS_PORT" in environment:
            metrics_port = free_port()
            environment["CONFMAN_METRICS_PORT"] = str(metrics_port)
            service.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        found[name] = service
    return found


def start(service: Service) -> None:
    # Nothing of this machine's CONFMAN_* settings: only what the compose file says.
    inherited = {key: value for key, value in os.environ.items() if not key.startswith(("CONFMAN_", "PROMETHEUS_"))}
    assert service.log is not None
    with service.log.open("ab") as log:
        service.process = subprocess.Popen(  # noqa: S603
            service.command,
            env={**inherited, **service.environment},
            cwd=CHECKOUT,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group: a server is killed with all its workers.
            start_new_session=True,
        )


def stop(service: Service, sig: signal.Signals = signal.SIGTERM) -> None:
    process = service.process
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, sig)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def wait_ready(service: Service) -> None:
    deadline = time.monotonic() + 120
    while True:
        assert service.process is not None
        if service.process.poll() is not None:
            assert service.log is not None
            raise RuntimeError(f"{service.name} exited: {service.log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{service.base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{service.name} not ready")
        time.sleep(0.2)


@dataclass
class Cluster:
    services: dict[str, Service]
    recorder: Recorder
    settings: Settings
    organiser: Organiser

    @property
    def app_urls(self) -> list[str]:
        return [url for name in ("app1", "app2") if (url := self.services[name].base_url)]


@pytest.fixture(scope="module")
def cluster(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    settings = Settings(database_url=database_url, secret_key="t" * 32)
    organiser = asyncio.run(Organiser.create(settings, f"ops-{uuid.uuid4().hex[:6]}@example.org"))
    recorder = Recorder()
    mail_server = MailServer(free_port(), recorder)
    mail_server.start()
    services = local_services(database_url, mail_server.port, tmp_path_factory.mktemp("many-servers"))
    try:
        for service in services.values():
            start(service)
        for name in ("app1", "app2"):
            wait_ready(services[name])
        yield Cluster(services, recorder, settings, organiser)
    finally:
        for service in services.values():
            stop(service)
        mail_server.stop()


def client() -> httpx.AsyncClient:
    # A new connection per request: under this load a kept-alive connection was now and then
    # closed by the server just as the next request went out on it (httpx.ReadError).
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=0)
    return httpx.AsyncClient(limits=limits, timeout=120)


def from_client(number: int) -> dict[str, str]:
    """As Caddy forwards a request of client ``number``."""
    return {"X-Forwarded-For": f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"}


async def open_conference(http: httpx.AsyncClient, cluster: Cluster, slug: str, **rules: Any) -> str:
    base = cluster.app_urls[0]
    headers = cluster.organiser.headers
    created = await http.post(f"{base}/api/v1/conferences", json=conference_payload(slug=slug), headers=headers)
    assert created.status_code == 201, created.text
    response = await http.put(
        f"{base}/api/v1/conferences/{slug}/registration-settings",
        json=registration_settings_payload(**rules),
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return f"/api/v1/conferences/{slug}"


# Requests in flight at once, over both servers (as a proxy's connection pool would hold them):
# enough for a real race, few enough that a loaded test machine does not drop connections.
IN_FLIGHT = 128
_gates: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}


async def register(http: httpx.AsyncClient, base_url: str, conf: str, email: str, number: int) -> httpx.Response:
    gate = _gates.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(IN_FLIGHT))
    async with gate:
        return await http.post(
            f"{base_url}{conf}/registrations", json=registration_payload(email=email), headers=from_client(number)
        )


async def assert_seat_invariants(cluster: Cluster, slug: str, seats: int) -> Counter[str]:
    async with database(cluster.settings) as session:
        conference_id = await session.scalar(select(Conference.id).where(Conference.slug == slug))
        rows = (
            await session.execute(
                select(Registration.status, Registration.waitlist_seq).where(
                    Registration.conference_id == conference_id
                )
            )
        ).all()
        tally = (
            await session.execute(
                select(RegistrationTally.confirmed, RegistrationTally.waiting).where(
                    RegistrationTally.conference_id == conference_id
                )
            )
        ).one()
    counts = Counter(str(status) for status, _ in rows)
    assert tuple(tally) == (counts["confirmed"], counts["waitlisted"])
    assert counts["confirmed"] == seats
    async with client() as http:
        listed = (
            await http.get(
                f"{cluster.app_urls[0]}/api/v1/conferences/{slug}/registrations?limit=1000",
                headers=cluster.organiser.headers,
            )
        ).json()
    positions = sorted(row["waitlist_position"] for row in listed if row["status"] == "waitlisted")
    assert positions == list(range(1, counts["waitlisted"] + 1))
    return counts


async def assert_every_mail_sent_once(cluster: Cluster, seconds: float = 30) -> int:
    """Waits until the outbox is empty, then: each e-mail reached the SMTP server exactly once."""
    deadline = time.monotonic() + seconds
    while True:
        async with database(cluster.settings) as session:
            mails = (await session.execute(select(OutboxMail.message_id, OutboxMail.status))).all()
        pending = [message_id for message_id, status in mails if status == MailStatus.PENDING]
        if not pending:
            break
        assert time.monotonic() < deadline, f"{len(pending)} e-mails still pending"
        await asyncio.sleep(0.2)
    received = cluster.recorder.message_ids()
    assert len(received) == len(set(received)), [m for m, n in Counter(received).items() if n > 1][:5]
    assert {message_id for message_id, status in mails if status == MailStatus.SENT} == set(received)
    assert all(status == MailStatus.SENT for _, status in mails)
    return len(received)


async def test_500_registrations_for_50_seats_across_two_servers(cluster: Cluster) -> None:
    async with client() as http:
        conf = await open_conference(http, cluster, "race-500", capacity=50, double_opt_in=False)
        urls = cluster.app_urls

        started = time.monotonic()
        responses = await asyncio.gather(
            *(register(http, urls[i % 2], conf, f"person{i}@example.org", i) for i in range(500))
        )
        elapsed = time.monotonic() - started

    assert Counter(r.status_code for r in responses) == {201: 500}
    results = Counter(r.json()["result"] for r in responses)
    assert results == {"confirmed": 50, "waitlisted": 450}
    positions = sorted(r.json()["position"] for r in responses if r.json()["result"] == "waitlisted")
    assert positions == list(range(1, 451))
    assert await assert_seat_invariants(cluster, "race-500", 50) == {"confirmed": 50, "waitlisted": 450}
    drain_started = time.monotonic()
    sent = await assert_every_mail_sent_once(cluster)
    drained = time.monotonic() - drain_started
    assert sent >= 500
    print(f"\n500 registrations on two servers in {elapsed:.2f} s; {sent} e-mails, each sent once, in {drained:.2f} s")


async def test_a_programme_change_on_one_server_shows_on_the_other_within_the_cache_lifetime(
    cluster: Cluster,
) -> None:
    """The programme feed is cached twice per worker: the programme's version is trusted for the
    lifetime, and the micro-cache replays a whole answer for as long; so a change made on app1
    shows on app2 within two lifetimes at most (docs/architecture.md, "Many servers")."""
    lifetime = Settings.model_fields["programme_cache_seconds"].default
    app1, app2 = cluster.app_urls
    headers = cluster.organiser.headers
    async with client() as http:
        conf = await open_conference(http, cluster, "cache-check")
        created = await http.post(f"{app1}{conf}/sessions", json=session_payload(), headers=headers)
        assert created.status_code == 201, created.text

        async def feeds() -> list[str]:
            # Both workers of app2 (most likely), each from its caches once warm.
            return [(await http.get(f"{app2}/cache-check/programme.ics")).text for _ in range(4)]

        assert all("SUMMARY:The Limits of COP26" in feed for feed in await feeds())
        changed = await http.patch(
            f"{app1}{conf}/sessions/limits-of-cop26", json={"title": {"en": "A changed title"}}, headers=headers
        )
        assert changed.status_code == 200, changed.text
        changed_at = time.monotonic()
        while not all("SUMMARY:A changed title" in feed for feed in await feeds()):
            assert time.monotonic() - changed_at < 2 * lifetime + 1.0, "app2 still shows the old title"
            await asyncio.sleep(0.05)
        seen_after = time.monotonic() - changed_at
    print(f"\nthe change showed on the other server after {seen_after:.2f} s (lifetime {lifetime} s)")


async def test_the_rate_limit_is_shared_by_both_servers(cluster: Cluster) -> None:
    limit = Settings.model_fields["registration_submits_per_minute"].default
    async with client() as http:
        conf = await open_conference(http, cluster, "limits", double_opt_in=False)
        urls = cluster.app_urls
        # One client (one forwarded address), 1.5 times its limit, alternately on both servers.
        answers = [
            await http.post(
                f"{urls[i % 2]}{conf}/registrations",
                json=registration_payload(email=f"one{i}@example.org"),
                headers=from_client(999_999),
            )
            for i in range(limit + limit // 2)
        ]
        other_client = await register(http, urls[1], conf, "someone-else@example.org", 123_456)

    assert Counter(answer.status_code for answer in answers) == {201: limit, 429: limit // 2}
    assert other_client.status_code == 201


async def test_request_ids_in_the_json_logs_and_no_tokens(cluster: Cluster) -> None:
    app1 = cluster.services["app1"]
    async with client() as http:
        answer = await http.get(f"{app1.base_url}/join/secret-join-token-4711/", headers={"X-Request-ID": "trace-4711"})
        assert answer.headers["x-request-id"] == "trace-4711"
        await asyncio.sleep(0.5)
    assert app1.log is not None
    lines = [json.loads(line) for line in app1.log.read_text(encoding="utf-8").splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("request_id") == "trace-4711"]
    assert access, lines[-5:]
    assert access[-1]["logger"] == "uvicorn.access"
    assert "/join/[token]/" in access[-1]["message"]
    assert "secret-join-token" not in app1.log.read_text(encoding="utf-8")


async def test_one_scrape_sees_every_worker_and_the_database(cluster: Cluster) -> None:
    app1 = cluster.services["app1"]
    assert app1.metrics_url is not None
    async with client() as http:
        for _ in range(20):
            await http.get(f"{app1.base_url}/healthz")
        scrape = (await http.get(app1.metrics_url)).text
    counts = re.findall(r'^confman_http_requests_total\{[^}]*route="/healthz"[^}]*\} (\S+)$', scrape, re.MULTILINE)
    # The workers' counts add up to one line per label set (multiprocess mode).
    assert len(counts) == 1, scrape[:2000]
    assert float(counts[0]) >= 20
    # The rate limit's refusals (raised, then answered) count as the 4xx they are.
    registrations = 'route="/api/v1/conferences/{conf}/registrations"'
    refused = [
        float(line.rsplit(" ", 1)[1])
        for line in scrape.splitlines()
        if line.startswith("confman_http_requests_total{") and registrations in line and 'status="4xx"' in line
    ]
    assert refused, scrape
    assert refused[0] >= 1
    assert 'status="5xx"' not in scrape
    assert re.search(r'^confman_registrations\{status="confirmed"\} \d', scrape, re.MULTILINE)
    assert re.search(r"^confman_outbox_pending \d", scrape, re.MULTILINE)
    assert re.search(r'^confman_cache_lookups_total\{cache="response",result="(hit|miss)"\}', scrape, re.MULTILINE)
    print(
        "\n" + "\n".join(line for line in scrape.splitlines() if line.startswith("confman_") and "_bucket" not in line)
    )


async def test_a_server_killed_mid_race_leaves_the_invariants_intact(cluster: Cluster) -> None:
    """Last in this module: app2 stays down afterwards."""
    async with client() as http:
        conf = await open_conference(http, cluster, "race-kill", capacity=50, double_opt_in=False)
        urls = cluster.app_urls
        done = asyncio.Event()
        answered = [0]

        async def one(i: int) -> httpx.Response | BaseException:
            try:
                response = await register(http, urls[i % 2], conf, f"k{i}@example.org", 100_000 + i)
            except httpx.HTTPError as error:
                return error
            answered[0] += 1
            if answered[0] >= 60:
                done.set()
            return response

        async def kill_app2() -> None:
            await done.wait()
            await asyncio.to_thread(stop, cluster.services["app2"], signal.SIGKILL)

        outcomes = await asyncio.gather(*(one(i) for i in range(400)), kill_app2())
    responses = [outcome for outcome in outcomes[:400] if isinstance(outcome, httpx.Response)]
    failed = [outcome for outcome in outcomes[:400] if isinstance(outcome, BaseException)]

    assert cluster.services["app2"].process is not None
    assert cluster.services["app2"].process.poll() is not None
    assert [r.status_code for r in responses if r.status_code != 201] == []
    assert failed, "app2 died after every request had its answer"
    counts = await assert_seat_invariants(cluster, "race-kill", 50)
    # Every answered registration is in the database; an unanswered one may or may not be.
    assert len(responses) <= sum(counts.values()) <= 400
    await assert_every_mail_sent_once(cluster)
    print(f"\napp2 killed: {len(responses)} answered, {len(failed)} lost, {dict(counts)} in the database")
