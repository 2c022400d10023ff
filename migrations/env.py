"""Alembic environment. confman runs it through ``confman.db.migrate`` with a live connection."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

import confman.db.models  # noqa: F401  (every model registers its table)
from confman.db.base import Base
from confman.db.engine import create_engine
from confman.db.migrate import compare_type
from confman.settings import Settings

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=compare_type,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )


def run_migrations_with(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_new_engine() -> None:
    engine = create_engine(Settings(database_url=config.get_main_option("sqlalchemy.url") or Settings().database_url))
    async with engine.begin() as connection:
        await connection.run_sync(run_migrations_with)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations_with(connection)
else:
    # Plain `alembic` command line use.
    asyncio.run(_run_with_new_engine())
