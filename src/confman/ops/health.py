"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: database and Redis
reachable, schema at the newest migration). Never cached, no authentication, not in the
public OpenAPI document (they are for load balancers and orchestrators, not API clients)."""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

from alembic.script import ScriptDirectory
from litestar import Request, get
from litestar.datastructures import CacheControlHeader
from litestar.response import Response
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from confman.lib.paths import MIGRATIONS_DIR

CHECK_SECONDS = 2.0
NO_STORE = CacheControlHeader(no_store=True)


@cache
def head_revisions() -> frozenset[str]:
    """The newest migration(s) in migrations/, read once per process."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return frozenset(script.get_heads())


async def _database(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
        await connection.rollback()
    current = frozenset(rows)
    if current != head_revisions():
        return f"schema at {', '.join(sorted(current)) or 'nothing'}, newest is {', '.join(sorted(head_revisions()))}"
    return "ok"


async def _redis(redis: Redis) -> str:
    await redis.ping()
    return "ok"


async def _check(work: Any) -> str:
    try:
        result: str = await asyncio.wait_for(work, CHECK_SECONDS)
    except TimeoutError:
        return "no answer within 2 s"
    except Exception as error:  # any failure is "not ready", named
        return f"unreachable: {type(error).__name__}"
    return result


@get("/healthz", include_in_schema=False, cache_control=NO_STORE, sync_to_thread=False)
def healthz() -> dict[str, str]:
    """Alive: the process answers (no database asked)."""
    return {"status": "ok"}


@get("/readyz", include_in_schema=False, cache_control=NO_STORE)
async def readyz(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """Ready: 200 with each check's "ok", or 503 naming what failed."""
    state = request.app.state
    checks = {"database": await _check(_database(state.engine))}
    redis = state.get("redis")
    if redis is not None:
        checks["redis"] = await _check(_redis(redis))
    ready = all(result == "ok" for result in checks.values())
    return Response(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status_code=HTTP_200_OK if ready else HTTP_503_SERVICE_UNAVAILABLE,
    )


HANDLERS = (healthz, readyz)
