"""Run Alembic migrations (in ``migrations/``) from code: the CLI, the demo and the tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

# Every model must be registered on Base.metadata before it is compared with a database;
# without this, differences() in a fresh process reports every table as "to be removed".
import confman.db.models  # noqa: F401
from confman.db.base import GUID, Base
from confman.db.engine import create_engine
from confman.lib.paths import MIGRATIONS_DIR
from confman.settings import Settings


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", settings.database_url)
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    return config


async def _with_connection(settings: Settings, work: Callable[[Connection], Any]) -> Any:
    engine = create_engine(settings)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(work)
    finally:
        await engine.dispose()


async def upgrade(settings: Settings, revision: str = "head") -> None:
    config = alembic_config(settings)

    def work(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    await _with_connection(settings, work)


async def downgrade(settings: Settings, revision: str = "base") -> None:
    config = alembic_config(settings)

    def work(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    await _with_connection(settings, work)


def compare_type(
    context: MigrationContext, inspected_column: Any, metadata_column: Any, inspected_type: Any, metadata_type: Any
) -> bool | None:
    """Alembic type comparison, minus one false alarm: SQLite reflects GUID columns as NUMERIC."""
    if context.dialect.name == "sqlite" and isinstance(metadata_type, GUID):
        return False
    return None  # Alembic's own comparison


async def differences(settings: Settings) -> list[Any]:
    """What the models have that the migrated database lacks (or the reverse); empty when in step."""

    def work(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": compare_type})
        return list(compare_metadata(context, Base.metadata))

    result: list[Any] = await _with_connection(settings, work)
    return result
