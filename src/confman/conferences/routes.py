"""The conferences' routes: the public index and conference page; the API for conferences,
their members, tracks and streams."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from confman.conferences.api import ConferenceController, MemberController, StreamController, TrackController
from confman.conferences.feeds import brand_css, tracks_css
from confman.conferences.pages import conference_page, index_page
from confman.settings import Settings


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    return [
        index_page,
        conference_page,
        ConferenceController,
        MemberController,
        TrackController,
        StreamController,
        tracks_css,
        brand_css,
    ]
