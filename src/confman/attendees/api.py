"""Organisers' view of attendance: per session, who is registered for it and who joined.

"Registered" is what the gate would let in: confirmed registrants following the session
(all of them, unless they chose some), or, for a session with a capacity, its confirmed
seats. "Joined" counts registrants who went through the join gate at least once.
"""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get
from litestar.params import FromPath
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.accounts.auth import BEARER
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.db.models import (
    Conference,
    ConferenceSession,
    Registration,
    RegistrationStatus,
    SeatStatus,
    SessionAttendance,
    SessionFollow,
    SessionSeat,
    SessionStatus,
)
from confman.db.transactions import DbSession
from confman.lib.errors import not_found
from confman.lib.openapi import WRITE_ERRORS


class SessionAttendanceRead(BaseModel):
    session: str
    title: dict[str, str]
    starts_at: datetime
    capacity: int | None
    registered: int = Field(description="Confirmed registrants the join gate lets in (seats, for a capacity).")
    joined: int = Field(description="Registrants who joined at least once.")
    joins: int = Field(description="Every pass through the join gate.")


class AttendeeJoinRead(BaseModel):
    registration_id: int
    name: str
    email: str
    first_joined_at: datetime
    last_joined_at: datetime
    joins: int


class SessionAttendeesRead(SessionAttendanceRead):
    attendees: list[AttendeeJoinRead]


async def attendance(db: AsyncSession, conference: Conference) -> list[SessionAttendanceRead]:
    """Every public session's figures, in a fixed number of queries whatever the conference's size."""
    sessions = list(
        await db.scalars(
            select(ConferenceSession)
            .where(ConferenceSession.conference_id == conference.id, ConferenceSession.status != SessionStatus.DRAFT)
            .order_by(ConferenceSession.starts_at, ConferenceSession.slug)
        )
    )
    confirmed = (Registration.conference_id == conference.id) & (Registration.status == RegistrationStatus.CONFIRMED)
    everyone = int(await db.scalar(select(func.count()).where(confirmed, Registration.follows_all)) or 0)
    chosen = dict(
        (
            await db.execute(
                select(SessionFollow.session_id, func.count())
                .join(Registration, Registration.id == SessionFollow.registration_id)
                .where(confirmed, ~Registration.follows_all)
                .group_by(SessionFollow.session_id)
            )
        )
        .tuples()
        .all()
    )
    seats = dict(
        (
            await db.execute(
                select(SessionSeat.session_id, func.count())
                .join(ConferenceSession, ConferenceSession.id == SessionSeat.session_id)
                .where(ConferenceSession.conference_id == conference.id, SessionSeat.status == SeatStatus.CONFIRMED)
                .group_by(SessionSeat.session_id)
            )
        )
        .tuples()
        .all()
    )
    joined = {
        session_id: (int(people), int(passes or 0))
        for session_id, people, passes in await db.execute(
            select(SessionAttendance.session_id, func.count(), func.sum(SessionAttendance.joins))
            .join(ConferenceSession, ConferenceSession.id == SessionAttendance.session_id)
            .where(ConferenceSession.conference_id == conference.id)
            .group_by(SessionAttendance.session_id)
        )
    }
    return [
        SessionAttendanceRead(
            session=session.slug,
            title=session.title,
            starts_at=session.starts_at,
            capacity=session.capacity,
            registered=int(seats.get(session.id, 0)) if session.capacity else everyone + int(chosen.get(session.id, 0)),
            joined=joined.get(session.id, (0, 0))[0],
            joins=joined.get(session.id, (0, 0))[1],
        )
        for session in sessions
    ]


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
        conference = conference_access.conference
        figures = next((row for row in await attendance(db_session, conference) if row.session == session), None)
        if figures is None:
            raise not_found("Session not found")
        rows = await db_session.execute(
            select(
                Registration.id,
                Registration.name,
                Registration.email,
                SessionAttendance.first_joined_at,
                SessionAttendance.last_joined_at,
                SessionAttendance.joins,
            )
            .join(SessionAttendance, SessionAttendance.registration_id == Registration.id)
            .join(ConferenceSession, ConferenceSession.id == SessionAttendance.session_id)
            .where(ConferenceSession.conference_id == conference.id, ConferenceSession.slug == session)
            .order_by(SessionAttendance.first_joined_at, Registration.id)
        )
        return SessionAttendeesRead(
            **figures.model_dump(),
            attendees=[
                AttendeeJoinRead(
                    registration_id=registration_id,
                    name=name,
                    email=email,
                    first_joined_at=first,
                    last_joined_at=last,
                    joins=joins,
                )
                for registration_id, name, email, first, last, joins in rows
            ],
        )
