"""The local mailbox in the browser: in the demo and in debug only."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from confman.mail.dev_pages import DEV_HANDLERS
from confman.settings import Settings


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    return list(DEV_HANDLERS) if settings.dev_pages or settings.debug else []
