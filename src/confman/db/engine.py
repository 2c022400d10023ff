"""Engine construction, with SQLite configured for a multi-request web server.

SQLite gets WAL (readers never block the writer), foreign keys, a busy timeout, and
``BEGIN IMMEDIATE`` for transactions that may write: a deferred transaction that reads
first and writes later cannot wait for the lock and fails with "database is locked",
whereas an immediate one queues on the busy timeout. Read-only requests (GET/HEAD)
keep plain deferred ``BEGIN`` so that readers run side by side.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from confman.settings import Settings

# True unless the current request is known to be read-only.
_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("confman_write_intent", default=True)


@contextmanager
def read_only_transactions() -> Iterator[None]:
    """Within this block, SQLite transactions begin deferred (shared, non-blocking)."""
    token = _write_intent.set(False)
    try:
        yield
    finally:
        _write_intent.reset(token)


def set_write_intent(writes: bool) -> None:
    _write_intent.set(writes)


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url,
            echo=settings.echo_sql,
            connect_args={"timeout": settings.sqlite_busy_timeout},
        )
        _configure_sqlite(engine, settings)
        return engine
    engine = create_async_engine(
        settings.database_url,
        echo=settings.echo_sql,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_overflow,
        pool_timeout=settings.database_pool_timeout,
        # No ping before each checkout: it cost three round trips (BEGIN, ";", ROLLBACK) on
        # every request, a sixth of a registration's app CPU (py-spy, issue 17). A connection
        # found dead instead fails its request with a 503 (lib/errors.py) and SQLAlchemy then
        # discards every connection the pool held before it, so a database restart costs each
        # worker one answered-503 request; the recycle keeps idle connections younger than any
        # proxy's or firewall's idle timeout.
        pool_pre_ping=False,
        pool_recycle=settings.database_pool_recycle_seconds,
    )

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A read sees one moment: under READ COMMITTED each statement sees its own, and the
        # organisers' list read a registration's row and its waiting-list position on either
        # side of a placement ("pending, position 51" while 50 waited). Reads never fail to
        # serialise under REPEATABLE READ; writes keep the default. Set as the transaction's
        # first statement, so a request answered from memory still opens none.
        if not _write_intent.get():
            connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")

    return engine


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _configure_sqlite(engine: AsyncEngine, settings: Settings) -> None:
    busy_ms = int(settings.sqlite_busy_timeout * 1000)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, not the sqlite3 module.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's own lower() folds only ASCII: searching "иван" must find "Иванова", as on PostgreSQL.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
