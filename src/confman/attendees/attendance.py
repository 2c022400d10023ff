"""Organisers' view of attendance: per session, who is registered for it and who joined.

"Registered" is what the gate would let in: confirmed registrants following the session
(all of them, unless they chose some), or, for a session with a capacity, its confirmed
seats. "Joined" counts registrants who went through the join gate at least once, as a
person: see :func:`counts_as_a_join`. The API (``attendees/api.py``) and the organisers' pages
(``orga/attendance.py``) both read these.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.attendees.schemas import AttendeeJoinRead, SessionAttendanceRead, SessionAttendeesRead
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
from confman.lib.errors import not_found

# Mail systems and chat apps open every link of a message to check or preview it (Microsoft's
# Safe Links, Proofpoint, Mimecast, Barracuda, Slack/WhatsApp/Telegram previews, …), and
# scripts fetch without a browser. Their User-Agent says so; a person's browser does not.
_NOT_A_PERSON = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|preview|scan|safelinks|proofpoint|mimecast|barracuda|urldefense|"
    r"fortiguard|symantec|trend ?micro|sophos|forcepoint|ms-office|microsoft office|google-safety|"
    r"googleimageproxy|facebookexternalhit|whatsapp|telegram|slack|discord|skype|linkexpanding|"
    r"curl/|wget/|python-requests|python-urllib|python-httpx|aiohttp|go-http-client|java/|okhttp|libwww",
    re.IGNORECASE,
)


def counts_as_a_join(method: str, user_agent: str) -> bool:
    """Whether a request through the join gate counts as attendance. Everyone inside the window
    is still sent on (the link is a redirect, DESIGN.md), but only a GET from what calls itself
    a browser is counted: no HEAD, no empty User-Agent, none that names a link scanner, a
    preview fetcher or an HTTP library. A scanner that passes as a browser still counts."""
    return method == "GET" and bool(user_agent.strip()) and not _NOT_A_PERSON.search(user_agent)


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


async def session_attendees(db: AsyncSession, conference: Conference, session: str) -> SessionAttendeesRead:
    """One public session's figures and who joined it (first join first); 404 for any other."""
    figures = next((row for row in await attendance(db, conference) if row.session == session), None)
    if figures is None:
        raise not_found("Session not found")
    rows = await db.execute(
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
