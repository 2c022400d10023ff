"""/api/v1/conferences/{conf}/speakers."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, JSONBody

from confman.accounts.auth import BEARER
from confman.conferences.access import ORGANISER, READ, ConferenceAccessDependency
from confman.db.models import Speaker
from confman.db.transactions import DbSession
from confman.lib.countries import country_name
from confman.lib.openapi import READ_ERRORS, WRITE_ERRORS
from confman.speakers.schemas import SpeakerCreate, SpeakerLinkRead, SpeakerRead, SpeakerUpdate
from confman.speakers.services import SpeakerService


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

    @get("/", summary="The conference's speakers with their countries", opt=READ, raises=READ_ERRORS)
    async def list_speakers(
        self, conference_access: ConferenceAccessDependency, db_session: DbSession
    ) -> list[SpeakerRead]:
        conference, service = conference_access.conference, SpeakerService(db_session)
        sessions = await service.session_slugs(conference, public_only=not conference_access.is_organiser)
        return [speaker_read(s, sessions.get(s.id, [])) for s in await service.list(conference)]

    @post("/", summary="Add a speaker", opt=ORGANISER, security=BEARER, raises=WRITE_ERRORS)
    async def create_speaker(
        self, conference_access: ConferenceAccessDependency, data: JSONBody[SpeakerCreate], db_session: DbSession
    ) -> SpeakerRead:
        return speaker_read(await SpeakerService(db_session).create(conference_access.conference, data), [])

    @get("/{speaker:str}", summary="One speaker", opt=READ, raises=READ_ERRORS)
    async def get_speaker(
        self, conference_access: ConferenceAccessDependency, speaker: FromPath[str], db_session: DbSession
    ) -> SpeakerRead:
        conference, service = conference_access.conference, SpeakerService(db_session)
        found = await service.get(conference, speaker)
        sessions = await service.session_slugs(conference, public_only=not conference_access.is_organiser)
        return speaker_read(found, sessions.get(found.id, []))

    @patch("/{speaker:str}", summary="Change a speaker", opt=ORGANISER, security=BEARER, raises=WRITE_ERRORS)
    async def update_speaker(
        self,
        conference_access: ConferenceAccessDependency,
        speaker: FromPath[str],
        data: JSONBody[SpeakerUpdate],
        db_session: DbSession,
    ) -> SpeakerRead:
        conference, service = conference_access.conference, SpeakerService(db_session)
        found = await service.update(conference, await service.get(conference, speaker), data)
        sessions = await service.session_slugs(conference, public_only=False)
        return speaker_read(found, sessions.get(found.id, []))

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
