"""One seat rule: the SQL function ``confman_seat_rule`` and its Python twin decide alike, the
database's functions are the files of the head version, and the placement at COMMIT answers
in a form read without parsing words (a JSON notice; SQLSTATE CF001 when full).

SQLite has no functions: it decides with the Python rule, and the SQL checks skip there.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from confman.db.engine import create_engine
from confman.db.sql import FULL_SQLSTATE, PLACED_NOTICE
from confman.registration.seat_rule import Grant, SeatDecision, seat_rule, seats_for_waiting
from confman.settings import Settings
from tests.factories import Organiser, conference_payload, post_ok, put_registration_settings
from tests.functions import database_functions, file_function, latest_versions

Client = AsyncTestClient[Litestar]


def _cases() -> list[tuple[int | None, int, bool, int, int]]:
    """Capacity unlimited, none, one and five; confirmed below, at and over it; the waiting
    list on and off; an empty and a used waiting list."""
    cases = []
    for capacity in (None, 0, 1, 5):
        confirmed_counts = (0, 1, 7) if capacity is None else sorted({0, max(capacity - 1, 0), capacity, capacity + 1})
        for confirmed, waitlist, (waiting, last_seq) in itertools.product(
            confirmed_counts, (True, False), ((0, 0), (2, 7), (0, 12))
        ):
            cases.append((capacity, confirmed, waitlist, waiting, last_seq))
    return cases


CASES = _cases()


def test_the_python_rule_gives_a_seat_then_the_waiting_list_then_nothing() -> None:
    assert seat_rule(None, 1000, False, 0, 0) == SeatDecision(Grant.SEAT)
    assert seat_rule(5, 4, False, 0, 0) == SeatDecision(Grant.SEAT)
    assert seat_rule(5, 5, True, 2, 7) == SeatDecision(Grant.WAITLIST, 8, 3)
    assert seat_rule(5, 6, True, 0, 0) == SeatDecision(Grant.WAITLIST, 1, 1)
    assert seat_rule(5, 5, False, 2, 7) == SeatDecision(Grant.FULL)
    assert seat_rule(0, 0, False, 0, 0) == SeatDecision(Grant.FULL)
    assert seat_rule(0, 0, True, 0, 0) == SeatDecision(Grant.WAITLIST, 1, 1)


def test_a_promotion_seats_the_waiting_while_the_rule_gives_seats() -> None:
    assert seats_for_waiting(5, 3, 10) == 2
    assert seats_for_waiting(5, 3, 1) == 1
    assert seats_for_waiting(5, 5, 4) == 0
    assert seats_for_waiting(5, 6, 4) == 0
    assert seats_for_waiting(5, 0, 0) == 0
    assert seats_for_waiting(None, 9, 3) == 3


@pytest.fixture
async def postgresql(database_url: str) -> AsyncIterator[AsyncConnection]:
    """A connection to the session's migrated PostgreSQL database (the SQL checks have no SQLite half)."""
    settings = Settings(database_url=database_url)
    if settings.is_sqlite:
        pytest.skip("SQLite has no functions; it decides with the Python rule")
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            yield connection
    finally:
        await engine.dispose()


async def test_the_sql_rule_decides_as_the_python_rule(postgresql: AsyncConnection) -> None:
    assert len(CASES) == 72
    values = ", ".join(
        f"({n}, {'NULL' if capacity is None else capacity}::INTEGER, {confirmed}, {waitlist}, {waiting}, {last_seq})"
        for n, (capacity, confirmed, waitlist, waiting, last_seq) in enumerate(CASES)
    )
    rows = await postgresql.execute(
        text(
            'SELECT d."grant", d.waitlist_seq, d."position"'
            f" FROM (VALUES {values}) AS c(n, capacity, confirmed, waitlist, waiting, last_seq)"
            " CROSS JOIN LATERAL confman_seat_rule(c.capacity, c.confirmed, c.waitlist, c.waiting, c.last_seq) AS d"
            " ORDER BY c.n"
        )
    )

    in_sql = [SeatDecision(Grant(grant), seq, position) for grant, seq, position in rows.tuples()]
    assert in_sql == [seat_rule(*case) for case in CASES]
    # Every answer of the rule is among the cases.
    assert {decision.grant for decision in in_sql} == set(Grant)


async def test_the_database_functions_are_the_files_of_the_head_version(postgresql: AsyncConnection) -> None:
    in_database = await database_functions(postgresql)
    latest = latest_versions()

    assert latest == {
        "confman_new_conference_tally": 1,
        "confman_place_on_commit": 3,
        "confman_placement_event": 1,
        "confman_registration_tally": 1,
        "confman_seat_rule": 1,
        "confman_webhook_deliveries": 1,
    }
    # Every function has its file, and is what its newest file builds.
    assert set(in_database) == set(latest)
    for name, version in latest.items():
        assert in_database[name] == await file_function(postgresql, name, version), name


async def test_the_file_comparison_tells_an_older_version_apart(postgresql: AsyncConnection) -> None:
    """Control: the comparison above can fail."""
    in_database = await database_functions(postgresql)

    older = await file_function(postgresql, "confman_place_on_commit", 2)

    assert "confman.placed" not in older
    assert in_database["confman_place_on_commit"] != older


@pytest.fixture
async def conference_id(client: Client, organiser: Organiser, settings: Settings) -> int:
    if settings.is_sqlite:
        pytest.skip("SQLite places inside the request; there is no placement at COMMIT")
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await put_registration_settings(client, organiser, "climate-2027", capacity=1, double_opt_in=False)
    return int((await _rows(settings, "SELECT id FROM conference WHERE slug = 'climate-2027'"))[0])


async def _rows(settings: Settings, sql: str) -> list[Any]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(text(sql))).scalars())
    finally:
        await engine.dispose()


async def _place(settings: Settings, conference_id: int, email: str) -> tuple[int, list[tuple[str, Any]]]:
    """A pending registration and its "placed" e-mail committed by hand: its id and the notices."""
    url = make_url(settings.database_url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password, database=url.database
    )
    notices: list[tuple[str, Any]] = []
    connection.add_log_listener(lambda _c, message: notices.append((message.message, json.loads(message.detail))))
    try:
        async with connection.transaction():
            registration_id: int = await connection.fetchval(
                "INSERT INTO registration (conference_id, email, name, timezone, language, answers, consented_at,"
                " status, follows_all, created_at, updated_at) VALUES ($1, $2, 'N', 'UTC', 'en', '{}', now(),"
                " 'pending', TRUE, now(), now()) RETURNING id",
                conference_id,
                email,
            )
            await connection.execute(
                "INSERT INTO mail_outbox (registration_id, message_id, kind, recipient, language, conference_id,"
                " context, status, attempts, next_attempt_at, created_at, updated_at)"
                " VALUES ($1, $2, 'placed', $3, 'en', $4, '{}', 'pending', 0, now(), now(), now())",
                registration_id,
                f"<{email}>",
                email,
                conference_id,
            )
    finally:
        await connection.close()
    return registration_id, notices


async def test_the_placement_reports_itself_as_json(settings: Settings, conference_id: int) -> None:
    seated, seated_notices = await _place(settings, conference_id, "ana@example.org")
    waiting, waiting_notices = await _place(settings, conference_id, "ben@example.org")

    assert seated_notices == [(PLACED_NOTICE, {"registration": seated, "status": "confirmed", "position": None})]
    assert waiting_notices == [(PLACED_NOTICE, {"registration": waiting, "status": "waitlisted", "position": 1})]


async def test_a_full_conference_aborts_the_commit_with_its_own_sqlstate(
    client: Client, organiser: Organiser, settings: Settings, conference_id: int
) -> None:
    await _place(settings, conference_id, "ana@example.org")
    await put_registration_settings(client, organiser, "climate-2027", capacity=1, waitlist=False, double_opt_in=False)

    with pytest.raises(asyncpg.PostgresError) as refused:
        await _place(settings, conference_id, "ben@example.org")

    assert (refused.value.sqlstate, refused.value.args[0]) == (FULL_SQLSTATE, "confman: conference full")
    assert await _rows(settings, "SELECT email FROM registration ORDER BY id") == ["ana@example.org"]
