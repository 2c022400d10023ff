"""The migrations build exactly the schema the models describe, and run both ways.

Each check runs on SQLite and on PostgreSQL. The round trip and the drift control use
a database of their own (a new SQLite file, or a throwaway PostgreSQL database), so the
session's shared database is never altered.
"""

from __future__ import annotations

import ast
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url

from confman.db import migrate
from confman.db.base import Base
from confman.db.engine import create_engine
from confman.settings import Settings
from tests.functions import database_functions, file_function

# The same server and switches as tests/conftest.py.
POSTGRES_URL = os.environ.get("CONFMAN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

CONFMAN_TABLES = {
    "account_token",
    "api_token",
    "audit_record",
    "attendee_link",
    "announcement",
    "announcement_sending",
    "attendee_message",
    "conference",
    "conference_member",
    "conference_session",
    "mail_outbox",
    "outbox_event",
    "programme_change",
    "programme_release",
    "registration",
    "registration_settings",
    "registration_tally",
    "registration_token",
    "session_attendance",
    "session_follow",
    "session_reminder",
    "session_seat",
    "session_speaker",
    "speaker",
    "stored_file",
    "stream",
    "track",
    "user_account",
    "web_session",
    "webhook_delivery",
    "webhook_endpoint",
}


async def _admin_execute(sql: str) -> None:
    url = make_url(POSTGRES_URL)
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password, database=url.database
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def fresh_settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    """Settings for a brand-new, empty database (never migrated) of each kind."""
    if request.param == "sqlite":
        yield Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}")
        return
    name = f"confman_fresh_{uuid.uuid4().hex[:12]}"
    try:
        await _admin_execute(f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError) as error:
        if REQUIRE_POSTGRES:
            raise
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {error}")
    try:
        yield Settings(database_url=make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False))
    finally:
        await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _inspect(settings: Settings, look: Any) -> Any:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(look)
    finally:
        await engine.dispose()


async def _tables(settings: Settings) -> set[str]:
    def look(connection: Connection) -> set[str]:
        return set(inspect(connection).get_table_names())

    result: set[str] = await _inspect(settings, look)
    return result


async def _leftover_relations(settings: Settings) -> set[str]:
    """Every schema object still in the database (tables, indexes, sequences, triggers, functions), by name."""

    def look(connection: Connection) -> set[str]:
        if connection.dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        else:
            sql = (
                "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace"
                " UNION ALL SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace"
                " UNION ALL SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
            )
        return {row[0] for row in connection.exec_driver_sql(sql)}

    result: set[str] = await _inspect(settings, look)
    return result


async def _current_revision(settings: Settings) -> str | None:
    def look(connection: Connection) -> str | None:
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        return rows[0][0] if rows else None

    result: str | None = await _inspect(settings, look)
    return result


def _head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(migrate.alembic_config(Settings())).get_current_head()
    assert head is not None
    return head


def test_the_models_are_the_tables_the_migrations_know() -> None:
    assert set(Base.metadata.tables) == CONFMAN_TABLES


async def test_models_and_migrations_agree(database_url: str) -> None:
    assert await migrate.differences(Settings(database_url=database_url)) == []


def test_migration_code_registers_every_model_itself() -> None:
    """differences() and env.py must not rely on the app having imported the models.

    Without the import, differences() in a fresh process (the CLI) compares an empty
    metadata and reports every table as "to be removed". (Checked statically: a fresh
    interpreter costs seconds of imports.)
    """
    root = Path(__file__).resolve().parents[2]
    for source in (root / "src/confman/db/migrate.py", root / "migrations/env.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert "confman.db.models" in imported, source


async def test_upgrade_downgrade_upgrade_on_a_fresh_database(fresh_settings: Settings) -> None:
    assert await _tables(fresh_settings) == set()

    await migrate.upgrade(fresh_settings)
    await migrate.upgrade(fresh_settings)  # at head already: nothing to do, nothing breaks
    assert await _tables(fresh_settings) == {*CONFMAN_TABLES, "alembic_version"}
    assert await _current_revision(fresh_settings) == _head()
    assert await migrate.differences(fresh_settings) == []

    await migrate.downgrade(fresh_settings)
    assert await _tables(fresh_settings) <= {"alembic_version"}
    assert await _current_revision(fresh_settings) is None
    # No indexes, sequences or anything else of confman's survive the downgrade either.
    assert await _leftover_relations(fresh_settings) <= {"alembic_version", "alembic_version_pkc"}

    await migrate.upgrade(fresh_settings)
    await migrate.upgrade(fresh_settings)  # at head already: nothing to do, nothing breaks
    assert await _tables(fresh_settings) == {*CONFMAN_TABLES, "alembic_version"}
    assert await _current_revision(fresh_settings) == _head()
    assert await migrate.differences(fresh_settings) == []


async def test_differences_notices_drift_in_either_direction(fresh_settings: Settings) -> None:
    """Control: the agreement check above can fail, both for a missing column and an unknown table."""
    await migrate.upgrade(fresh_settings)
    engine = create_engine(fresh_settings)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE speaker DROP COLUMN timezone"))
    finally:
        await engine.dispose()

    found = await migrate.differences(fresh_settings)
    assert [(kind, table, column.name) for kind, _schema, table, column in found] == [
        ("add_column", "speaker", "timezone")
    ]

    engine = create_engine(fresh_settings)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE speaker ADD COLUMN timezone VARCHAR(64)"))
            await connection.execute(text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
    finally:
        await engine.dispose()

    found = await migrate.differences(fresh_settings)
    assert [(diff[0], diff[1].name) for diff in found] == [("remove_table", "stray")]


async def _execute(settings: Settings, *statements: str) -> list[Any]:
    """Run ``statements`` in one transaction; the last one's rows."""
    engine = create_engine(settings)
    try:
        async with engine.begin() as connection:
            rows: list[Any] = []
            for statement in statements:
                result = await connection.execute(text(statement))
                rows = list(result.all()) if result.returns_rows else []
            return rows
    finally:
        await engine.dispose()


async def _old_conference(settings: Settings) -> int:
    """A published conference written with the columns every old revision has (the ORM would
    also write the columns later migrations add)."""
    from datetime import UTC, date, datetime

    import sqlalchemy as sa

    from confman.db.models import Conference, ConferenceStatus

    later = {"accent_color", "embed_origins"}
    table = sa.table("conference", *(sa.column(c.name, c.type) for c in Conference.__table__.c if c.name not in later))
    now = datetime.now(UTC)
    values = {
        "guid": uuid.uuid4(), "slug": "old-2027", "title": {"en": "Old"}, "description": {}, "timezone": "UTC",
        "default_language": "en", "languages": ["en"], "status": ConferenceStatus.PUBLISHED,
        "starts_on": date(2099, 1, 1), "ends_on": date(2099, 1, 1), "programme_version": 1,
        "programme_changed_at": now, "created_at": now, "updated_at": now,
    }  # fmt: skip
    engine = create_engine(settings)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(sa.insert(table).values(values).returning(table.c.id))
            return int(result.scalar_one())
    finally:
        await engine.dispose()


async def test_0005_counts_the_registrations_already_there_and_its_downgrade_counts_again(
    fresh_settings: Settings,
) -> None:
    """A database with registrations upgrades to a true tally; back at 0004 the old rule places again."""
    await migrate.upgrade(fresh_settings, "0004")
    conference_id = await _old_conference(fresh_settings)
    rows = [("confirmed", "NULL")] * 3 + [("waitlisted", "4"), ("waitlisted", "7"), ("cancelled", "NULL")]
    await _execute(
        fresh_settings,
        *(
            "INSERT INTO registration (conference_id, email, name, timezone, language, answers, consented_at, status,"
            " waitlist_seq, follows_all, created_at, updated_at) VALUES"
            f" ({conference_id}, 'p{n}@example.org', 'P', 'UTC', 'en', '{{}}', CURRENT_TIMESTAMP, '{status}', {seq},"
            " TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            for n, (status, seq) in enumerate(rows)
        ),
    )

    await migrate.upgrade(fresh_settings)

    tally = await _execute(
        fresh_settings, "SELECT conference_id, confirmed, waiting, last_waitlist_seq FROM registration_tally"
    )
    assert [tuple(row) for row in tally] == [(conference_id, 3, 2, 7)]

    await migrate.downgrade(fresh_settings, "0004")
    assert "registration_tally" not in await _tables(fresh_settings)
    if fresh_settings.is_sqlite:
        return
    # PostgreSQL: 0003's placement is back and counts the rows (no tally to read): one pending
    # registration with a "placed" e-mail is put on the waiting list after the highest number.
    placed = await _execute(
        fresh_settings,
        "INSERT INTO registration (conference_id, email, name, timezone, language, answers, consented_at, status,"
        f" follows_all, created_at, updated_at) VALUES ({conference_id}, 'new@example.org', 'N', 'UTC', 'en', '{{}}',"
        " now(), 'pending', TRUE, now(), now())",
        "INSERT INTO registration_settings (conference_id, capacity, waitlist, double_opt_in, privacy_text, questions,"
        " join_opens_minutes, join_closes_minutes, created_at, updated_at)"
        f" VALUES ({conference_id}, 3, TRUE, FALSE, '{{}}', '[]', 15, 0, now(), now())",
        "INSERT INTO mail_outbox (registration_id, message_id, kind, recipient, language, conference_id, context,"
        " status, attempts, next_attempt_at, created_at, updated_at)"
        f" SELECT id, 'm@x', 'placed', email, 'en', {conference_id}, '{{}}', 'pending', 0, now(), now(), now()"
        " FROM registration WHERE email = 'new@example.org'",
    )
    assert placed == []
    after = await _execute(
        fresh_settings, "SELECT status, waitlist_seq FROM registration WHERE email = 'new@example.org'"
    )
    assert [tuple(row) for row in after] == [("waitlisted", 8)]


async def _functions(settings: Settings) -> dict[str, str]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            return await database_functions(connection)
    finally:
        await engine.dispose()


async def _files(settings: Settings, versions: dict[str, int]) -> dict[str, str]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            return {name: await file_function(connection, name, version) for name, version in versions.items()}
    finally:
        await engine.dispose()


async def test_0006_builds_the_seat_rule_from_its_files_and_its_downgrade_restores_0005(
    fresh_settings: Settings,
) -> None:
    """Each revision builds the versions of the functions it names, from their files."""
    at_0005 = {"confman_new_conference_tally": 1, "confman_place_on_commit": 2, "confman_registration_tally": 1}
    await migrate.upgrade(fresh_settings, "0005")
    if fresh_settings.is_sqlite:
        # No functions: 0006 does nothing, both ways.
        await migrate.upgrade(fresh_settings, "0006")
        assert await _current_revision(fresh_settings) == "0006"
        await migrate.downgrade(fresh_settings, "0005")
        assert await _current_revision(fresh_settings) == "0005"
        return
    built_by_0005 = await _functions(fresh_settings)
    assert built_by_0005 == await _files(fresh_settings, at_0005)

    await migrate.upgrade(fresh_settings, "0006")
    assert await _functions(fresh_settings) == await _files(
        fresh_settings, {**at_0005, "confman_place_on_commit": 3, "confman_seat_rule": 1}
    )

    await migrate.downgrade(fresh_settings, "0005")
    assert await _functions(fresh_settings) == built_by_0005


async def test_0007_keeps_queued_mail_and_on_postgresql_the_placement_writes_its_event(
    fresh_settings: Settings,
) -> None:
    """An e-mail queued before 0007 survives it (and its downgrade); on PostgreSQL a placement at
    COMMIT writes its event and points its e-mail at it."""
    await migrate.upgrade(fresh_settings, "0005")
    conference_id = await _old_conference(fresh_settings)
    await _execute(
        fresh_settings,
        "INSERT INTO mail_outbox (message_id, kind, recipient, language, conference_id, context, status, attempts,"
        " next_attempt_at, created_at, updated_at) VALUES ('<old@x>', 'reminder', 'old@example.org', 'en',"
        f" {conference_id}, '{{\"session\": \"s\"}}', 'pending', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP,"
        " CURRENT_TIMESTAMP)",
    )

    await migrate.upgrade(fresh_settings)
    assert await migrate.differences(fresh_settings) == []
    kept = await _execute(fresh_settings, "SELECT message_id, kind, event_id FROM mail_outbox")
    assert [tuple(row) for row in kept] == [("<old@x>", "reminder", None)]

    if not fresh_settings.is_sqlite:
        # One pending registration, on the waiting list of a full conference, with a "placed" e-mail.
        await _execute(
            fresh_settings,
            "INSERT INTO registration_settings (conference_id, capacity, waitlist, double_opt_in, privacy_text,"
            " questions, join_opens_minutes, join_closes_minutes, created_at, updated_at)"
            f" VALUES ({conference_id}, 0, TRUE, FALSE, '{{}}', '[]', 15, 0, now(), now())",
        )
        await _execute(
            fresh_settings,
            "INSERT INTO registration (conference_id, email, name, timezone, language, answers, consented_at,"
            f" status, follows_all, created_at, updated_at) VALUES ({conference_id}, 'new@example.org', 'N', 'UTC',"
            " 'en', '{}', now(), 'pending', TRUE, now(), now())",
            "INSERT INTO mail_outbox (registration_id, message_id, kind, recipient, language, conference_id, context,"
            " status, attempts, next_attempt_at, created_at, updated_at)"
            f" SELECT id, '<new@x>', 'placed', email, 'en', {conference_id}, '{{}}', 'pending', 0, now(), now(), now()"
            " FROM registration WHERE email = 'new@example.org'",
        )
        events = await _execute(
            fresh_settings,
            "SELECT e.name, e.payload_version, e.payload ->> 'position', e.conference_id, m.kind,"
            " e.payload ->> 'registration_id' = CAST(m.registration_id AS TEXT)"
            " FROM mail_outbox m JOIN outbox_event e ON e.id = m.event_id",
        )
        assert [tuple(row) for row in events] == [
            ("registration.waitlisted", 1, "1", conference_id, "waitlisted", True)
        ]

    await migrate.downgrade(fresh_settings, "0005")
    assert "outbox_event" not in await _tables(fresh_settings)
    left = await _execute(fresh_settings, "SELECT message_id, kind FROM mail_outbox ORDER BY id")
    expected = [("<old@x>", "reminder")] + ([] if fresh_settings.is_sqlite else [("<new@x>", "waitlisted")])
    assert [tuple(row) for row in left] == expected
