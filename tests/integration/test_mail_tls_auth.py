"""Mail to a real SMTP server that demands TLS and a password, as production relays do.

aiosmtpd with a certificate made for the test (openssl): STARTTLS required before AUTH,
AUTH required before MAIL; and the same over implicit TLS (smtps://). The worker must
verify the certificate (an unknown authority is refused, nothing sent) and a wrong password
must leave the e-mail queued for another try, not lost.
"""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from litestar import Litestar
from litestar.testing import AsyncTestClient

from confman.db.models import MailStatus
from confman.settings import Settings
from confman.worker import MailWorker
from tests.factories import Organiser, outbox
from tests.mailserver import Recorder, free_port, queue_mails, smtp_settings

Client = AsyncTestClient[Litestar]
USER = "confman"
PASSWORD = "s3crét pass/word"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost (its own authority): cert.pem, key.pem."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(  # noqa: S603
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",  # noqa: S607
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class Relay:
    """What the server saw of each accepted message: over TLS? authenticated as whom?"""

    recorder: Recorder = field(default_factory=Recorder)
    sessions: list[tuple[bool, Any]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        self.sessions.append((encrypted, session.auth_data if session.authenticated else None))
        return await self.recorder.handle_DATA(server, session, envelope)


def check_password(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    good = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=good, handled=False, auth_data=auth_data.login if good else None)


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def starttls_relay(certificate: tuple[Path, Path]) -> Iterator[tuple[Relay, int]]:
    relay, port = Relay(), free_port()
    controller = Controller(
        relay, hostname="127.0.0.1", port=port, ready_timeout=30,
        tls_context=server_context(certificate), require_starttls=True,
        auth_required=True, auth_require_tls=True, authenticator=check_password,
    )  # fmt: skip
    controller.start()
    try:
        yield relay, port
    finally:
        controller.stop()


def url(scheme: str, port: int, password: str = PASSWORD, **options: str) -> str:
    query = "&".join(f"{key}={quote(value, safe='/')}" for key, value in options.items())
    return f"{scheme}://{USER}:{quote(password, safe='')}@localhost:{port}" + (f"?{query}" if query else "")


async def send_all(settings: Settings, smtp_url: str) -> list[Any]:
    worker = MailWorker(smtp_settings(settings, smtp_url))
    try:
        await worker.run_once()
    finally:
        await worker.close()
    return await outbox(settings)


async def test_starttls_and_password_then_every_email_arrives(
    client: Client, organiser: Organiser, settings: Settings, starttls_relay: tuple[Relay, int], certificate: Any
) -> None:
    relay, port = starttls_relay
    await queue_mails(client, organiser, 3)

    mails = await send_all(settings, url("smtp", port, starttls="required", cafile=str(certificate[0])))

    assert {mail.status for mail in mails} == {MailStatus.SENT}
    assert sorted(relay.recorder.message_ids()) == sorted(mail.message_id for mail in mails)
    # Each over TLS, each after the password was accepted.
    assert relay.sessions == [(True, USER.encode())] * 3


async def test_a_wrong_password_keeps_the_email_for_another_try(
    client: Client, organiser: Organiser, settings: Settings, starttls_relay: tuple[Relay, int], certificate: Any
) -> None:
    relay, port = starttls_relay
    await queue_mails(client, organiser, 1)

    [mail] = await send_all(settings, url("smtp", port, password="wrong", cafile=str(certificate[0])))

    assert relay.recorder.message_ids() == []
    assert (mail.status, mail.attempts) == (MailStatus.PENDING, 1)
    assert "535" in (mail.last_error or "")  # the server's "authentication failed"
    assert PASSWORD not in (mail.last_error or "")
    assert "wrong" not in (mail.last_error or "")


async def test_an_unknown_certificate_authority_is_refused_and_nothing_is_sent(
    client: Client, organiser: Organiser, settings: Settings, starttls_relay: tuple[Relay, int]
) -> None:
    relay, port = starttls_relay
    await queue_mails(client, organiser, 1)

    [mail] = await send_all(settings, url("smtp", port))  # the system's authorities only

    assert relay.recorder.message_ids() == []
    assert mail.status is MailStatus.PENDING
    assert "certificate" in (mail.last_error or "").lower()


# aiosmtpd warns that AUTH is allowed without STARTTLS; the connection is TLS from its first byte.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
async def test_implicit_tls_smtps(
    client: Client, organiser: Organiser, settings: Settings, certificate: tuple[Path, Path]
) -> None:
    relay, port = Relay(), free_port()
    controller = Controller(
        relay, hostname="127.0.0.1", port=port, ready_timeout=30, ssl_context=server_context(certificate),
        # aiosmtpd counts only STARTTLS as TLS for AUTH; here the whole connection is TLS (asserted below).
        auth_required=True, auth_require_tls=False, authenticator=check_password,
    )  # fmt: skip
    controller.start()
    try:
        await queue_mails(client, organiser, 2)
        mails = await send_all(settings, url("smtps", port, cafile=str(certificate[0])))
    finally:
        controller.stop()

    assert [(mail.status, mail.last_error) for mail in mails] == [(MailStatus.SENT, None)] * 2
    assert relay.sessions == [(True, USER.encode())] * 2
