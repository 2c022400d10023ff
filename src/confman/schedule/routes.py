"""The schedule's routes: the frab/c3voc ``schedule.json`` and ``schedule.xml``."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from confman.schedule.feeds import schedule_json, schedule_xml
from confman.settings import Settings


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    return [schedule_json, schedule_xml]
