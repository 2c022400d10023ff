"""A real SMTP server (aiosmtpd) for the tests, which records every message it accepts."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from litestar import Litestar
from litestar.testing import AsyncTestClient

from confman.settings import Settings
from confman.worker import MailWorker
from tests.factories import (
    Organiser,
    conference_payload,
    post_ok,
    put_registration_settings,
    registration_payload,
    session_payload,
)

CONF = "/api/v1/conferences/climate-2027"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Recorder:
    """The aiosmtpd handler: keeps each accepted message, optionally slowly."""

    delay: float = 0.0
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Messages being received at once (several connections), and the most there were.
    in_flight: int = 0
    most_at_once: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.in_flight += 1
            self.most_at_once = max(self.most_at_once, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            message = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(message, EmailMessage)
            with self.lock:
                self.messages.append(message)
        finally:
            with self.lock:
                self.in_flight -= 1
        return "250 OK"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(message["Message-ID"]) for message in self.messages]


class MailServer:
    def __init__(self, port: int, recorder: Recorder) -> None:
        self.port = port
        self.recorder = recorder
        # A generous start-up wait: on a loaded 2-core machine the default second is not enough.
        self.controller = Controller(recorder, hostname="127.0.0.1", port=port, ready_timeout=30)
        self.started = False

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=off"

    def start(self) -> None:
        self.controller.start()
        self.started = True

    def stop(self) -> None:
        if self.started:
            self.controller.stop()
        else:
            # Never started (a test failed before): close the loop that the controller made,
            # or its sockets are collected during some later test and fail it as unraisable.
            self.controller.loop.close()


async def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        await asyncio.sleep(0.05)


async def queue_mails(
    client: AsyncTestClient[Litestar], organiser: Organiser, count: int, *, confirmed: bool = False
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await post_ok(client, organiser, f"{CONF}/sessions", session_payload())
    if confirmed:
        await put_registration_settings(client, organiser, "climate-2027", double_opt_in=False)
    for index in range(count):
        response = await client.post(
            f"{CONF}/registrations", json=registration_payload(email=f"person{index}@example.org")
        )
        assert response.status_code in {201, 202}, response.text


def smtp_settings(settings: Settings, url: str, **overrides: object) -> Settings:
    return settings.model_copy(
        update={
            "smtp_url": url,
            "mail_poll_seconds": 0.05,
            "mail_retry_base_seconds": 0.1,
            "mail_retry_max_seconds": 0.4,
            **overrides,
        }
    )


async def send_everything(settings: Settings) -> Recorder:
    """Every due e-mail sent once, by a worker, to an SMTP server of its own; what it received."""
    recorder = Recorder()
    server = MailServer(free_port(), recorder)
    server.start()
    worker = MailWorker(smtp_settings(settings, server.url))
    try:
        while await worker.run_once():
            pass
    finally:
        await worker.close()
        server.stop()
    return recorder
