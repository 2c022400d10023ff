"""The production app plus a bare endpoint, so both are measured in one server and one run."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, get, post
from litestar.types import ASGIApp
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, insert

from confman.app import create_app, freeze_startup_objects
from confman.db.transactions import DbSession
from confman.settings import Settings

# Not a confman table: benchmarks/registration_load.py creates it for the bare-insert baseline.
BENCH_METADATA = MetaData()
BENCH_INSERT = Table(
    "bench_insert",
    BENCH_METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False),
    Column("created_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
)


@get("/_bench/bare", media_type="text/plain", include_in_schema=False)
async def bare() -> str:
    return "ok"


@post("/_bench/insert", include_in_schema=False, status_code=201, exclude_from_csrf=True)
async def bare_insert(data: dict[str, Any], db_session: DbSession) -> dict[str, str]:
    """One row through SQLAlchemy in the request's transaction: the floor a registration stands on."""
    await db_session.execute(insert(BENCH_INSERT).values(email=str(data.get("email", ""))[:320]))
    return {"result": "ok"}


def create_bench_app() -> Litestar:
    app = create_app(Settings())
    app.register(bare)
    app.register(bare_insert)
    # As create_app_from_environment does for the production server.
    app.on_startup.append(freeze_startup_objects)
    return app


def create_proxied_bench_app() -> ASGIApp:
    """The same behind granian, with the proxy headers `confman run --server granian` reads."""
    from granian.utils.proxies import wrap_asgi_with_proxy_headers

    proxied: ASGIApp = wrap_asgi_with_proxy_headers(create_bench_app())
    return proxied
