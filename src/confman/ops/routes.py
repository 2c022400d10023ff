"""What ops serves: the health and readiness checks."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from confman.ops.health import HANDLERS
from confman.settings import Settings


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    return list(HANDLERS)
