"""/orga/{conf}/attendance/: per public session, how many registrants the join gate lets in,
how many joined and how often; and per session, who joined, first and last time.

The figures are the API's (``attendees/attendance.py``), in a fixed number of queries
whatever the conference's size; times are shown in the conference's zone.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from confman.accounts.auth import AuthenticatedUser
from confman.attendees.attendance import attendance, session_attendees
from confman.attendees.schemas import SessionAttendanceRead
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.db.models import Conference
from confman.db.transactions import DbSession
from confman.orga.frame import conference_path, orga_context, orga_page
from confman.orga.registrations import moment, registrations_path
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency


def _figures(conference: Conference, row: SessionAttendanceRead, language: str, formatting: str) -> dict[str, Any]:
    return {
        "slug": row.session,
        "title": conference.text(row.title, language) or row.session,
        "starts": moment(row.starts_at, conference.timezone, formatting),
        "capacity": row.capacity,
        "registered": row.registered,
        "joined": row.joined,
        "joins": row.joins,
        "url": conference_path(conference.slug, f"attendance/{row.session}/"),
    }


@get("/{conf:str}/attendance/", name="orga:attendance", opt=ORGANISER)
async def attendance_page(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    context = orga_context(
        request, base_url=settings.base_url, user=organiser, access=conference_access, section="attendance"
    )
    viewer = context["viewer"]
    rows = await attendance(db_session, conference)
    context.update(
        sessions=[_figures(conference, row, viewer.language, viewer.formatting) for row in rows],
        zone=conference.timezone,
    )
    return orga_page(page_renderer, "orga/attendance/list.html", context)


@get("/{conf:str}/attendance/{session:str}/", name="orga:session-attendance", opt=ORGANISER)
async def session_attendance_page(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    session: FromPath[str],
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    found = await session_attendees(db_session, conference, session)
    context = orga_context(
        request, base_url=settings.base_url, user=organiser, access=conference_access, section="attendance"
    )
    formatting, zone = context["viewer"].formatting, conference.timezone
    context.update(
        session=_figures(conference, found, context["viewer"].language, formatting),
        attendees=[
            {
                "name": person.name,
                "email": person.email,
                "url": registrations_path(conference.slug, f"{person.registration_id}/"),
                "first": moment(person.first_joined_at, zone, formatting),
                "last": moment(person.last_joined_at, zone, formatting),
                "joins": person.joins,
            }
            for person in found.attendees
        ],
        zone=zone,
        list_url=conference_path(conference.slug, "attendance/"),
    )
    return orga_page(page_renderer, "orga/attendance/session.html", context)


HANDLERS = [attendance_page, session_attendance_page]
