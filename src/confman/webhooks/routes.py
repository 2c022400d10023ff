"""The webhooks' routes: the organisers' API."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from confman.settings import Settings
from confman.webhooks.api import WebhookController


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    return [WebhookController]
