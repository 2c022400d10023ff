"""The attendees' routes: the attendee's page and its forms (behind the CSRF middleware), the
feed and join links (outside it), and the organisers' attendance API."""

from __future__ import annotations

from litestar import Router
from litestar.types import ControllerRouterHandler

from confman.attendees.api import AttendanceController
from confman.attendees.pages import (
    attendee_cancel,
    attendee_erase,
    attendee_feed,
    attendee_follow,
    attendee_links,
    attendee_page,
    attendee_profile,
    attendee_seat,
    join_session,
)
from confman.lib.csrf import form_csrf
from confman.settings import Settings


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    private_pages = Router(
        path="/",
        route_handlers=[
            attendee_page,
            attendee_profile,
            attendee_follow,
            attendee_seat,
            attendee_links,
            attendee_cancel,
            attendee_erase,
        ],
        middleware=[form_csrf(settings.secret_key)],
    )
    # Opened by calendar apps, which have no cookies: outside the CSRF middleware.
    return [private_pages, attendee_feed, join_session, AttendanceController]
