"""The database's functions next to their files (``src/confman/db/sql/<function>.v<version>.sql``).

PostgreSQL itself normalises both sides: a file is built in a scratch schema inside a
transaction that is rolled back, and ``pg_get_functiondef`` of that build is compared with the
function the migrations made in ``public``.
"""

from __future__ import annotations

import re
from importlib.resources import files

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from confman.db.sql import load_sql

_FILE = re.compile(r"(?P<name>[a-z_]+)\.v(?P<version>\d+)\.sql")
_SCRATCH = "confman_file_check"


def latest_versions() -> dict[str, int]:
    """Each function with a file, and its newest version: what the head revision builds."""
    latest: dict[str, int] = {}
    for entry in files("confman.db.sql").iterdir():
        match = _FILE.fullmatch(entry.name)
        if match is not None:
            latest[match["name"]] = max(latest.get(match["name"], 0), int(match["version"]))
    return latest


async def database_functions(connection: AsyncConnection) -> dict[str, str]:
    """Every function in ``public`` by name, as PostgreSQL prints it."""
    rows = await connection.execute(
        text(
            "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p"
            " WHERE p.pronamespace = 'public'::regnamespace ORDER BY p.proname"
        )
    )
    return dict(rows.tuples().all())


async def file_function(connection: AsyncConnection, name: str, version: int) -> str:
    """The function that ``name``'s file of ``version`` builds, printed as if it were in ``public``."""
    async with connection.begin_nested() if connection.in_transaction() else connection.begin() as scratch:
        await connection.execute(text(f"CREATE SCHEMA {_SCRATCH}"))
        await connection.execute(text(f"SET LOCAL search_path TO {_SCRATCH}"))
        await connection.execute(text(load_sql(name, version)))
        definition = await connection.scalar(
            text(
                "SELECT pg_get_functiondef(p.oid) FROM pg_proc p"
                f" WHERE p.pronamespace = '{_SCRATCH}'::regnamespace AND p.proname = :name"
            ),
            {"name": name},
        )
        await scratch.rollback()
    assert isinstance(definition, str)
    return definition.replace(f"{_SCRATCH}.", "public.")
