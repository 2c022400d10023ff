"""The programme's routes: the programme and session pages (and sessions' ``.ics``) and the sessions' API."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from confman.programme.api import SessionController
from confman.programme.embed import embed_programme
from confman.programme.pages import programme_page, session_page
from confman.programme.picks_pages import picks_page
from confman.settings import Settings


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    return [programme_page, session_page, picks_page, SessionController, embed_programme]
