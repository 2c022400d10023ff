"""Webhooks against a real HTTP receiver: every event delivered once per endpoint after the
receiver comes back, signatures verified by the reference implementation (standardwebhooks),
order per registration kept with two delivery workers, SSRF refused through an injected
resolver, a failing endpoint disabled and its owner e-mailed, replay, and bad input."""

from __future__ import annotations

import asyncio
import base64
import json
import random
import ssl
import subprocess
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import standardwebhooks
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from confman.db.engine import create_engine
from confman.db.models import Conference, Event, OutboxMail, WebhookDelivery, WebhookEndpoint
from confman.mail.messages import RenderRequest, render
from confman.mail.outbox import emit
from confman.settings import Settings
from confman.webhooks import delivery as webhook_delivery
from confman.webhooks.delivery import EXCERPT_BYTES, WebhookDeliverer
from confman.webhooks.schemas import WebhookCreate
from confman.webhooks.secrets import unseal
from confman.webhooks.services import WebhookService
from confman.worker import MailWorker
from tests.factories import Organiser, conference_payload, database, post_ok, registration_payload
from tests.mailserver import MailServer, Recorder, free_port, smtp_settings
from tests.webhook_receiver import Receiver

Client = AsyncTestClient[Litestar]
HOOKS = "/api/v1/conferences/climate-2027/webhooks"
REGISTRATION_EVENTS = [
    Event.REGISTRATION_CREATED,
    Event.REGISTRATION_CONFIRMED,
    Event.REGISTRATION_CANCELLED,
    Event.REGISTRATION_PROMOTED,
]


def hook_settings(settings: Settings, **overrides: Any) -> Settings:
    """The tests' receiver lives on 127.0.0.1 over http: the deployment options that allow it."""
    values: dict[str, Any] = {
        "webhooks_allow_private": True,
        "webhooks_allow_http": True,
        "webhooks_retry_base_seconds": 0.02,
        "webhooks_retry_max_seconds": 0.1,
    }
    values.update(overrides)
    return settings.model_copy(update=values)


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


async def conference_id(client: Client, organiser: Organiser, settings: Settings) -> int:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    async with database(settings) as db:
        found = await db.scalar(select(Conference.id).where(Conference.slug == "climate-2027"))
    assert found is not None
    return found


async def add_endpoint(settings: Settings, conference: int, url: str, types: list[str]) -> tuple[int, str]:
    """An endpoint through the service the API calls (with these settings' address rules)."""
    async with database(settings) as db:
        row = await db.get(Conference, conference)
        assert row is not None
        endpoint, secret = await WebhookService(db, settings).create(row, WebhookCreate(url=url, event_types=types))
        return endpoint.id, secret


async def emit_events(settings: Settings, conference: int, events: list[tuple[Event, dict[str, Any]]]) -> None:
    for event, payload in events:  # one transaction each, as the changes that cause them
        async with database(settings) as db:
            emit(db, event, conference_id=conference, payload=payload)


async def deliveries(settings: Settings) -> list[WebhookDelivery]:
    async with database(settings) as db:
        return list(await db.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


async def drain(workers: list[WebhookDeliverer], settings: Settings, *, seconds: float = 60) -> dict[str, int]:
    """Run the workers side by side until no delivery is pending (or fail after ``seconds``);
    how many deliveries each worker claimed."""
    claimed: dict[str, int] = defaultdict(int)

    async def loop(worker: WebhookDeliverer, stop: asyncio.Event) -> None:
        while not stop.is_set():
            handled = await worker.run_once()
            claimed[worker.worker_id] += handled
            if not handled:
                await asyncio.sleep(0.01)

    stop = asyncio.Event()
    tasks = [asyncio.create_task(loop(worker, stop)) for worker in workers]
    try:
        async with asyncio.timeout(seconds):
            while any(d.status == "pending" for d in await deliveries(settings)):  # noqa: ASYNC110 - polls the database
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    return claimed


def deliverer(settings: Settings, engine: AsyncEngine, name: str, **kwargs: Any) -> WebhookDeliverer:
    return WebhookDeliverer(settings, async_sessionmaker(engine, expire_on_commit=False), name, **kwargs)


def verified(secret: str, received: Any) -> dict[str, Any]:
    result: dict[str, Any] = standardwebhooks.Webhook(secret).verify(received.body, received.headers)
    return result


async def test_receiver_down_then_up_every_event_once_per_endpoint_signed(
    client: Client, organiser: Organiser, settings: Settings, engine: AsyncEngine
) -> None:
    hooks = hook_settings(settings)
    conference = await conference_id(client, organiser, settings)
    receiver = Receiver()
    every, secret_all = await add_endpoint(hooks, conference, receiver.url("/all"), [e.value for e in Event][:8])
    some, secret_some = await add_endpoint(hooks, conference, receiver.url("/some"), ["registration.created"])
    # The registration's submit writes its events with Core (and on PostgreSQL in the placement's
    # own SQL): the trigger fans those out too.
    submitted = await client.post(
        "/api/v1/conferences/climate-2027/registrations", json=registration_payload(email="ana@example.org")
    )
    assert submitted.status_code in (201, 202), submitted.text
    await emit_events(
        hooks,
        conference,
        [(event, {"registration_id": 1000 + n}) for n in range(5) for event in REGISTRATION_EVENTS[:2]]
        + [(Event.SESSION_CHANGED, {"session_id": 7}), (Event.MESSAGE_SENT, {"message_id": 1})],
    )
    rows = await deliveries(hooks)
    internal = [row for row in rows if row.event_type == "message.sent"]
    assert internal == []  # internal events are never published
    expected = {every: sum(1 for r in rows if r.endpoint_id == every), some: 6}
    assert expected[every] >= 12
    assert sum(1 for r in rows if r.endpoint_id == some) == expected[some]

    worker = deliverer(hooks, engine, "w1")
    for _ in range(3):  # the receiver is down: every attempt fails, none is lost
        await worker.run_once()
        await asyncio.sleep(0.12)
    down = await deliveries(hooks)
    assert all(row.status == "pending" for row in down)
    assert any(row.attempts >= 2 and row.last_error for row in down)
    receiver.start()
    try:
        await drain([worker], hooks)
    finally:
        receiver.stop()
    final = await deliveries(hooks)
    assert {row.status for row in final} == {"delivered"}
    for endpoint, path, secret in ((every, "/all", secret_all), (some, "/some", secret_some)):
        got = [r for r in receiver.successes() if r.path == path]
        ids = [r.headers["webhook-id"] for r in got]
        assert len(ids) == len(set(ids)) == expected[endpoint]  # each exactly once
        assert set(ids) == {row.webhook_id for row in final if row.endpoint_id == endpoint}
        for received in got:
            body = verified(secret, received)
            assert body["data"]["conference"] == "climate-2027"
            assert received.headers["host"] == f"127.0.0.1:{receiver.port}"
            assert body["type"] in {e.value for e in Event}
        with pytest.raises(standardwebhooks.WebhookVerificationError):
            standardwebhooks.Webhook(secret_all if secret is secret_some else secret_some).verify(
                got[0].body, got[0].headers
            )


async def test_order_per_registration_with_two_workers(
    client: Client, organiser: Organiser, settings: Settings, engine: AsyncEngine
) -> None:
    hooks = hook_settings(settings)
    conference = await conference_id(client, organiser, settings)
    rng = random.Random(16)  # noqa: S311 - test jitter
    # A third of first attempts fail, and answers take up to 30 ms: without the ordering rule
    # a later event of a registration would overtake an earlier one.
    receiver = Receiver(answer=lambda seen, path: 500 if seen == 0 and rng.random() < 0.33 else 204, delay=0.03)
    receiver.start()
    try:
        _, secret = await add_endpoint(hooks, conference, receiver.url("/a"), ["registration.created",
                                           "registration.confirmed", "registration.cancelled",
                                           "registration.promoted"])  # fmt: skip
        await add_endpoint(hooks, conference, receiver.url("/b"), ["registration.confirmed", "registration.cancelled"])
        # Each registration's events one after the other: without the rule a batch would carry
        # several of them at once, and the jitter would reorder them.
        planned = [(event, {"registration_id": 1 + n}) for n in range(8) for event in REGISTRATION_EVENTS]
        await emit_events(hooks, conference, planned)
        workers = [deliverer(hooks, engine, "w1", batch_size=5), deliverer(hooks, engine, "w2", batch_size=5)]
        claimed = await drain(workers, hooks)
    finally:
        receiver.stop()
    assert claimed["w1"] > 0
    assert claimed["w2"] > 0
    rows = await deliveries(hooks)
    assert {row.status for row in rows} == {"delivered"}
    assert len(rows) == 32 + 16
    claimed_by_both = {row.claimed_by for row in rows}
    assert claimed_by_both == {None}
    for path, types in (("/a", REGISTRATION_EVENTS), ("/b", REGISTRATION_EVENTS[1:3])):
        seen: dict[int, list[str]] = defaultdict(list)
        ids: list[str] = []
        for received in receiver.successes():
            if received.path == path:
                body = verified(secret, received) if path == "/a" else json.loads(received.body)
                seen[body["data"]["registration_id"]].append(body["type"])
                ids.append(received.headers["webhook-id"])
        assert len(ids) == len(set(ids))
        assert dict(seen) == {n: [e.value for e in types] for n in range(1, 9)}
    # No attempt of a later event started before the earlier one's success (all attempts, failed too).
    done: dict[tuple[str, int], int] = defaultdict(int)
    expected_next: dict[tuple[str, int], list[str]] = {}
    for received in receiver.requests:
        body = json.loads(received.body)
        key = (received.path, body["data"]["registration_id"])
        types = REGISTRATION_EVENTS if received.path == "/a" else REGISTRATION_EVENTS[1:3]
        expected_next.setdefault(key, [e.value for e in types])
        assert body["type"] == expected_next[key][done[key]], (key, body["type"])
        if 200 <= received.status < 300:
            done[key] += 1


class FakeResolver:
    """A DNS that answers what the test says, and counts the questions."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return self.answers[host]


@pytest.mark.parametrize(
    "addresses",
    [
        ["127.0.0.1"],
        ["169.254.169.254"],
        ["::1"],
        ["10.1.2.3"],
        ["100.64.0.9"],
        ["::ffff:127.0.0.1"],
        ["93.184.215.14", "192.168.1.1"],
        ["fe80::1"],
        ["0.0.0.0"],  # noqa: S104 - what a resolver answers, never bound
        ["64:ff9b::a9fe:a9fe"],
    ],
)
async def test_ssrf_refused_after_resolution(
    client: Client, organiser: Organiser, settings: Settings, engine: AsyncEngine, addresses: list[str]
) -> None:
    strict = settings.model_copy(update={"webhooks_retry_base_seconds": 0.01})
    conference = await conference_id(client, organiser, settings)
    receiver = Receiver()
    receiver.start()
    try:
        # A name passes registration (it is no address literal) …
        await add_endpoint(strict, conference, f"https://evil.example:{receiver.port}/hook", ["session.changed"])
        await emit_events(strict, conference, [(Event.SESSION_CHANGED, {"session_id": 1})])
        resolver = FakeResolver({"evil.example": addresses})
        # … and every delivery resolves it once and refuses: nothing reaches the listener.
        await deliverer(strict, engine, "w1", resolver=resolver).run_once()
    finally:
        receiver.stop()
    [row] = await deliveries(strict)
    assert row.status == "pending"
    assert row.last_error is not None
    assert row.last_error.startswith("refused")
    assert resolver.asked == ["evil.example"]
    assert receiver.requests == []


@pytest.mark.parametrize("status", [301, 307])
async def test_a_redirect_is_a_failure_not_followed(
    client: Client, organiser: Organiser, settings: Settings, engine: AsyncEngine, status: int
) -> None:
    # Following it would send the signed body to an address nobody checked: it is retried instead.
    hooks = hook_settings(settings)
    conference = await conference_id(client, organiser, settings)
    receiver = Receiver(answer=lambda seen, path: status)
    receiver.start()
    try:
        await add_endpoint(hooks, conference, receiver.url(), ["session.changed"])
        await emit_events(hooks, conference, [(Event.SESSION_CHANGED, {"session_id": 1})])
        await deliverer(hooks, engine, "w1").run_once()
    finally:
        receiver.stop()
    assert [r.path for r in receiver.requests] == ["/hook"]
    [row] = await deliveries(hooks)
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, status)


async def test_an_endpoint_that_answers_too_late_is_a_failure(
    client: Client, organiser: Organiser, settings: Settings, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 10 s in production; shortened here so that a receiver that takes 1.5 s is too slow.
    monkeypatch.setattr(webhook_delivery, "TOTAL_TIMEOUT", 0.5)
    hooks = hook_settings(settings)
    conference = await conference_id(client, organiser, settings)
    receiver = Receiver(delay_at_least=1.5)
    receiver.start()
    try:
        await add_endpoint(hooks, conference, receiver.url(), ["session.changed"])
        await emit_events(hooks, conference, [(Event.SESSION_CHANGED, {"session_id": 1})])
        started = asyncio.get_running_loop().time()
        await deliverer(hooks, engine, "w1").run_once()
        took = asyncio.get_running_loop().time() - started
    finally:
        receiver.stop()
    [row] = await deliveries(hooks)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == "no answer within 0.5 s"
    assert took < 1.5


async def test_an_endpoint_slow_to_answer_holds_back_no_email(
    client: Client, organiser: Organiser, settings: Settings, engine: AsyncEngine
) -> None:
    # One worker process sends e-mails and delivers webhooks: while a delivery waits for an
    # endpoint (up to 15 s), an e-mail queued meanwhile still leaves at once.
    hooks = smtp_settings(hook_settings(settings), "")
    conference = await conference_id(client, organiser, settings)
    receiver = Receiver(delay_at_least=4.0)
    receiver.start()
    recorder = Recorder()
    server = MailServer(free_port(), recorder)
    server.start()
    worker = MailWorker(hooks.model_copy(update={"smtp_url": server.url}), engine)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        await add_endpoint(hooks, conference, receiver.url(), ["session.changed"])
        await emit_events(hooks, conference, [(Event.SESSION_CHANGED, {"session_id": 1})])
        assert await asyncio.to_thread(receiver.arrived.wait, 10), "the delivery never started"
        response = await client.post(
            "/api/v1/conferences/climate-2027/registrations", json=registration_payload(email="soon@example.org")
        )
        assert response.status_code == 202, response.text  # its confirmation e-mail is queued
        queued = asyncio.get_running_loop().time()
        async with asyncio.timeout(10):
            while not recorder.message_ids():  # noqa: ASYNC110 - polls the SMTP recorder
                await asyncio.sleep(0.02)
        waited = asyncio.get_running_loop().time() - queued
        assert receiver.requests == [], "the endpoint had not answered yet"
        assert waited < 2.0, f"the e-mail waited {waited:.1f} s for the webhook"
    finally:
        stop.set()
        await running
        await worker.close()
        server.stop()
        receiver.stop()
    [row] = await deliveries(hooks)
    assert row.status == "delivered"


async def test_the_connection_goes_to_the_resolved_address_with_the_name_as_host(
    client: Client, organiser: Organiser, settings: Settings, engine: AsyncEngine
) -> None:
    hooks = hook_settings(settings)
    conference = await conference_id(client, organiser, settings)
    receiver = Receiver()
    receiver.start()
    try:
        _, secret = await add_endpoint(hooks, conference, f"http://hooks.test:{receiver.port}/in", ["session.changed"])
        await emit_events(hooks, conference, [(Event.SESSION_CHANGED, {"session_id": 3})])
        resolver = FakeResolver({"hooks.test": ["127.0.0.1"]})
        await drain([deliverer(hooks, engine, "w1", resolver=resolver)], hooks)
    finally:
        receiver.stop()
    [received] = receiver.requests
    assert received.headers["host"] == f"hooks.test:{receiver.port}"
    assert resolver.asked == ["hooks.test"]  # once: no second lookup by the HTTP client
    assert verified(secret, received)["data"] == {"session_id": 3, "conference": "climate-2027"}


async def test_failing_endpoint_is_disabled_owner_told_then_reenabled(
    client: Client, organiser: Organiser, settings: Settings, engine: AsyncEngine
) -> None:
    hooks = hook_settings(settings, webhooks_disable_after_failures=3, webhooks_disable_after_seconds=0)
    conference = await conference_id(client, organiser, settings)
    receiver = Receiver()  # not started: nothing listens on its port
    endpoint, secret = await add_endpoint(hooks, conference, receiver.url(), ["registration.created"])
    await emit_events(hooks, conference, [(Event.REGISTRATION_CREATED, {"registration_id": n}) for n in (1, 2)])
    worker = deliverer(hooks, engine, "w1")
    for _ in range(20):
        await worker.run_once()
        listed = (await client.get(f"{HOOKS}/{endpoint}", headers=organiser.headers)).json()
        if not listed["enabled"]:
            break
        await asyncio.sleep(0.1)
    assert listed["enabled"] is False
    assert listed["disabled_reason"] == "failing"
    assert listed["consecutive_failures"] >= 3  # the batch's two attempts ran side by side
    async with database(hooks) as db:
        mails = list(await db.scalars(select(OutboxMail).where(OutboxMail.kind == "webhook_disabled")))
        assert [mail.recipient for mail in mails] == ["ada@example.org"]
        content = await render(RenderRequest(db, mails[0], hooks.base_url))
        assert "Webhook disabled" in content.subject
        assert secret not in json.dumps(mails[0].context)
    # While disabled, new events make no deliveries; the waiting ones stay pending.
    await emit_events(hooks, conference, [(Event.REGISTRATION_CREATED, {"registration_id": 3})])
    assert [row.status for row in await deliveries(hooks)] == ["pending", "pending"]
    assert await worker.run_once() == 0
    receiver.start()
    try:
        response = await client.patch(f"{HOOKS}/{endpoint}", json={"enabled": True}, headers=organiser.headers)
        assert response.status_code == 200
        assert response.json()["enabled"] is True
        await drain([worker], hooks)
    finally:
        receiver.stop()
    # Two registrations: two order keys, delivered side by side, each once.
    assert sorted(json.loads(r.body)["data"]["registration_id"] for r in receiver.successes()) == [1, 2]


async def test_replay_keeps_the_webhook_id_and_the_log_keeps_a_bounded_excerpt(
    client: Client, organiser: Organiser, settings: Settings, engine: AsyncEngine
) -> None:
    hooks = hook_settings(settings)
    conference = await conference_id(client, organiser, settings)
    receiver = Receiver(big_body=True)
    receiver.start()
    try:
        endpoint, secret = await add_endpoint(hooks, conference, receiver.url(), ["attendance.joined"])
        await emit_events(hooks, conference, [(Event.ATTENDANCE_JOINED, {"registration_id": 4, "session_id": 2})])
        await drain([deliverer(hooks, engine, "w1")], hooks)
        log = (await client.get(f"{HOOKS}/{endpoint}/deliveries", headers=organiser.headers)).json()
        [entry] = log
        assert entry["status"] == "delivered"
        assert entry["attempts"] == 1
        assert entry["last_status_code"] == 200
        assert len(entry["response_excerpt"]) == EXCERPT_BYTES
        replayed = await client.post(f"{HOOKS}/{endpoint}/deliveries/{entry['id']}/replay", headers=organiser.headers)
        assert replayed.status_code == 202, replayed.text
        assert replayed.json()["webhook_id"] == entry["webhook_id"]
        await drain([deliverer(hooks, engine, "w1")], hooks)
    finally:
        receiver.stop()
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == entry["webhook_id"]
    assert first.body == second.body
    assert verified(secret, first) == verified(secret, second)
    [row] = await deliveries(hooks)
    assert row.attempts == 2
    assert row.status == "delivered"
    missing = await client.post(f"{HOOKS}/{endpoint}/deliveries/999/replay", headers=organiser.headers)
    assert missing.status_code == 404


BAD = [
    ({"url": "http://hooks.example.org/x"}, "url", "scheme_not_allowed"),
    ({"url": "https://127.0.0.1/x"}, "url", "address_not_allowed"),
    ({"url": "https://[::1]/x"}, "url", "address_not_allowed"),
    ({"url": "https://[::ffff:7f00:1]/x"}, "url", "address_not_allowed"),
    ({"url": "https://169.254.169.254/latest/meta-data"}, "url", "address_not_allowed"),
    ({"url": "https://10.0.0.8/x"}, "url", "address_not_allowed"),
    ({"url": "https://100.64.1.1/x"}, "url", "address_not_allowed"),
    ({"url": "https://224.0.0.251/x"}, "url", "address_not_allowed"),
    ({"url": "https://localhost:8443/x"}, "url", "address_not_allowed"),
    ({"url": "not a url"}, "url", "scheme_not_allowed"),
    ({"url": "https:///nohost"}, "url", "invalid_url"),
    ({"url": "https://user:pw@hooks.example.org/"}, "url", "credentials_in_url"),
    ({"url": "https://hooks.example.org:99999/"}, "url", "invalid_url"),
    ({"event_types": []}, "event_types", "required"),
    ({"event_types": ["registration.repeated"]}, "event_types", "unknown_event_type"),
    ({"event_types": ["nope"]}, "event_types", "unknown_event_type"),
]


@pytest.mark.parametrize(("change", "field", "code"), BAD)
async def test_bad_input_names_the_field_and_writes_nothing(
    client: Client, organiser: Organiser, settings: Settings, change: dict[str, Any], field: str, code: str
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    body = {"url": "https://hooks.example.org/in", "event_types": ["registration.created"], **change}
    response = await client.post(HOOKS, json=body, headers=organiser.headers)
    assert response.status_code == 400, response.text
    [extra] = response.json()["extra"]
    assert (extra["key"], extra["code"]) == (field, code)
    created = await post_ok(
        client, organiser, HOOKS, {"url": "https://hooks.example.org/in", "event_types": ["session.changed"]}
    )
    patched = await client.patch(f"{HOOKS}/{created['id']}", json=change, headers=organiser.headers)
    assert patched.status_code == 400
    assert patched.json()["extra"][0]["key"] == field
    async with database(settings) as db:
        [row] = list(await db.scalars(select(WebhookEndpoint)))
        assert (row.url, row.event_types) == ("https://hooks.example.org/in", ["session.changed"])


async def test_secret_shown_once_stored_sealed_and_strangers_see_nothing(
    client: Client, organiser: Organiser, other_organiser: Organiser, settings: Settings
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    body = {"url": "https://hooks.example.org/in", "event_types": ["programme.released", "session.changed"]}
    created = await post_ok(client, organiser, HOOKS, body)
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    shown = await client.get(f"{HOOKS}/{created['id']}", headers=organiser.headers)
    listed = await client.get(HOOKS, headers=organiser.headers)
    assert secret not in shown.text
    assert secret not in listed.text
    assert "secret" not in shown.json()
    async with database(settings) as db:
        row = await db.get(WebhookEndpoint, created["id"])
        assert row is not None
        assert secret not in row.secret_sealed
        assert unseal(row.secret_sealed, settings.secret_key) == secret
    rotated = await client.post(f"{HOOKS}/{created['id']}/secret", headers=organiser.headers)
    assert rotated.status_code == 201
    assert rotated.json()["secret"] not in (secret, None)
    for method, path in (("GET", HOOKS), ("GET", f"{HOOKS}/{created['id']}"), ("DELETE", f"{HOOKS}/{created['id']}")):
        stranger = await client.request(method, path, headers=other_organiser.headers)
        assert stranger.status_code == 404
        assert (await client.request(method, path)).status_code in (401, 404)
    assert (await client.delete(f"{HOOKS}/{created['id']}", headers=organiser.headers)).status_code == 204
    async with database(settings) as db:
        assert await db.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed key and certificate for hooks.test (made by the openssl command)."""
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        ["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=hooks.test",
         "-addext", "subjectAltName=DNS:hooks.test", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, cert


async def test_https_sends_the_name_as_sni_to_the_checked_address_and_verifies_its_certificate(
    client: Client, organiser: Organiser, settings: Settings, engine: AsyncEngine, certificate: tuple[Path, Path]
) -> None:
    """A TLS listener on 127.0.0.1 with a self-signed certificate for hooks.test: the client
    connects to the address the resolver gave, says hooks.test in SNI, and refuses the
    certificate (no trusted issuer), so verification is on and uses the name, not the address."""
    key, cert = certificate
    names: list[str | None] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: names.append(name)  # type: ignore[assignment,misc]

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    hooks = hook_settings(settings)
    conference = await conference_id(client, organiser, settings)
    try:
        await add_endpoint(hooks, conference, f"https://hooks.test:{port}/in", ["session.changed"])
        await emit_events(hooks, conference, [(Event.SESSION_CHANGED, {"session_id": 5})])
        resolver = FakeResolver({"hooks.test": ["127.0.0.1"]})
        await deliverer(hooks, engine, "w1", resolver=resolver).run_once()
    finally:
        server.close()
        await server.wait_closed()
    assert names == ["hooks.test"]
    [row] = await deliveries(hooks)
    assert row.status == "pending"
    assert row.last_error is not None
    assert "CERTIFICATE_VERIFY_FAILED" in row.last_error


async def test_a_rolled_back_event_makes_no_delivery_and_a_given_up_one_lets_the_next_go(
    client: Client, organiser: Organiser, settings: Settings, engine: AsyncEngine
) -> None:
    hooks = hook_settings(settings, webhooks_give_up_seconds=0.001)
    conference = await conference_id(client, organiser, settings)
    receiver = Receiver()  # never started
    await add_endpoint(hooks, conference, receiver.url(), ["registration.created", "registration.cancelled"])
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as db:
        emit(db, Event.REGISTRATION_CREATED, conference_id=conference, payload={"registration_id": 9})
        await db.flush()
        assert await db.scalar(select(func.count()).select_from(WebhookDelivery)) == 1  # in its transaction
        await db.rollback()
    assert await deliveries(hooks) == []
    await emit_events(
        hooks,
        conference,
        [(Event.REGISTRATION_CREATED, {"registration_id": 9}), (Event.REGISTRATION_CANCELLED, {"registration_id": 9})],
    )
    await drain([deliverer(hooks, engine, "w1")], hooks)
    first, second = await deliveries(hooks)
    # The first was given up after its one failed attempt; only then was the second tried.
    assert (first.status, first.attempts) == ("failed", 1)
    assert (second.status, second.attempts) == ("failed", 1)
    assert first.last_attempt_at is not None
    assert second.last_attempt_at is not None
    assert first.last_attempt_at <= second.last_attempt_at
