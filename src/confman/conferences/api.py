"""/api/v1/conferences and their tracks, streams and members."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.accounts.auth import BEARER, AuthenticatedUser, CurrentUser
from confman.accounts.schemas import MemberCreate, MemberRead
from confman.accounts.services import MembershipService
from confman.conferences.access import ORGANISER, OWNER, READ, ConferenceAccessDependency
from confman.conferences.branding import logo_of, remove_logo, set_logo
from confman.conferences.schemas import (
    ConferenceCreate,
    ConferenceRead,
    ConferenceUpdate,
    StreamCreate,
    StreamOrder,
    StreamOrganiserRead,
    StreamRead,
    StreamUpdate,
    TrackCreate,
    TrackOrder,
    TrackRead,
    TrackUpdate,
)
from confman.conferences.services import ConferenceAccess, ConferenceService, StreamService, TrackService
from confman.db.models import (
    Conference,
    ConferenceMember,
    ConferenceStatus,
    MemberRole,
    StoredFile,
    Stream,
    Track,
)
from confman.db.models.web import LOGO
from confman.db.transactions import DbSession
from confman.lib.errors import not_found
from confman.lib.images import MAX_UPLOAD_BYTES
from confman.lib.openapi import OWNER_ERRORS, READ_ERRORS, WRITE_ERRORS
from confman.lib.uploads import MULTIPART_ALLOWANCE, ImageUpload, uploaded_bytes
from confman.lib.urls import conference_url, media_url
from confman.published.model import MEDIA_EXTENSIONS, PublicStream, PublicTrack, PublishedProgramme
from confman.settings import AppSettings
from confman.site.serve import ProgrammeCacheDependency, serve_public_read


def _media_name(stored: StoredFile | None) -> str | None:
    return f"{stored.sha256}.{MEDIA_EXTENSIONS[stored.content_type]}" if stored is not None else None


async def logo_names(db: AsyncSession, conferences: list[Conference]) -> dict[int, str]:
    """Conference id → its logo's /media/ name, for those that have one (one query)."""
    ids = [conference.id for conference in conferences]
    rows = await db.execute(
        select(StoredFile.conference_id, StoredFile.sha256, StoredFile.content_type).where(
            StoredFile.conference_id.in_(ids), StoredFile.purpose == LOGO
        )
    )
    return {int(cid): f"{sha}.{MEDIA_EXTENSIONS[kind]}" for cid, sha, kind in rows.tuples()}


def conference_read(access: ConferenceAccess, settings: AppSettings, logo: str | None = None) -> ConferenceRead:
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
        accent_color=conference.accent_color,
        embed_origins=list(conference.embed_origins),
        logo_url=media_url(settings.base_url, logo) if logo else None,
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


def public_conference_read(programme: PublishedProgramme, base_url: str) -> ConferenceRead:
    """What :func:`conference_read` makes for the public (no role), made from the read model."""
    conference = programme.conference
    return ConferenceRead(
        slug=conference.slug,
        guid=conference.guid,
        title=conference.title,
        description=conference.description,
        timezone=conference.timezone,
        default_language=conference.default_language,
        languages=list(conference.languages),
        status=ConferenceStatus.PUBLISHED,
        starts_on=conference.starts_on,
        ends_on=conference.ends_on,
        programme_version=conference.version,
        programme_changed_at=conference.changed_at,
        accent_color=conference.accent_color,
        embed_origins=list(conference.embed_origins),
        logo_url=media_url(base_url, conference.logo) if conference.logo else None,
        url=conference_url(base_url, conference.slug),
        role=None,
    )


def public_track_read(track: PublicTrack) -> TrackRead:
    return TrackRead(slug=track.slug, name=track.name, color=track.color, position=track.position)


def public_stream_read(stream: PublicStream) -> StreamRead:
    return StreamRead(
        slug=stream.slug, guid=stream.guid, name=stream.name, public_url=stream.public_url, position=stream.position
    )


def _one_track(slug: str) -> Callable[[PublishedProgramme], Callable[[], TrackRead] | None]:
    def build(programme: PublishedProgramme) -> Callable[[], TrackRead] | None:
        found = next((track for track in programme.tracks if track.slug == slug), None)
        return partial(public_track_read, found) if found else None

    return build


def _one_stream(slug: str) -> Callable[[PublishedProgramme], Callable[[], StreamRead] | None]:
    def build(programme: PublishedProgramme) -> Callable[[], StreamRead] | None:
        found = next((stream for stream in programme.streams if stream.slug == slug), None)
        return partial(public_stream_read, found) if found else None

    return build


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
        logos = await logo_names(db_session, [access.conference for access in accesses])
        return [conference_read(access, settings, logos.get(access.conference.id)) for access in accesses]

    @post("/", summary="Create a conference (you become its owner)", security=BEARER, raises=WRITE_ERRORS)
    async def create_conference(
        self,
        data: JSONBody[ConferenceCreate],
        organiser: AuthenticatedUser,
        db_session: DbSession,
        settings: AppSettings,
    ) -> ConferenceRead:
        conference = await ConferenceService(db_session).create(data, organiser)
        return conference_read(ConferenceAccess(conference, MemberRole.OWNER), settings)

    @get("/{conf:str}", summary="One conference", opt=READ, raises=READ_ERRORS)
    async def get_conference(
        self,
        request: Request[Any, Any, Any],
        conference_access: ConferenceAccessDependency,
        db_session: DbSession,
        settings: AppSettings,
        programme_cache: ProgrammeCacheDependency,
    ) -> Response[ConferenceRead]:
        if not conference_access.is_organiser:
            public = await serve_public_read(
                request, db=db_session, cache=programme_cache, slug=conference_access.conference.slug,
                variant="conference", build=lambda p: partial(public_conference_read, p, settings.base_url),
            )  # fmt: skip
            if public is not None:
                return public
        logo = await logo_of(db_session, conference_access.conference)
        return Response(conference_read(conference_access, settings, _media_name(logo)))

    @patch("/{conf:str}", summary="Change a conference", opt=ORGANISER, security=BEARER, raises=WRITE_ERRORS)
    async def update_conference(
        self,
        conference_access: ConferenceAccessDependency,
        data: JSONBody[ConferenceUpdate],
        db_session: DbSession,
        settings: AppSettings,
    ) -> ConferenceRead:
        await ConferenceService(db_session).update(conference_access.conference, data)
        logo = await logo_of(db_session, conference_access.conference)
        return conference_read(conference_access, settings, _media_name(logo))

    @put(
        "/{conf:str}/logo",
        summary="Set the conference's logo (JPEG, PNG or WebP; resized to 800 px, metadata removed)",
        description="The image as the request body (Content-Type image/png, image/jpeg or image/webp), or as "
        "the part `logo` of a multipart/form-data body. Its type is decided by its bytes; SVG is refused. "
        "400 `logo_not_an_image` / `logo_too_many_pixels` / `logo_empty`; 413 `logo_too_large` (over 5 MB).",
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
        request_max_body_size=MAX_UPLOAD_BYTES + MULTIPART_ALLOWANCE,
        operation_class=ImageUpload,
    )
    async def put_logo(
        self,
        request: Request[Any, Any, Any],
        conference_access: ConferenceAccessDependency,
        db_session: DbSession,
        settings: AppSettings,
    ) -> ConferenceRead:
        upload = await uploaded_bytes(request, LOGO)
        stored = await set_logo(db_session, conference_access.conference, upload)
        return conference_read(conference_access, settings, _media_name(stored))

    @delete("/{conf:str}/logo", summary="Remove the conference's logo", opt=ORGANISER, security=BEARER,
            raises=WRITE_ERRORS)  # fmt: skip
    async def delete_logo(self, conference_access: ConferenceAccessDependency, db_session: DbSession) -> None:
        if not await remove_logo(db_session, conference_access.conference):
            raise not_found("The conference has no logo")

    @delete(
        "/{conf:str}",
        summary="Delete a conference and everything in it (owners only)",
        opt=OWNER,
        security=BEARER,
        raises=OWNER_ERRORS,
    )
    async def delete_conference(self, conference_access: ConferenceAccessDependency, db_session: DbSession) -> None:
        await ConferenceService(db_session).delete(conference_access.conference)


class TrackController(Controller):
    path = "/api/v1/conferences/{conf:str}/tracks"
    tags = ["Tracks"]

    @get("/", summary="The conference's tracks", opt=READ, raises=READ_ERRORS)
    async def list_tracks(
        self,
        request: Request[Any, Any, Any],
        conference_access: ConferenceAccessDependency,
        db_session: DbSession,
        programme_cache: ProgrammeCacheDependency,
    ) -> Response[list[TrackRead]]:
        if not conference_access.is_organiser:
            public = await serve_public_read(
                request, db=db_session, cache=programme_cache, slug=conference_access.conference.slug,
                variant="tracks", build=lambda p: lambda: [public_track_read(track) for track in p.tracks],
            )  # fmt: skip
            if public is not None:
                return public
        return Response([track_read(t) for t in await TrackService(db_session).list(conference_access.conference)])

    @post("/", summary="Add a track", opt=ORGANISER, security=BEARER, raises=WRITE_ERRORS)
    async def create_track(
        self, conference_access: ConferenceAccessDependency, data: JSONBody[TrackCreate], db_session: DbSession
    ) -> TrackRead:
        return track_read(await TrackService(db_session).create(conference_access.conference, data))

    @put(
        "/order",
        summary="Put the tracks in this order (one programme change)",
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def order_tracks(
        self, conference_access: ConferenceAccessDependency, data: JSONBody[TrackOrder], db_session: DbSession
    ) -> list[TrackRead]:
        tracks = await TrackService(db_session).reorder(conference_access.conference, data.tracks)
        return [track_read(track) for track in tracks]

    @get("/{track:str}", summary="One track", opt=READ, raises=READ_ERRORS)
    async def get_track(
        self,
        request: Request[Any, Any, Any],
        conference_access: ConferenceAccessDependency,
        track: FromPath[str],
        db_session: DbSession,
        programme_cache: ProgrammeCacheDependency,
    ) -> Response[TrackRead]:
        if not conference_access.is_organiser:
            public = await serve_public_read(
                request, db=db_session, cache=programme_cache, slug=conference_access.conference.slug,
                variant=("track", track), build=_one_track(track),
            )  # fmt: skip
            if public is not None:
                return public
        return Response(track_read(await TrackService(db_session).get(conference_access.conference, track)))

    @patch("/{track:str}", summary="Change a track", opt=ORGANISER, security=BEARER, raises=WRITE_ERRORS)
    async def update_track(
        self,
        conference_access: ConferenceAccessDependency,
        track: FromPath[str],
        data: JSONBody[TrackUpdate],
        db_session: DbSession,
    ) -> TrackRead:
        conference, service = conference_access.conference, TrackService(db_session)
        return track_read(await service.update(conference, await service.get(conference, track), data))

    @delete(
        "/{track:str}",
        summary="Remove a track (its sessions stay, without a track)",
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def delete_track(
        self, conference_access: ConferenceAccessDependency, track: FromPath[str], db_session: DbSession
    ) -> None:
        conference, service = conference_access.conference, TrackService(db_session)
        await service.delete(conference, await service.get(conference, track))


class StreamController(Controller):
    path = "/api/v1/conferences/{conf:str}/streams"
    tags = ["Streams"]

    @get("/", summary="The conference's streams (meeting URLs only for organisers)", opt=READ, raises=READ_ERRORS)
    async def list_streams(
        self,
        request: Request[Any, Any, Any],
        conference_access: ConferenceAccessDependency,
        db_session: DbSession,
        programme_cache: ProgrammeCacheDependency,
    ) -> Response[list[StreamRead]]:
        if not conference_access.is_organiser:
            public = await serve_public_read(
                request, db=db_session, cache=programme_cache, slug=conference_access.conference.slug,
                variant="streams", build=lambda p: lambda: [public_stream_read(stream) for stream in p.streams],
            )  # fmt: skip
            if public is not None:
                return public
        streams = await StreamService(db_session).list(conference_access.conference)
        return Response([stream_read(stream, organiser=conference_access.is_organiser) for stream in streams])

    @post("/", summary="Add a stream", opt=ORGANISER, security=BEARER, raises=WRITE_ERRORS)
    async def create_stream(
        self, conference_access: ConferenceAccessDependency, data: JSONBody[StreamCreate], db_session: DbSession
    ) -> StreamOrganiserRead:
        stream = await StreamService(db_session).create(conference_access.conference, data)
        return StreamOrganiserRead(**stream_read(stream, organiser=False).model_dump(), meeting_url=stream.meeting_url)

    @put(
        "/order",
        summary="Put the streams in this order (one programme change)",
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def order_streams(
        self, conference_access: ConferenceAccessDependency, data: JSONBody[StreamOrder], db_session: DbSession
    ) -> list[StreamOrganiserRead]:
        streams = await StreamService(db_session).reorder(conference_access.conference, data.streams)
        return [
            StreamOrganiserRead(**stream_read(s, organiser=False).model_dump(), meeting_url=s.meeting_url)
            for s in streams
        ]

    @get("/{stream:str}", summary="One stream", opt=READ, raises=READ_ERRORS)
    async def get_stream(
        self,
        request: Request[Any, Any, Any],
        conference_access: ConferenceAccessDependency,
        stream: FromPath[str],
        db_session: DbSession,
        programme_cache: ProgrammeCacheDependency,
    ) -> Response[StreamRead]:
        if not conference_access.is_organiser:
            public = await serve_public_read(
                request, db=db_session, cache=programme_cache, slug=conference_access.conference.slug,
                variant=("stream", stream), build=_one_stream(stream),
            )  # fmt: skip
            if public is not None:
                return public
        found = await StreamService(db_session).get(conference_access.conference, stream)
        return Response(stream_read(found, organiser=conference_access.is_organiser))

    @patch(
        "/{stream:str}",
        summary="Change a stream (a new meeting URL needs no re-sending)",
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def update_stream(
        self,
        conference_access: ConferenceAccessDependency,
        stream: FromPath[str],
        data: JSONBody[StreamUpdate],
        db_session: DbSession,
    ) -> StreamOrganiserRead:
        conference, service = conference_access.conference, StreamService(db_session)
        found = await service.update(conference, await service.get(conference, stream), data)
        return StreamOrganiserRead(**stream_read(found, organiser=False).model_dump(), meeting_url=found.meeting_url)

    @delete(
        "/{stream:str}",
        summary="Remove a stream (its sessions stay, without a stream)",
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def delete_stream(
        self, conference_access: ConferenceAccessDependency, stream: FromPath[str], db_session: DbSession
    ) -> None:
        conference, service = conference_access.conference, StreamService(db_session)
        await service.delete(conference, await service.get(conference, stream))


class MemberController(Controller):
    path = "/api/v1/conferences/{conf:str}/members"
    tags = ["Members"]
    opt = ORGANISER
    security = BEARER

    @get("/", summary="Who manages this conference", raises=WRITE_ERRORS)
    async def list_members(
        self, conference_access: ConferenceAccessDependency, db_session: DbSession
    ) -> list[MemberRead]:
        return [
            member_read(member) for member in await MembershipService(db_session).list(conference_access.conference)
        ]

    @post("/", summary="Give an organiser account a role (owners only)", opt=OWNER, raises=OWNER_ERRORS)
    async def add_member(
        self, conference_access: ConferenceAccessDependency, data: JSONBody[MemberCreate], db_session: DbSession
    ) -> MemberRead:
        member = await MembershipService(db_session).add(conference_access.conference, data.email, data.role)
        return member_read(member)

    @delete(
        "/{member_id:int}",
        summary="Remove a member (owners only; one owner must remain)",
        opt=OWNER,
        raises=OWNER_ERRORS,
    )
    async def remove_member(
        self, conference_access: ConferenceAccessDependency, member_id: FromPath[int], db_session: DbSession
    ) -> None:
        await MembershipService(db_session).remove(conference_access.conference, member_id)
