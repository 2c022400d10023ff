"""/api/v1/conferences and their tracks, streams and members."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.di import Provide
from litestar.params import FromPath, JSONBody

from confman.accounts.auth import BEARER, AuthenticatedUser, CurrentUser, provide_organiser
from confman.accounts.schemas import MemberCreate, MemberRead
from confman.accounts.services import MembershipService
from confman.conferences.schemas import (
    ConferenceCreate,
    ConferenceRead,
    ConferenceUpdate,
    StreamCreate,
    StreamOrganiserRead,
    StreamRead,
    StreamUpdate,
    TrackCreate,
    TrackRead,
    TrackUpdate,
)
from confman.conferences.services import ConferenceAccess, ConferenceService, StreamService, TrackService
from confman.db.models import ConferenceMember, MemberRole, Stream, Track
from confman.db.transactions import DbSession
from confman.lib.openapi import OWNER_ERRORS, READ_ERRORS, WRITE_ERRORS
from confman.lib.urls import conference_url
from confman.settings import AppSettings

ORGANISER = {"organiser": Provide(provide_organiser)}


def conference_read(access: ConferenceAccess, settings: AppSettings) -> ConferenceRead:
    conference = access.conference
    return ConferenceRead(
        slug=conference.slug,
        guid=conference.guid,
        title=conference.title,
        description=conference.description,
        timezone=conference.timezone,
        default_language=conference.default_language,
        languages=conference.languages,
        status=conference.status,
        starts_on=conference.starts_on,
        ends_on=conference.ends_on,
        programme_version=conference.programme_version,
        programme_changed_at=conference.programme_changed_at,
        url=conference_url(settings.base_url, conference.slug),
        role=access.role,
    )


def track_read(track: Track) -> TrackRead:
    return TrackRead(slug=track.slug, name=track.name, color=track.color, position=track.position)


def stream_read(stream: Stream, *, organiser: bool) -> StreamRead:
    public = StreamRead(
        slug=stream.slug, guid=stream.guid, name=stream.name, public_url=stream.public_url, position=stream.position
    )
    if organiser:
        return StreamOrganiserRead(**public.model_dump(), meeting_url=stream.meeting_url)
    return public


def member_read(member: ConferenceMember) -> MemberRead:
    return MemberRead(id=member.id, email=member.user.email, name=member.user.name, role=member.role)


class ConferenceController(Controller):
    path = "/api/v1/conferences"
    tags = ["Conferences"]

    @get("/", summary="Published conferences, and with a token your own; upcoming first", raises=READ_ERRORS)
    async def list_conferences(
        self, db_session: DbSession, current_user: CurrentUser, settings: AppSettings
    ) -> list[ConferenceRead]:
        accesses = await ConferenceService(db_session).list_visible(current_user)
        return [conference_read(access, settings) for access in accesses]

    @post(
        "/",
        summary="Create a conference (you become its owner)",
        dependencies=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def create_conference(
        self,
        data: JSONBody[ConferenceCreate],
        organiser: AuthenticatedUser,
        db_session: DbSession,
        settings: AppSettings,
    ) -> ConferenceRead:
        conference = await ConferenceService(db_session).create(data, organiser)
        return conference_read(ConferenceAccess(conference, MemberRole.OWNER), settings)

    @get("/{conf:str}", summary="One conference", raises=READ_ERRORS)
    async def get_conference(
        self, conf: FromPath[str], db_session: DbSession, current_user: CurrentUser, settings: AppSettings
    ) -> ConferenceRead:
        return conference_read(await ConferenceService(db_session).access(conf, current_user), settings)

    @patch("/{conf:str}", summary="Change a conference", dependencies=ORGANISER, security=BEARER, raises=WRITE_ERRORS)
    async def update_conference(
        self,
        conf: FromPath[str],
        data: JSONBody[ConferenceUpdate],
        organiser: AuthenticatedUser,
        db_session: DbSession,
        settings: AppSettings,
    ) -> ConferenceRead:
        service = ConferenceService(db_session)
        access = await service.access(conf, organiser, write=True)
        await service.update(access.conference, data)
        return conference_read(access, settings)

    @delete(
        "/{conf:str}",
        summary="Delete a conference and everything in it (owners only)",
        dependencies=ORGANISER,
        security=BEARER,
        raises=OWNER_ERRORS,
    )
    async def delete_conference(self, conf: FromPath[str], organiser: AuthenticatedUser, db_session: DbSession) -> None:
        service = ConferenceService(db_session)
        access = await service.access(conf, organiser, write=True, owner=True)
        await service.delete(access.conference)


class TrackController(Controller):
    path = "/api/v1/conferences/{conf:str}/tracks"
    tags = ["Tracks"]

    @get("/", summary="The conference's tracks", raises=READ_ERRORS)
    async def list_tracks(
        self, conf: FromPath[str], db_session: DbSession, current_user: CurrentUser
    ) -> list[TrackRead]:
        access = await ConferenceService(db_session).access(conf, current_user)
        return [track_read(track) for track in await TrackService(db_session).list(access.conference)]

    @post("/", summary="Add a track", dependencies=ORGANISER, security=BEARER, raises=WRITE_ERRORS)
    async def create_track(
        self, conf: FromPath[str], data: JSONBody[TrackCreate], organiser: AuthenticatedUser, db_session: DbSession
    ) -> TrackRead:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        return track_read(await TrackService(db_session).create(access.conference, data))

    @get("/{track:str}", summary="One track", raises=READ_ERRORS)
    async def get_track(
        self, conf: FromPath[str], track: FromPath[str], db_session: DbSession, current_user: CurrentUser
    ) -> TrackRead:
        access = await ConferenceService(db_session).access(conf, current_user)
        return track_read(await TrackService(db_session).get(access.conference, track))

    @patch("/{track:str}", summary="Change a track", dependencies=ORGANISER, security=BEARER, raises=WRITE_ERRORS)
    async def update_track(
        self,
        conf: FromPath[str],
        track: FromPath[str],
        data: JSONBody[TrackUpdate],
        organiser: AuthenticatedUser,
        db_session: DbSession,
    ) -> TrackRead:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        service = TrackService(db_session)
        found = await service.get(access.conference, track)
        return track_read(await service.update(access.conference, found, data))

    @delete(
        "/{track:str}",
        summary="Remove a track (its sessions stay, without a track)",
        dependencies=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def delete_track(
        self, conf: FromPath[str], track: FromPath[str], organiser: AuthenticatedUser, db_session: DbSession
    ) -> None:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        service = TrackService(db_session)
        await service.delete(access.conference, await service.get(access.conference, track))


class StreamController(Controller):
    path = "/api/v1/conferences/{conf:str}/streams"
    tags = ["Streams"]

    @get("/", summary="The conference's streams (meeting URLs only for organisers)", raises=READ_ERRORS)
    async def list_streams(
        self, conf: FromPath[str], db_session: DbSession, current_user: CurrentUser
    ) -> list[StreamRead]:
        access = await ConferenceService(db_session).access(conf, current_user)
        streams = await StreamService(db_session).list(access.conference)
        return [stream_read(stream, organiser=access.is_organiser) for stream in streams]

    @post("/", summary="Add a stream", dependencies=ORGANISER, security=BEARER, raises=WRITE_ERRORS)
    async def create_stream(
        self, conf: FromPath[str], data: JSONBody[StreamCreate], organiser: AuthenticatedUser, db_session: DbSession
    ) -> StreamOrganiserRead:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        stream = await StreamService(db_session).create(access.conference, data)
        return StreamOrganiserRead(**stream_read(stream, organiser=False).model_dump(), meeting_url=stream.meeting_url)

    @get("/{stream:str}", summary="One stream", raises=READ_ERRORS)
    async def get_stream(
        self, conf: FromPath[str], stream: FromPath[str], db_session: DbSession, current_user: CurrentUser
    ) -> StreamRead:
        access = await ConferenceService(db_session).access(conf, current_user)
        found = await StreamService(db_session).get(access.conference, stream)
        return stream_read(found, organiser=access.is_organiser)

    @patch(
        "/{stream:str}",
        summary="Change a stream (a new meeting URL needs no re-sending)",
        dependencies=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def update_stream(
        self,
        conf: FromPath[str],
        stream: FromPath[str],
        data: JSONBody[StreamUpdate],
        organiser: AuthenticatedUser,
        db_session: DbSession,
    ) -> StreamOrganiserRead:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        service = StreamService(db_session)
        found = await service.update(access.conference, await service.get(access.conference, stream), data)
        return StreamOrganiserRead(**stream_read(found, organiser=False).model_dump(), meeting_url=found.meeting_url)

    @delete(
        "/{stream:str}",
        summary="Remove a stream (its sessions stay, without a stream)",
        dependencies=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def delete_stream(
        self, conf: FromPath[str], stream: FromPath[str], organiser: AuthenticatedUser, db_session: DbSession
    ) -> None:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        service = StreamService(db_session)
        await service.delete(access.conference, await service.get(access.conference, stream))


class MemberController(Controller):
    path = "/api/v1/conferences/{conf:str}/members"
    tags = ["Members"]
    dependencies = ORGANISER
    security = BEARER

    @get("/", summary="Who manages this conference", raises=WRITE_ERRORS)
    async def list_members(
        self, conf: FromPath[str], organiser: AuthenticatedUser, db_session: DbSession
    ) -> list[MemberRead]:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        return [member_read(member) for member in await MembershipService(db_session).list(access.conference)]

    @post("/", summary="Give an organiser account a role (owners only)", raises=OWNER_ERRORS)
    async def add_member(
        self, conf: FromPath[str], data: JSONBody[MemberCreate], organiser: AuthenticatedUser, db_session: DbSession
    ) -> MemberRead:
        access = await ConferenceService(db_session).access(conf, organiser, write=True, owner=True)
        member = await MembershipService(db_session).add(access.conference, data.email, data.role)
        return member_read(member)

    @delete("/{member_id:int}", summary="Remove a member (owners only; one owner must remain)", raises=OWNER_ERRORS)
    async def remove_member(
        self, conf: FromPath[str], member_id: FromPath[int], organiser: AuthenticatedUser, db_session: DbSession
    ) -> None:
        access = await ConferenceService(db_session).access(conf, organiser, write=True, owner=True)
        await MembershipService(db_session).remove(access.conference, member_id)
