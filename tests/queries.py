"""Counting the SQL statements a request sends (pages must not send one per session), and the
database connections in use at once (proof that concurrent requests really overlapped)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


@dataclass
class ConnectionsInUse:
    now: int = 0
    peak: int = 0


@contextmanager
def connections_in_use(engine: Engine) -> Iterator[ConnectionsInUse]:
    """How many of ``engine``'s pooled connections are checked out, and the most at once."""
    count = ConnectionsInUse()

    def checkout(*_: Any) -> None:
        count.now += 1
        count.peak = max(count.peak, count.now)

    def checkin(*_: Any) -> None:
        count.now -= 1

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    try:
        yield count
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "checkin", checkin)
