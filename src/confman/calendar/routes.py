"""The calendar's route: ``/{conf}/programme.ics`` (the session and speaker pages answer their own ``.ics``)."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from confman.calendar.feeds import programme_ics
from confman.settings import Settings


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    return [programme_ics]
