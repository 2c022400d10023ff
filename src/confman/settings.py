"""Runtime configuration, read from ``CONFMAN_*`` environment variables.

Tests and the CLI build their own :class:`Settings`; nothing reads the environment
at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from litestar.di import NamedDependency
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("confman.sqlite3")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONFMAN_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite+aiosqlite:///{DEFAULT_SQLITE_PATH}",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///file or postgresql+asyncpg://…",
    )
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = Field(default="insecure-development-key-change-me", min_length=16)
    debug: bool = False
    # Seconds a SQLite writer waits for the write lock before giving up.
    sqlite_busy_timeout: float = 30.0
    # Connections each worker may hold (PostgreSQL), and how many more it may open for a burst.
    # Overflow connections are closed again when they come back, so a steady load above the
    # pool opened and closed connections all along (10 + 10 did, issue 17): the default holds
    # the same 20 and opens no more. Mind max_connections: servers × workers × (pool + overflow).
    database_pool_size: int = Field(default=20, ge=1)
    database_pool_overflow: int = Field(default=0, ge=0)
    # Seconds a request waits for one of those connections before it is answered 503 with
    # Retry-After: a queue that long is an overload, and a wait past it helps nobody.
    database_pool_timeout: float = Field(default=10.0, gt=0)
    # Seconds after which a pooled connection is closed and replaced when next taken.
    database_pool_recycle_seconds: int = Field(default=1800, ge=60)
    echo_sql: bool = False
    # Seconds a worker trusts its memory of a programme's version before asking the database;
    # feeds and exports reflect a change at most this late (0: always ask).
    programme_cache_seconds: float = Field(default=2.0, ge=0)
    # Password attempts on POST /api/v1/tokens per client address and minute.
    token_attempts_per_minute: int = Field(default=10, ge=1)
    # Registration submits (HTML form and JSON) per client address and minute.
    registration_submits_per_minute: int = Field(default=20, ge=1)
    # Where the rate limits count: empty, each process counts alone (a client gets the limit
    # once per worker and server); redis://host:6379/0, every process and server shares one count.
    redis_url: str = ""
    # The key prefix in Redis, so several confman installations can share one server.
    redis_namespace: str = "confman"
    # Outgoing mail: smtp://[user:password@]host[:port] (STARTTLS when offered), smtps://… for
    # implicit TLS. Empty: e-mails are written to mailbox_dir instead (the embedded default).
    smtp_url: str = ""
    mail_from: str = "confman <noreply@localhost>"
    mailbox_dir: Path = Path("mailbox")
    # Run a mail worker inside each app process (the embedded default); off when `confman
    # worker` processes send instead.
    mail_worker_embedded: bool = True
    mail_poll_seconds: float = Field(default=1.0, gt=0)
    # How often each mail worker looks for due session reminders (queued once, whoever looks).
    reminder_poll_seconds: float = Field(default=30.0, gt=0)
    # A claimed e-mail belongs to its worker this long; a killed worker's e-mails come back after it.
    # How long a claimed e-mail is a worker's; a live worker renews it every third (worker.py),
    # so this is how soon a crashed worker's e-mails are due again.
    mail_lease_seconds: float = Field(default=30.0, gt=0)
    # SMTP connections each mail worker sends over at once (PostgreSQL; SQLite sends over one,
    # its writers queue anyway). A recipient's e-mails always take the same one, in order.
    mail_connections: int = Field(default=4, ge=1, le=32)
    mail_retry_base_seconds: float = Field(default=10.0, gt=0)
    mail_retry_max_seconds: float = Field(default=3600.0, gt=0)
    # An e-mail still undeliverable this long after it was queued is marked failed.
    mail_give_up_seconds: float = Field(default=7 * 24 * 3600.0, gt=0)
    # The organisers' sign-in: a session ends after this many idle minutes, and at the latest
    # this many hours after signing in.
    orga_idle_minutes: int = Field(default=120, ge=1)
    orga_session_hours: int = Field(default=12, ge=1)
    # Sign-in attempts per e-mail address and per client address, each per 15 minutes.
    sign_in_attempts_per_address: int = Field(default=10, ge=1)
    sign_in_attempts_per_client: int = Field(default=30, ge=1)
    # Prometheus metrics of `confman run` (every worker's, and the database's figures) on this
    # port, on the --host it serves; empty: none. Keep it off the public network.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # Log lines as text or as one JSON object each (with the request id either way).
    log_format: Literal["text", "json"] = "text"
    # Webhooks: endpoints on private, loopback, link-local, CGNAT or otherwise non-public
    # addresses are refused unless this allows them (an installation whose receivers live on
    # its own network); plain http:// endpoints likewise.
    webhooks_allow_private: bool = False
    webhooks_allow_http: bool = False
    # Retries: 5 s, 10 s, 20 s … at most 10 h apart; given up 3 days after the event (or replay).
    webhooks_retry_base_seconds: float = Field(default=5.0, gt=0)
    webhooks_retry_max_seconds: float = Field(default=10 * 3600.0, gt=0)
    webhooks_give_up_seconds: float = Field(default=3 * 24 * 3600.0, gt=0)
    # An endpoint is disabled (and its conference's owners told) once this many attempts in a
    # row failed over at least this long without a success between them.
    webhooks_disable_after_failures: int = Field(default=20, ge=1)
    webhooks_disable_after_seconds: float = Field(default=24 * 3600.0, ge=0)
    # A claimed delivery is its worker's this long (an attempt takes at most 10 s).
    webhooks_lease_seconds: float = Field(default=60.0, gt=0)
    # Development pages (the local mailbox at /_dev/mailbox/); on in `confman demo` and debug.
    dev_pages: bool = False

    @property
    def is_https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


# How handlers ask for the running app's settings.
AppSettings = NamedDependency[Settings]
