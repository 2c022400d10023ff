"""/api/v1/conferences/{conf}/speakers."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.di import Provide
from litestar.params import FromPath, JSONBody

from confman.accounts.auth import BEARER, AuthenticatedUser, CurrentUser, provide_organiser
from confman.conferences.services import ConferenceService
from confman.db.models import Speaker
from confman.db.transactions import DbSession
from confman.lib.countries import country_name
from confman.lib.openapi import READ_ERRORS, WRITE_ERRORS
from confman.speakers.schemas import SpeakerCreate, SpeakerLinkRead, SpeakerRead, SpeakerUpdate
from confman.speakers.services import SpeakerService

ORGANISER = {"organiser": Provide(provide_organiser)}


def speaker_read(speaker: Speaker, sessions: list[str]) -> SpeakerRead:
    return SpeakerRead(
        slug=speaker.slug,
        guid=speaker.guid,
        name=speaker.name,
        country=speaker.country,
        country_name=country_name(speaker.country) if speaker.country else None,
        timezone=speaker.timezone,
        bio=speaker.bio,
        links=[SpeakerLinkRead(**link) for link in speaker.links],
        sessions=sessions,
    )


class SpeakerController(Controller):
    path = "/api/v1/conferences/{conf:str}/speakers"
    tags = ["Speakers"]

    @get("/", summary="The conference's speakers with their countries", raises=READ_ERRORS)
    async def list_speakers(
        self, conf: FromPath[str], db_session: DbSession, current_user: CurrentUser
    ) -> list[SpeakerRead]:
        access = await ConferenceService(db_session).access(conf, current_user)
        service = SpeakerService(db_session)
        sessions = await service.session_slugs(access.conference, public_only=not access.is_organiser)
        return [speaker_read(s, sessions.get(s.id, [])) for s in await service.list(access.conference)]

    @post("/", summary="Add a speaker", dependencies=ORGANISER, security=BEARER, raises=WRITE_ERRORS)
    async def create_speaker(
        self, conf: FromPath[str], data: JSONBody[SpeakerCreate], organiser: AuthenticatedUser, db_session: DbSession
    ) -> SpeakerRead:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        return speaker_read(await SpeakerService(db_session).create(access.conference, data), [])

    @get("/{speaker:str}", summary="One speaker", raises=READ_ERRORS)
    async def get_speaker(
        self, conf: FromPath[str], speaker: FromPath[str], db_session: DbSession, current_user: CurrentUser
    ) -> SpeakerRead:
        access = await ConferenceService(db_session).access(conf, current_user)
        service = SpeakerService(db_session)
        found = await service.get(access.conference, speaker)
        sessions = await service.session_slugs(access.conference, public_only=not access.is_organiser)
        return speaker_read(found, sessions.get(found.id, []))

    @patch("/{speaker:str}", summary="Change a speaker", dependencies=ORGANISER, security=BEARER, raises=WRITE_ERRORS)
    async def update_speaker(
        self,
        conf: FromPath[str],
        speaker: FromPath[str],
        data: JSONBody[SpeakerUpdate],
        organiser: AuthenticatedUser,
        db_session: DbSession,
    ) -> SpeakerRead:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        service = SpeakerService(db_session)
        found = await service.update(access.conference, await service.get(access.conference, speaker), data)
        sessions = await service.session_slugs(access.conference, public_only=False)
        return speaker_read(found, sessions.get(found.id, []))

    @delete(
        "/{speaker:str}",
        summary="Remove a speaker from the conference and its sessions",
        dependencies=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def delete_speaker(
        self, conf: FromPath[str], speaker: FromPath[str], organiser: AuthenticatedUser, db_session: DbSession
    ) -> None:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        service = SpeakerService(db_session)
        await service.delete(access.conference, await service.get(access.conference, speaker))
