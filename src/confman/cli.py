"""The ``confman`` command: demo, run, db, user, token, export, import.

Each command builds its own Settings from ``CONFMAN_*`` variables and commits its
own transaction (request handlers leave committing to the framework).
"""

from __future__ import annotations

import asyncio
import json
import logging.config
import secrets
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click
import uvicorn
from litestar.exceptions import HTTPException
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from confman.accounts.services import MembershipService, TokenService, UserService
from confman.app import create_app
from confman.conferences.services import ConferenceService
from confman.db import migrate
from confman.db.engine import create_engine
from confman.db.models import MemberRole
from confman.lib import metrics
from confman.lib.request_log import logging_config
from confman.lib.timezones import utcnow
from confman.settings import DEFAULT_SQLITE_PATH, Settings

T = TypeVar("T")

DEMO_ORGANISER = "organiser@example.org"
WORKER_START_SECONDS = 60
# `confman run --server`: the first is the default.
SERVERS = ("uvicorn", "granian")
# `confman demo --live` works on this file unless CONFMAN_DATABASE_URL names another.
LIVE_SQLITE_PATH = DEFAULT_SQLITE_PATH.with_name("confman-live.sqlite3")


@asynccontextmanager
async def unit_of_work(settings: Settings) -> AsyncIterator[AsyncSession]:
    """One committed transaction for a CLI command; rolled back if the command fails."""
    engine = create_engine(settings)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            yield session
            await session.commit()
    finally:
        await engine.dispose()


def run(work: Callable[[], Awaitable[T]]) -> T:
    """Run async work; client errors become a message and exit status 1, not a traceback."""
    try:
        return asyncio.run(work())  # type: ignore[arg-type]
    except HTTPException as error:
        raise click.ClickException(str(error.detail)) from error
    except ValueError as error:
        raise click.ClickException(str(error)) from error


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """confman: online conferences for audiences in every time zone and language."""


def _serve(settings: Settings, host: str, port: int, workers: int, server: str = "uvicorn") -> None:
    log_config = logging_config(settings.log_format)
    if server == "granian":
        _serve_granian(host, port, workers)
    elif workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=True, log_config=log_config)
    else:
        # Worker processes build the app from the same CONFMAN_* environment.
        uvicorn.run(
            "confman.app:create_app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            proxy_headers=True,
            log_config=log_config,
            # A worker answers the supervisor's health check only once it has imported and built
            # the app (2-4 s of CPU each); on a busy machine uvicorn's 5 s default killed and
            # restarted workers at start, again and again (issue 18).
            timeout_worker_healthcheck=WORKER_START_SECONDS,
        )


def _serve_granian(host: str, port: int, workers: int) -> None:
    """granian (Rust HTTP, asyncio app), as ``_serve`` runs uvicorn: lifespan (the embedded mail
    worker), proxy headers from 127.0.0.1 (``FORWARDED_ALLOW_IPS``, as uvicorn reads it), the
    access log (redacted by ``lib/log_redaction``), graceful shutdown on SIGTERM/SIGINT. granian
    has no start-up health check to kill slow workers (issue 18), and respawns one that dies."""
    from granian.constants import Interfaces
    from granian.server import Server

    Server(
        "confman.app:create_proxied_app_from_environment",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        log_access=True,
        respawn_failed_workers=True,
    ).serve()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Prepare the database and exit.")
@click.option(
    "--live",
    is_flag=True,
    help="Move the programme so that its first session starts in 10 minutes: its join window is open now.",
)
@click.option(
    "--live-in",
    type=click.IntRange(0, 24 * 3600),
    metavar="SECONDS",
    help="Like --live, but the first session's join window opens this many seconds from now.",
)
def demo(host: str, port: int, no_serve: bool, live: bool, live_in: int | None) -> None:
    """Migrate a local SQLite database, load the demo conference and serve it."""
    settings = Settings()
    if settings.base_url == Settings.model_fields["base_url"].default:
        settings = settings.model_copy(update={"base_url": f"http://{host}:{port}"})
    if (live or live_in is not None) and settings.database_url == Settings.model_fields["database_url"].default:
        # The live demo moves the programme to today: in a file of its own, so the next plain
        # `confman demo` still shows the announced dates.
        settings = settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{LIVE_SQLITE_PATH}"})
    # The demo shows its local mailbox in the browser (e-mails go there unless CONFMAN_SMTP_URL is set).
    settings = settings.model_copy(update={"dev_pages": True})

    async def prepare() -> tuple[str | None, str, tuple[str, datetime] | None]:
        from confman.demo.data import demo_exists, load_demo, shift_demo_live

        await migrate.upgrade(settings)
        async with unit_of_work(settings) as db:
            users = UserService(db)
            password = None
            organiser = await users.get_by_email(DEMO_ORGANISER)
            if organiser is None:
                password = secrets.token_urlsafe(12)
                organiser = await users.create(DEMO_ORGANISER, "Demo Organiser", password)
            if not await demo_exists(db):
                await load_demo(db, organiser, utcnow().date())
            live_session = None
            if live or live_in is not None:
                # Join windows open 15 minutes before the start: --live opened it 5 minutes ago.
                opens_in = timedelta(seconds=live_in) if live_in is not None else timedelta(minutes=-5)
                first = await shift_demo_live(db, utcnow(), settings.base_url, opens_in)
                live_session = (first.slug, first.starts_at)
            # One live demo token at a time: each start revokes the one it printed before.
            _, token = await TokenService(db).replace(organiser, "demo")
        return password, token, live_session

    password, token, live_session = run(prepare)
    base = settings.base_url
    click.echo(f"confman demo on {base}/  (database: {settings.database_url})")
    click.echo(f"  conference page:   {base}/climate-2027/   (programme: {base}/climate-2027/programme/)")
    click.echo(f"  conference (JSON): {base}/api/v1/conferences/climate-2027")
    click.echo(f"  sessions (JSON):   {base}/api/v1/conferences/climate-2027/sessions")
    click.echo(f"  API documentation: {base}/schema/swagger")
    click.echo(f"  register:          {base}/climate-2027/register/")
    if not settings.smtp_url:
        click.echo(f"  e-mails (local):   {base}/_dev/mailbox/   (written to {settings.mailbox_dir}/)")
    click.echo(f"  organiser token:   {token}   (use as 'Authorization: Bearer …')")
    click.echo(f"  organiser pages:   {base}/orga/login")
    if password:
        click.echo(f"  organiser login:   {DEMO_ORGANISER} / {password}   (shown once)")
    else:
        click.echo(
            f"  organiser login:   {DEMO_ORGANISER}   (password shown on the first run; a new one via"
            f" {base}/orga/password/forgot, the e-mail lands in the local mailbox)"
        )
    if live_session:
        slug, starts_at = live_session
        click.echo(
            f"  live:              {base}/climate-2027/sessions/{slug}/ starts {starts_at:%H:%M} UTC; its join"
            " window opens 15 minutes before. Register, confirm in the mailbox, open your page from the e-mail."
        )
    if not no_serve:
        _serve(settings, host, port, workers=1)


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", default=1, show_default=True, help="Worker processes.")
@click.option(
    "--server",
    type=click.Choice(SERVERS),
    default=SERVERS[0],
    show_default=True,
    help="The HTTP server (benchmarks/README.md compares them).",
)
def run_server(host: str, port: int, workers: int, server: str) -> None:
    """Serve the application (migrate first with `confman db upgrade`)."""
    settings = Settings()
    with metrics_server(settings, host, workers):
        _serve(settings, host, port, workers, server)


@contextmanager
def metrics_server(settings: Settings, host: str, workers: int) -> Iterator[None]:
    """With CONFMAN_METRICS_PORT: every worker's metrics (prometheus-client's multiprocess
    files, in a folder emptied now) and the database's figures, served from this process."""
    if settings.metrics_port is None:
        yield
        return
    from confman.ops.gauges import DatabaseCollector

    # One process serves in this one: its own registry; several write their files for this one to add up.
    folder, owned = metrics.prepare_multiprocess_dir() if workers > 1 else (None, False)
    registry = metrics.process_registry(multiprocess_workers=workers > 1, extra=[DatabaseCollector(settings)])
    metrics.serve_metrics(host, settings.metrics_port, registry)
    try:
        yield
    finally:
        if folder is not None and owned:
            metrics.remove_multiprocess_dir(folder)


@main.command("worker")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
def worker_command(once: bool) -> None:
    """Send e-mails from the outbox (run as many as you like; set CONFMAN_MAIL_WORKER_EMBEDDED=false)."""
    import signal

    from confman.worker import MailWorker

    settings = Settings()
    logging.config.dictConfig(logging_config(settings.log_format))

    async def work() -> None:
        worker = MailWorker(settings)
        try:
            if once:
                while await worker.run_once():
                    pass
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signal_number in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signal_number, stop.set)
            click.echo(f"confman worker {worker.worker_id}: sending from the outbox", err=True)
            await worker.run(stop)
        finally:
            await worker.close()

    run(work)


@main.group()
def db() -> None:
    """Database schema migrations (Alembic, in migrations/)."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: the newest)."""
    settings = Settings()
    run(lambda: migrate.upgrade(settings, revision))
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION ('base' empties it)."""
    settings = Settings()
    run(lambda: migrate.downgrade(settings, revision))
    click.echo(f"database at {revision}")


@db.command("check")
def db_check() -> None:
    """Fail when the models and the migrated database disagree."""
    settings = Settings()
    found = run(lambda: migrate.differences(settings))
    if found:
        raise click.ClickException(f"models and migrations disagree: {found}")
    click.echo("models and migrations agree")


@main.group()
def user() -> None:
    """Organiser accounts."""


@user.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="At least 12 characters.")
def user_create(email: str, name: str, password: str) -> None:
    """Create an organiser account."""
    settings = Settings()

    async def work() -> str:
        async with unit_of_work(settings) as session:
            created = await UserService(session).create(email, name, password)
            return created.email

    click.echo(f"created {run(work)}")


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--email", required=True, help="The organiser the token acts for.")
@click.option("--name", default="cli", show_default=True, help="A label to tell tokens apart.")
def token_create(email: str, name: str) -> None:
    """Create an API token and print it (only its hash is stored)."""
    settings = Settings()

    async def work() -> str:
        async with unit_of_work(settings) as session:
            owner = await UserService(session).get_by_email(email)
            if owner is None:
                raise click.ClickException(f"no organiser account {email}")
            _, secret = await TokenService(session).issue(owner, name)
            return secret

    click.echo(run(work))


@main.command("export")
@click.argument("slug")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: standard output.")
def export_command(slug: str, output: Path | None) -> None:
    """Write a whole conference as JSON (includes meeting URLs: keep the file private)."""
    from confman.transfer.services import export_conference

    settings = Settings()

    async def work() -> dict[str, Any]:
        async with unit_of_work(settings) as session:
            return await export_conference(session, slug)

    text = json.dumps(run(work), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["confman", "frab"]),
    default="confman",
    show_default=True,
    help="confman: a file from `confman export`; frab: a frab/c3voc schedule.json (what pretalx exports).",
)
@click.option("--conference", help="frab only: the slug of the conference to fill.")
@click.option(
    "--create", is_flag=True, help="frab only: make the conference (a draft) from the file's conference block first."
)
@click.option("--owner", help="E-mail of an organiser account to make owner of the imported conference.")
def import_command(file: Path, file_format: str, conference: str | None, create: bool, owner: str | None) -> None:
    """Read a conference or a schedule into the database, all or nothing."""
    from confman.schedule.frab_conference import conference_from_frab
    from confman.schedule.importer import import_frab_schedule
    from confman.transfer.services import import_conference

    settings = Settings()
    if file_format == "frab" and conference is None:
        raise click.UsageError("--format frab needs --conference SLUG")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.ClickException(f"{file}: not JSON: {error}") from error

    async def work() -> str:
        async with unit_of_work(settings) as session:
            account = None
            if owner is not None:
                account = await UserService(session).get_by_email(owner)
                if account is None:
                    raise click.ClickException(f"no organiser account {owner}")
            if file_format == "frab":
                assert conference is not None
                conferences = ConferenceService(session)
                if create:
                    target = await conferences.create(conference_from_frab(data, conference), account)
                else:
                    try:
                        target = await conferences.get_for_operator(conference)
                    except HTTPException as error:
                        raise click.ClickException(
                            f"{error.detail}: {conference} (add --create to make it from the file's conference block)"
                        ) from None
                created = await import_frab_schedule(session, target, data)
                made = "created {slug} (a draft) and " if create else ""
                return f"{made.format(slug=conference)}imported {created} sessions into {conference}"
            imported = await import_conference(session, data)
            if account is not None:
                await MembershipService(session).add(imported, account.email, MemberRole.OWNER)
            return f"imported {imported.slug}"

    click.echo(run(work))
