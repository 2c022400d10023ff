"""Where e-mails go: an SMTP server (aiosmtplib) or, by default, a local mailbox folder."""

from __future__ import annotations

import hashlib
import os
import tempfile
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from types import TracebackType
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from confman.settings import Settings


class DeliveryError(Exception):
    """The e-mail did not leave. ``permanent``: retrying cannot help (the server refused it)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Transport(Protocol):
    async def __aenter__(self) -> Transport: ...

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None: ...

    async def send(self, message: EmailMessage) -> None: ...


def mailbox_file_name(message_id: str) -> str:
    # One file per Message-ID: a repeated delivery replaces the file instead of adding one.
    return hashlib.sha256(message_id.encode()).hexdigest()[:32] + ".eml"


class MailboxTransport:
    """Writes each e-mail as an ``.eml`` file (atomically) into a folder; the demo shows it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def __aenter__(self) -> MailboxTransport:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        return None

    async def send(self, message: EmailMessage) -> None:
        target = self.folder / mailbox_file_name(str(message["Message-ID"]))
        try:
            descriptor, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(descriptor, "wb") as out:
                out.write(message.as_bytes(policy=SMTP))
            os.replace(temporary, target)
        except OSError as error:
            raise DeliveryError(f"mailbox: {error}") from error


class SmtpTransport:
    """One SMTP connection for a batch: smtp:// (STARTTLS when the server offers it),
    smtps:// (implicit TLS); ``?starttls=off`` for a local relay without TLS,
    ``?starttls=required`` to refuse a server that does not offer it (credentials never
    cross in clear), ``?cafile=/path/ca.pem`` to trust a private relay's certificate
    authority instead of the system's. Certificates are always verified."""

    def __init__(self, url: str, timeout: float = 60.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError(f"CONFMAN_SMTP_URL must be smtp://host[:port] or smtps://host[:port], not {url!r}")
        options = parse_qs(parts.query)
        implicit_tls = parts.scheme == "smtps"
        starttls = options.get("starttls", [""])[0]
        starttls_off = starttls in {"off", "false", "0", "no"}
        cafile = options.get("cafile", [None])[0]
        # aiosmtplib's None means "when offered"; True refuses a server without STARTTLS.
        start_tls: bool | None = False if starttls_off or implicit_tls else (True if starttls == "required" else None)
        self.client = aiosmtplib.SMTP(
            hostname=parts.hostname,
            port=parts.port or (465 if implicit_tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=implicit_tls,
            start_tls=start_tls,
            cert_bundle=cafile,
            timeout=timeout,
        )

    async def __aenter__(self) -> SmtpTransport:
        try:
            await self.client.connect()
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"connect: {error}") from error
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            if self.client.is_connected:
                await self.client.quit()
        except (aiosmtplib.SMTPException, OSError):
            self.client.close()

    async def send(self, message: EmailMessage) -> None:
        try:
            await self.client.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as error:
            permanent = all(refusal.code >= 500 for refusal in error.recipients)
            raise DeliveryError(f"refused: {error}", permanent=permanent) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryError(str(error)) from error


def transport_for(settings: Settings) -> Transport:
    if settings.smtp_url:
        return SmtpTransport(settings.smtp_url)
    return MailboxTransport(settings.mailbox_dir)
