"""/api/v1/conferences/{conf}/speakers."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody

from confman.accounts.auth import BEARER
from confman.conferences.access import ORGANISER, READ, ConferenceAccessDependency
from confman.db.models import Speaker
from confman.db.transactions import DbSession
from confman.lib.countries import country_name
from confman.lib.errors import not_found
from confman.lib.i18n import parse_accept_language, ui_language
from confman.lib.openapi import READ_ERRORS, WRITE_ERRORS
from confman.lib.uploads import MULTIPART_ALLOWANCE, ImageUpload, uploaded_bytes
from confman.published.model import PublicSpeaker, PublishedProgramme
from confman.site.serve import ProgrammeCacheDependency, serve_public_read
from confman.speakers.photos import MAX_UPLOAD_BYTES, photo_of, photo_versions, remove_photo, set_photo
from confman.speakers.schemas import (
    SpeakerCreate,
    SpeakerLinkRead,
    SpeakerOrganiserRead,
    SpeakerRead,
    SpeakerUpdate,
    SpeakerWarning,
)
from confman.speakers.services import SpeakerService, speaker_warnings


def caller_language(request: Request[Any, Any, Any]) -> str:
    """The interface language of an API caller, from ``Accept-Language`` (English by default)."""
    for tag in parse_accept_language(request.headers.get("accept-language", "")):
        language = ui_language(tag)
        if language != "en" or tag.lower().startswith("en"):
            return language
    return "en"


def speaker_read(
    speaker: Speaker,
    sessions: list[str],
    *,
    photo: str | None = None,
    organiser_language: str | None = None,
) -> SpeakerRead:
    """``organiser_language``: the caller is an organiser; warnings in that language."""
    warnings = (
        [SpeakerWarning(code=code, message=message) for code, message in speaker_warnings(speaker, organiser_language)]
        if organiser_language is not None
        else []
    )
    public = SpeakerRead(
        slug=speaker.slug,
        guid=speaker.guid,
        name=speaker.name,
        country=speaker.country,
        country_name=country_name(speaker.country) if speaker.country else None,
        timezone=speaker.timezone,
        bio=speaker.bio,
        links=[SpeakerLinkRead(**link) for link in speaker.links],
        sessions=sessions,
        photo_sha256=photo,
        warnings=warnings,
    )
    if organiser_language is None:
        return public
    return SpeakerOrganiserRead(**public.model_dump(), email=speaker.email)


def public_speaker_read(speaker: PublicSpeaker) -> SpeakerRead:
    """What :func:`speaker_read` makes for the public, made from the read model (an announced
    speaker; their public sessions in programme order; the photo's hash from its /media/ name)."""
    return SpeakerRead(
        slug=speaker.slug,
        guid=speaker.guid,
        name=speaker.name,
        country=speaker.country,
        country_name=country_name(speaker.country) if speaker.country else None,
        timezone=speaker.timezone,
        bio=speaker.bio,
        links=[SpeakerLinkRead(**link) for link in speaker.links],
        sessions=[session.slug for session in speaker.sessions],
        photo_sha256=speaker.photo.partition(".")[0] if speaker.photo else None,
        warnings=[],
    )


def _public_speaker(slug: str) -> Callable[[PublishedProgramme], Callable[[], SpeakerRead] | None]:
    def build(programme: PublishedProgramme) -> Callable[[], SpeakerRead] | None:
        found = programme.speaker(slug)
        return partial(public_speaker_read, found) if found else None

    return build


class SpeakerController(Controller):
    path = "/api/v1/conferences/{conf:str}/speakers"
    tags = ["Speakers"]

    @get("/", summary="The conference's speakers with their countries", opt=READ, raises=READ_ERRORS)
    async def list_speakers(
        self,
        request: Request[Any, Any, Any],
        conference_access: ConferenceAccessDependency,
        db_session: DbSession,
        programme_cache: ProgrammeCacheDependency,
    ) -> Response[list[SpeakerRead]]:
        conference, service = conference_access.conference, SpeakerService(db_session)
        if not conference_access.is_organiser:
            public = await serve_public_read(
                request, db=db_session, cache=programme_cache, slug=conference.slug, variant="speakers",
                build=lambda p: lambda: [public_speaker_read(s) for s in p.speakers_by_name],
            )  # fmt: skip
            if public is not None:
                return public
        sessions = await service.session_slugs(conference, public_only=not conference_access.is_organiser)
        photos = await photo_versions(db_session, conference)
        language = caller_language(request) if conference_access.is_organiser else None
        # The public sees announced speakers only (with a session that is not a draft), as on
        # the pages and in the feeds; organisers see everyone.
        return Response(
            [
                speaker_read(s, sessions.get(s.id, []), photo=photos.get(s.id), organiser_language=language)
                for s in await service.list(conference)
                if conference_access.is_organiser or s.id in sessions
            ]
        )

    @post("/", summary="Add a speaker", opt=ORGANISER, security=BEARER, raises=WRITE_ERRORS)
    async def create_speaker(
        self,
        request: Request[Any, Any, Any],
        conference_access: ConferenceAccessDependency,
        data: JSONBody[SpeakerCreate],
        db_session: DbSession,
    ) -> SpeakerRead:
        speaker = await SpeakerService(db_session).create(conference_access.conference, data)
        return speaker_read(speaker, [], organiser_language=caller_language(request))

    @get("/{speaker:str}", summary="One speaker", opt=READ, raises=READ_ERRORS)
    async def get_speaker(
        self,
        request: Request[Any, Any, Any],
        conference_access: ConferenceAccessDependency,
        speaker: FromPath[str],
        db_session: DbSession,
        programme_cache: ProgrammeCacheDependency,
    ) -> Response[SpeakerRead]:
        conference, service = conference_access.conference, SpeakerService(db_session)
        if not conference_access.is_organiser:
            public = await serve_public_read(
                request, db=db_session, cache=programme_cache, slug=conference.slug, variant=("speaker", speaker),
                build=_public_speaker(speaker),
            )  # fmt: skip
            if public is not None:
                return public
        found = await service.get(conference, speaker)
        sessions = await service.session_slugs(conference, public_only=not conference_access.is_organiser)
        if not conference_access.is_organiser and found.id not in sessions:
            raise not_found("Speaker not found")
        photo = await photo_of(db_session, found)
        language = caller_language(request) if conference_access.is_organiser else None
        return Response(
            speaker_read(
                found, sessions.get(found.id, []), photo=photo.sha256 if photo else None, organiser_language=language
            )
        )

    @patch("/{speaker:str}", summary="Change a speaker", opt=ORGANISER, security=BEARER, raises=WRITE_ERRORS)
    async def update_speaker(
        self,
        request: Request[Any, Any, Any],
        conference_access: ConferenceAccessDependency,
        speaker: FromPath[str],
        data: JSONBody[SpeakerUpdate],
        db_session: DbSession,
    ) -> SpeakerRead:
        conference, service = conference_access.conference, SpeakerService(db_session)
        found = await service.update(conference, await service.get(conference, speaker), data)
        sessions = await service.session_slugs(conference, public_only=False)
        photo = await photo_of(db_session, found)
        return speaker_read(
            found,
            sessions.get(found.id, []),
            photo=photo.sha256 if photo else None,
            organiser_language=caller_language(request),
        )

    @delete(
        "/{speaker:str}",
        summary="Remove a speaker from the conference and its sessions",
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def delete_speaker(
        self, conference_access: ConferenceAccessDependency, speaker: FromPath[str], db_session: DbSession
    ) -> None:
        conference, service = conference_access.conference, SpeakerService(db_session)
        await service.delete(conference, await service.get(conference, speaker))

    @put(
        "/{speaker:str}/photo",
        summary="Set a speaker's photo (JPEG, PNG or WebP; resized to 800 px, metadata removed)",
        description="The image as the request body (Content-Type image/png, image/jpeg or image/webp), or as "
        "the part `photo` of a multipart/form-data body. Its type is decided by its bytes; SVG is refused. "
        "400 `photo_not_an_image` / `photo_too_many_pixels` / `photo_empty`; 413 `photo_too_large` (over 5 MB). "
        "The same checks as the organisers' speaker page.",
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
        request_max_body_size=MAX_UPLOAD_BYTES + MULTIPART_ALLOWANCE,
        operation_class=ImageUpload,
    )
    async def put_photo(
        self,
        request: Request[Any, Any, Any],
        conference_access: ConferenceAccessDependency,
        speaker: FromPath[str],
        db_session: DbSession,
    ) -> SpeakerRead:
        conference, service = conference_access.conference, SpeakerService(db_session)
        found = await service.get(conference, speaker)
        stored = await set_photo(db_session, conference, found, await uploaded_bytes(request, "photo"))
        sessions = await service.session_slugs(conference, public_only=False)
        return speaker_read(
            found, sessions.get(found.id, []), photo=stored.sha256, organiser_language=caller_language(request)
        )

    @delete(
        "/{speaker:str}/photo", summary="Remove a speaker's photo", opt=ORGANISER, security=BEARER, raises=WRITE_ERRORS
    )
    async def delete_photo(
        self, conference_access: ConferenceAccessDependency, speaker: FromPath[str], db_session: DbSession
    ) -> None:
        conference, service = conference_access.conference, SpeakerService(db_session)
        found = await service.get(conference, speaker)
        if found.photo_id is None:
            raise not_found("The speaker has no photo")
        await remove_photo(db_session, conference, found)
