"""/api/v1/conferences/{conf}/sessions and their speakers."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post, put
from litestar.di import Provide
from litestar.params import FromPath, JSONBody

from confman.accounts.auth import BEARER, AuthenticatedUser, CurrentUser, provide_organiser
from confman.conferences.services import ConferenceService
from confman.db.models import Conference, ConferenceSession
from confman.db.transactions import DbSession
from confman.lib.countries import country_name
from confman.lib.openapi import READ_ERRORS, WRITE_ERRORS
from confman.lib.timezones import to_zone
from confman.lib.urls import session_url
from confman.programme.schemas import (
    SessionCreate,
    SessionOrganiserRead,
    SessionRead,
    SessionSpeakerRead,
    SessionUpdate,
    SpeakerList,
)
from confman.programme.services import SessionService
from confman.settings import AppSettings

ORGANISER = {"organiser": Provide(provide_organiser)}


def session_read(
    conference: Conference, session: ConferenceSession, settings: AppSettings, *, organiser: bool
) -> SessionRead:
    public = SessionRead(
        slug=session.slug,
        guid=session.guid,
        title=session.title,
        abstract=session.abstract,
        kind=session.kind,
        language=session.language,
        track=session.track.slug if session.track else None,
        stream=session.stream.slug if session.stream else None,
        starts_at=to_zone(session.starts_at, conference.timezone),
        ends_at=to_zone(session.ends_at, conference.timezone),
        timezone=conference.timezone,
        duration_minutes=int((session.ends_at - session.starts_at).total_seconds() // 60),
        status=session.status,
        capacity=session.capacity,
        revision=session.revision,
        changed_at=session.changed_at,
        speakers=[
            SessionSpeakerRead(
                slug=link.speaker.slug,
                name=link.speaker.name,
                country=link.speaker.country,
                country_name=country_name(link.speaker.country) if link.speaker.country else None,
                role=link.role,
            )
            for link in session.speaker_links
        ],
        url=session_url(settings.base_url, conference.slug, session.slug),
    )
    if not organiser:
        return public
    return SessionOrganiserRead(
        **public.model_dump(),
        meeting_url=session.meeting_url,
        recording_url=session.recording_url,
        warnings=SessionService.night_warnings(conference, session),
    )


class SessionController(Controller):
    path = "/api/v1/conferences/{conf:str}/sessions"
    tags = ["Sessions"]

    @get("/", summary="The programme: confirmed and cancelled sessions (drafts too for organisers)", raises=READ_ERRORS)
    async def list_sessions(
        self, conf: FromPath[str], db_session: DbSession, current_user: CurrentUser, settings: AppSettings
    ) -> list[SessionRead]:
        access = await ConferenceService(db_session).access(conf, current_user)
        sessions = await SessionService(db_session).list(access.conference, public_only=not access.is_organiser)
        return [session_read(access.conference, s, settings, organiser=access.is_organiser) for s in sessions]

    @post("/", summary="Add a session", dependencies=ORGANISER, security=BEARER, raises=WRITE_ERRORS)
    async def create_session(
        self,
        conf: FromPath[str],
        data: JSONBody[SessionCreate],
        organiser: AuthenticatedUser,
        db_session: DbSession,
        settings: AppSettings,
    ) -> SessionOrganiserRead:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        session = await SessionService(db_session).create(access.conference, data)
        return session_read(access.conference, session, settings, organiser=True)  # type: ignore[return-value]

    @get("/{session:str}", summary="One session", raises=READ_ERRORS)
    async def get_session(
        self,
        conf: FromPath[str],
        session: FromPath[str],
        db_session: DbSession,
        current_user: CurrentUser,
        settings: AppSettings,
    ) -> SessionRead:
        access = await ConferenceService(db_session).access(conf, current_user)
        found = await SessionService(db_session).get(access.conference, session, public_only=not access.is_organiser)
        return session_read(access.conference, found, settings, organiser=access.is_organiser)

    @patch(
        "/{session:str}",
        summary="Change a session (public changes raise its revision)",
        dependencies=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def update_session(
        self,
        conf: FromPath[str],
        session: FromPath[str],
        data: JSONBody[SessionUpdate],
        organiser: AuthenticatedUser,
        db_session: DbSession,
        settings: AppSettings,
    ) -> SessionOrganiserRead:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        service = SessionService(db_session)
        found = await service.get(access.conference, session, public_only=False)
        await service.update(access.conference, found, data)
        return session_read(access.conference, found, settings, organiser=True)  # type: ignore[return-value]

    @put(
        "/{session:str}/speakers",
        summary="Set the session's speakers, roles and order",
        dependencies=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def set_session_speakers(
        self,
        conf: FromPath[str],
        session: FromPath[str],
        data: JSONBody[SpeakerList],
        organiser: AuthenticatedUser,
        db_session: DbSession,
        settings: AppSettings,
    ) -> SessionOrganiserRead:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        service = SessionService(db_session)
        found = await service.get(access.conference, session, public_only=False)
        await service.update(access.conference, found, SessionUpdate(speakers=data))
        return session_read(access.conference, found, settings, organiser=True)  # type: ignore[return-value]

    @delete(
        "/{session:str}",
        summary="Remove a session from the programme",
        dependencies=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def delete_session(
        self, conf: FromPath[str], session: FromPath[str], organiser: AuthenticatedUser, db_session: DbSession
    ) -> None:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        service = SessionService(db_session)
        await service.delete(access.conference, await service.get(access.conference, session, public_only=False))
