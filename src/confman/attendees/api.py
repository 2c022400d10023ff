"""Organisers' view of attendance as JSON: per session, who is registered for it and who
joined (``attendees/attendance.py`` reads the figures; the organisers' pages show the same)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromPath

from confman.accounts.auth import BEARER
from confman.attendees.attendance import attendance, session_attendees
from confman.attendees.schemas import SessionAttendanceRead, SessionAttendeesRead
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.db.transactions import DbSession
from confman.lib.openapi import WRITE_ERRORS


class AttendanceController(Controller):
    path = "/api/v1/conferences/{conf:str}"
    tags = ["Attendance"]
    opt = ORGANISER
    security = BEARER

    @get("/attendance", summary="Attendance per session: registered and joined", raises=WRITE_ERRORS)
    async def list_attendance(
        self, conference_access: ConferenceAccessDependency, db_session: DbSession
    ) -> list[SessionAttendanceRead]:
        return await attendance(db_session, conference_access.conference)

    @get("/sessions/{session:str}/attendance", summary="Who joined a session, and when", raises=WRITE_ERRORS)
    async def session_attendance(
        self, conference_access: ConferenceAccessDependency, session: FromPath[str], db_session: DbSession
    ) -> SessionAttendeesRead:
        return await session_attendees(db_session, conference_access.conference, session)
