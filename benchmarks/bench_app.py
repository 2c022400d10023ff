"""The production app plus a bare endpoint, so both are measured in one server and one run."""

from __future__ import annotations

from litestar import Litestar, get

from confman.app import create_app
from confman.settings import Settings


@get("/_bench/bare", media_type="text/plain", include_in_schema=False)
async def bare() -> str:
    return "ok"


def create_bench_app() -> Litestar:
    app = create_app(Settings())
    app.register(bare)
    return app
