"""/api/v1/conferences/{conf}/sessions and their speakers."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody

from confman.accounts.auth import BEARER
from confman.conferences.access import ORGANISER, READ, ConferenceAccessDependency
from confman.db.models import Conference, ConferenceSession, SessionStatus
from confman.db.transactions import DbSession
from confman.lib.countries import country_name
from confman.lib.i18n import SOURCE_LANGUAGE, UI_LANGUAGES, parse_accept_language
from confman.lib.openapi import READ_ERRORS, WRITE_ERRORS
from confman.lib.timezones import to_zone
from confman.lib.urls import session_url
from confman.programme.flags import Flag, conference_flags
from confman.programme.schemas import (
    SessionCreate,
    SessionOrganiserRead,
    SessionRead,
    SessionSpeakerRead,
    SessionStatusChange,
    SessionUpdate,
    SessionWarning,
    SpeakerList,
)
from confman.programme.services import SessionService
from confman.published.model import PublicSession, PublishedProgramme
from confman.settings import AppSettings
from confman.site.serve import ProgrammeCacheDependency, serve_public_read


def caller_language(request: Request[Any, Any, Any]) -> str:
    """The interface language the caller asks for (``Accept-Language``), else English."""
    for tag in parse_accept_language(request.headers.get("accept-language", "")):
        language = tag.split("-", 1)[0].lower()
        if language in UI_LANGUAGES:
            return language
    return SOURCE_LANGUAGE


def session_warnings(flags: list[Flag], language: str) -> list[SessionWarning]:
    return [
        SessionWarning(
            code=flag.code.value,
            message=flag.message(language),
            speaker=flag.speaker,
            other_session=flag.other_session,
        )
        for flag in flags
    ]


async def _organiser_read(
    request: Request[Any, Any, Any],
    db: DbSession,
    conference: Conference,
    session: ConferenceSession,
    settings: AppSettings,
) -> SessionOrganiserRead:
    """One session as organisers see it, its flags checked against the whole conference."""
    language = caller_language(request)
    flags = await conference_flags(db, conference, language)
    return session_read(
        conference, session, settings, organiser=True, flags=flags.get(session.slug, []), language=language
    )  # type: ignore[return-value]


def session_read(
    conference: Conference,
    session: ConferenceSession,
    settings: AppSettings,
    *,
    organiser: bool,
    flags: list[Flag] | None = None,
    language: str = SOURCE_LANGUAGE,
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
        warnings=session_warnings(flags or [], language),
    )


def public_session_read(programme: PublishedProgramme, session: PublicSession, base_url: str) -> SessionRead:
    """What :func:`session_read` makes for the public, made from the read model (same fields, same values)."""
    conference = programme.conference
    # Built without validation: the read model holds the columns' own values, as the ORM path's
    # validated models do (the bytes are compared in tests/integration/test_api_read_model.py).
    return SessionRead.model_construct(
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
        status=SessionStatus.CANCELLED if session.cancelled else SessionStatus.CONFIRMED,
        capacity=session.capacity,
        revision=session.revision,
        changed_at=session.changed_at,
        speakers=[
            SessionSpeakerRead.model_construct(
                slug=slot.speaker.slug,
                name=slot.speaker.name,
                country=slot.speaker.country,
                country_name=country_name(slot.speaker.country) if slot.speaker.country else None,
                role=slot.role,
            )
            for slot in session.speakers
        ],
        url=session_url(base_url, conference.slug, session.slug),
    )


class SessionController(Controller):
    path = "/api/v1/conferences/{conf:str}/sessions"
    tags = ["Sessions"]

    @get(
        "/",
        summary="The programme: confirmed and cancelled sessions (drafts too for organisers)",
        opt=READ,
        raises=READ_ERRORS,
    )
    async def list_sessions(
        self,
        request: Request[Any, Any, Any],
        conference_access: ConferenceAccessDependency,
        db_session: DbSession,
        settings: AppSettings,
        programme_cache: ProgrammeCacheDependency,
    ) -> Response[list[SessionRead]]:
        conference, organiser = conference_access.conference, conference_access.is_organiser
        if not organiser:
            # The public's answer: from the read model, once per programme version (ETag, 304, gzip).
            public = await serve_public_read(
                request, db=db_session, cache=programme_cache, slug=conference.slug, variant="sessions",
                build=lambda p: lambda: [public_session_read(p, s, settings.base_url) for s in p.sessions],
            )  # fmt: skip
            if public is not None:
                return public
        sessions = await SessionService(db_session).list(conference, public_only=not organiser)
        if not organiser:
            return Response([session_read(conference, s, settings, organiser=False) for s in sessions])
        # The flags of the whole conference, once (two queries), then each session's share.
        language = caller_language(request)
        flags = await conference_flags(db_session, conference, language)
        return Response(
            [
                session_read(conference, s, settings, organiser=True, flags=flags.get(s.slug, []), language=language)
                for s in sessions
            ]
        )

    @post("/", summary="Add a session", opt=ORGANISER, security=BEARER, raises=WRITE_ERRORS)
    async def create_session(
        self,
        request: Request[Any, Any, Any],
        conference_access: ConferenceAccessDependency,
        data: JSONBody[SessionCreate],
        db_session: DbSession,
        settings: AppSettings,
    ) -> SessionOrganiserRead:
        session = await SessionService(db_session).create(conference_access.conference, data)
        return await _organiser_read(request, db_session, conference_access.conference, session, settings)

    @post(
        "/status",
        summary="Give several sessions one status (confirm a batch of drafts) in one programme change",
        description="Every session named or none: an unknown slug answers 400 naming `sessions[i]`, "
        "and nothing changes. The programme version rises once, if any session changed.",
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
        status_code=200,
    )
    async def set_sessions_status(
        self,
        conference_access: ConferenceAccessDependency,
        data: JSONBody[SessionStatusChange],
        db_session: DbSession,
        settings: AppSettings,
    ) -> list[SessionOrganiserRead]:
        conference = conference_access.conference
        sessions = await SessionService(db_session).set_status(conference, data.sessions, data.status)
        return [session_read(conference, s, settings, organiser=True) for s in sessions]  # type: ignore[misc]

    @get("/{session:str}", summary="One session", opt=READ, raises=READ_ERRORS)
    async def get_session(
        self,
        request: Request[Any, Any, Any],
        conference_access: ConferenceAccessDependency,
        session: FromPath[str],
        db_session: DbSession,
        settings: AppSettings,
        programme_cache: ProgrammeCacheDependency,
    ) -> Response[SessionRead]:
        conference, organiser = conference_access.conference, conference_access.is_organiser
        if not organiser:

            def build(programme: PublishedProgramme) -> Callable[[], SessionRead] | None:
                found = programme.session(session)
                return partial(public_session_read, programme, found, settings.base_url) if found else None

            public = await serve_public_read(
                request, db=db_session, cache=programme_cache, slug=conference.slug, variant=("session", session),
                build=build,
            )  # fmt: skip
            if public is not None:
                return public
        found = await SessionService(db_session).get(conference, session, public_only=not organiser)
        if organiser:
            return Response(await _organiser_read(request, db_session, conference, found, settings))
        return Response(session_read(conference, found, settings, organiser=False))

    @patch(
        "/{session:str}",
        summary="Change a session (public changes raise its revision)",
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def update_session(
        self,
        request: Request[Any, Any, Any],
        conference_access: ConferenceAccessDependency,
        session: FromPath[str],
        data: JSONBody[SessionUpdate],
        db_session: DbSession,
        settings: AppSettings,
    ) -> SessionOrganiserRead:
        conference, service = conference_access.conference, SessionService(db_session)
        found = await service.get(conference, session, public_only=False)
        await service.update(conference, found, data)
        return await _organiser_read(request, db_session, conference, found, settings)

    @put(
        "/{session:str}/speakers",
        summary="Set the session's speakers, roles and order",
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def set_session_speakers(
        self,
        request: Request[Any, Any, Any],
        conference_access: ConferenceAccessDependency,
        session: FromPath[str],
        data: JSONBody[SpeakerList],
        db_session: DbSession,
        settings: AppSettings,
    ) -> SessionOrganiserRead:
        conference, service = conference_access.conference, SessionService(db_session)
        found = await service.get(conference, session, public_only=False)
        await service.update(conference, found, SessionUpdate(speakers=data))
        return await _organiser_read(request, db_session, conference, found, settings)

    @delete(
        "/{session:str}",
        summary="Remove a session from the programme",
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def delete_session(
        self, conference_access: ConferenceAccessDependency, session: FromPath[str], db_session: DbSession
    ) -> None:
        conference, service = conference_access.conference, SessionService(db_session)
        await service.delete(conference, await service.get(conference, session, public_only=False))
