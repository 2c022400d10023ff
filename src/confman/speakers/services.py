"""Speaker management."""

from __future__ import annotations

import builtins

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from confman.conferences.change_record import record_change, snapshot
from confman.conferences.services import check_translations
from confman.conferences.versioning import record_programme_change, record_sessions_change
from confman.db.models import Conference, ConferenceSession, SessionSpeaker, SessionStatus, Speaker
from confman.db.models.web import StoredFile
from confman.lib.countries import country_name
from confman.lib.errors import ConflictError, not_found
from confman.lib.i18n import N_, translations
from confman.lib.timezones import zone_for_country
from confman.lib.validation import is_slug, refuse_nulls
from confman.speakers.schemas import SpeakerCreate, SpeakerUpdate

SPEAKER_WITHOUT_ZONE = "speaker_without_zone"
WITHOUT_ZONE = N_("%(name)s has no time zone, so a slot in their night cannot be flagged: choose their zone.")
WITHOUT_ZONE_IN = N_(
    "%(name)s has no time zone, so a slot in their night cannot be flagged: "
    "%(country)s has several time zones, choose the speaker's."
)


def speaker_warnings(speaker: Speaker, language: str = "en") -> list[tuple[str, str]]:
    """(code, message in ``language``) of what an organiser should fix about ``speaker``.

    The API accepts a speaker without a zone (imports bring them, and a country with several
    zones cannot default one), but such a speaker's night slots go unnoticed: say so."""
    if speaker.timezone is not None:
        return []
    gettext = translations(language).gettext
    if speaker.country:
        message = gettext(WITHOUT_ZONE_IN) % {
            "name": speaker.name,
            "country": country_name(speaker.country, language),
        }
    else:
        message = gettext(WITHOUT_ZONE) % {"name": speaker.name}
    return [(SPEAKER_WITHOUT_ZONE, message)]


class SpeakerService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def list(self, conference: Conference) -> list[Speaker]:
        result = await self.db.scalars(
            select(Speaker).where(Speaker.conference_id == conference.id).order_by(Speaker.name, Speaker.slug)
        )
        return list(result)

    async def get(self, conference: Conference, slug: str) -> Speaker:
        if not is_slug(slug):
            raise not_found("Speaker not found")
        speaker = await self.db.scalar(
            select(Speaker).where(Speaker.conference_id == conference.id, Speaker.slug == slug)
        )
        if speaker is None:
            raise not_found("Speaker not found")
        return speaker

    async def session_slugs(self, conference: Conference, *, public_only: bool) -> dict[int, builtins.list[str]]:
        """Speaker id → slugs of their sessions, in programme order, in one query."""
        query = (
            select(SessionSpeaker.speaker_id, ConferenceSession.slug)
            .join(ConferenceSession, ConferenceSession.id == SessionSpeaker.session_id)
            .where(ConferenceSession.conference_id == conference.id)
            .order_by(ConferenceSession.starts_at, ConferenceSession.slug)
        )
        if public_only:
            query = query.where(ConferenceSession.status != "draft")
        slugs: dict[int, builtins.list[str]] = {}
        for speaker_id, slug in (await self.db.execute(query)).all():
            slugs.setdefault(speaker_id, []).append(slug)
        return slugs

    async def create(self, conference: Conference, data: SpeakerCreate) -> Speaker:
        check_translations(conference, "bio", data.bio, required=False)
        if await self.db.scalar(
            select(Speaker.id).where(Speaker.conference_id == conference.id, Speaker.slug == data.slug)
        ):
            raise ConflictError("slug", "duplicate", "a speaker with this slug exists in this conference")
        values = data.model_dump(mode="json")
        values["timezone"] = data.timezone or zone_for_country(data.country)
        speaker = Speaker(conference_id=conference.id, **values)
        self.db.add(speaker)
        await self.db.flush()
        await record_programme_change(self.db, conference)
        return speaker

    async def update(self, conference: Conference, speaker: Speaker, data: SpeakerUpdate) -> Speaker:
        refuse_nulls(data)
        changes = data.model_dump(mode="json", exclude_unset=True)
        if "bio" in changes:
            check_translations(conference, "bio", changes["bio"], required=False)
        if "country" in changes and "timezone" not in changes and changes["country"] != speaker.country:
            changes["timezone"] = zone_for_country(changes["country"])
        # The address is private: it changes nothing the public sees.
        if "email" in changes:
            speaker.email = changes.pop("email")
        # Re-sending the same values changes nothing.
        changes = {field: value for field, value in changes.items() if getattr(speaker, field) != value}
        # Sessions name their speakers: a new name is their "speakers" change (the changelog's).
        named = await self._public_sessions(speaker) if "name" in changes else []
        shown_before = [snapshot(session) for session in named]
        for field, value in changes.items():
            setattr(speaker, field, value)
        for session, before in zip(named, shown_before, strict=True):
            await record_change(self.db, session, before, snapshot(session))
        if changes:
            # Session descriptions name their speakers with countries.
            await record_sessions_change(self.db, _sessions_of(speaker))
            await record_programme_change(self.db, conference)
        return speaker

    async def delete(self, conference: Conference, speaker: Speaker) -> None:
        # Their sessions stay, without them: each public one's "speakers" change.
        for session in await self._public_sessions(speaker):
            others = [link.speaker.name for link in session.speaker_links if link.speaker_id != speaker.id]
            await record_change(self.db, session, snapshot(session), snapshot(session, speaker_names=others))
        await record_sessions_change(self.db, _sessions_of(speaker))
        photo_id = speaker.photo_id
        await self.db.delete(speaker)
        await self.db.flush()
        if photo_id is not None:  # the photo belongs to the speaker alone
            await self.db.execute(delete(StoredFile).where(StoredFile.id == photo_id))
        await record_programme_change(self.db, conference)

    async def _public_sessions(self, speaker: Speaker) -> builtins.list[ConferenceSession]:
        """The public sessions ``speaker`` is in, loaded as ``snapshot`` reads them."""
        return list(
            await self.db.scalars(
                select(ConferenceSession)
                .where(_sessions_of(speaker), ConferenceSession.status != SessionStatus.DRAFT)
                .options(
                    joinedload(ConferenceSession.stream),
                    selectinload(ConferenceSession.speaker_links).joinedload(SessionSpeaker.speaker),
                )
                .order_by(ConferenceSession.id)
            )
        )


def _sessions_of(speaker: Speaker) -> ColumnElement[bool]:
    return ConferenceSession.id.in_(select(SessionSpeaker.session_id).where(SessionSpeaker.speaker_id == speaker.id))
