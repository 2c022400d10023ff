"""Announcements: writing them (checked against the conference's languages), reading them for
organisers, and sending one to attendees.

Sending reuses the organisers' messages (``outreach``): the recipients are the registrations
audience filter's (confirmed and waiting attendees, or one of the two), each e-mail is an
outbox row in the attendee's language (else the conference's default), written with one
``executemany``. An announcement goes to each registration status at most once: before the
message is written, one ``announcement_sending`` row per status it covers is inserted, and the
unique (announcement, status) constraint refuses a second one (409, also when two organisers
press "Send" at once: the loser's transaction rolls back whole, e-mails included).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.conferences.services import check_translations
from confman.db.models import (
    Announcement,
    AnnouncementSending,
    AnnouncementStatus,
    Conference,
    RegistrationStatus,
    User,
)
from confman.lib.errors import ConflictError, FieldError, not_found
from confman.lib.timezones import to_utc, utcnow
from confman.lib.validation import is_slug
from confman.news.notices import email_bodies
from confman.news.schemas import AnnouncementCreate, AnnouncementUpdate, Audience
from confman.outreach.services import MessageService, RecipientsChanged
from confman.registration.filters import AudienceFilter

NOT_FOUND = "Announcement not found"
AUDIENCE_STATUSES: dict[Audience, tuple[RegistrationStatus, ...]] = {
    Audience.ALL: (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED),
    Audience.CONFIRMED: (RegistrationStatus.CONFIRMED,),
    Audience.WAITLISTED: (RegistrationStatus.WAITLISTED,),
}


def audience_filter(audience: Audience) -> AudienceFilter:
    """The registrations filter of an audience (outreach already keeps to confirmed and waiting)."""
    statuses = AUDIENCE_STATUSES[audience]
    return AudienceFilter(status=statuses[0]) if len(statuses) == 1 else AudienceFilter()


def is_visible(announcement: Announcement, now: datetime) -> bool:
    return (
        announcement.status is AnnouncementStatus.PUBLISHED
        and announcement.publish_at is not None
        and announcement.publish_at <= now
    )


def check_texts(conference: Conference, title: Mapping[str, str], body: Mapping[str, str]) -> None:
    """Titles and bodies in the conference's languages, the default one required, and every
    language written whole (a title without a body, or the reverse, is refused)."""
    check_translations(conference, "title", dict(title), required=True)
    check_translations(conference, "body", dict(body), required=True)
    for language in conference.languages:
        if bool(title.get(language)) != bool(body.get(language)):
            missing = "body" if title.get(language) else "title"
            raise FieldError(f"{missing}.{language}", "required", "give both title and body in a language, or neither")


@dataclass(frozen=True)
class Sent:
    audience: Audience
    recipients: int
    statuses: tuple[str, ...]


class NewsService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def all(self, conference: Conference) -> list[Announcement]:
        """Every announcement (drafts too): pinned first, then the newest."""
        query = (
            select(Announcement)
            .where(Announcement.conference_id == conference.id)
            .order_by(Announcement.pinned.desc(), Announcement.publish_at.desc().nulls_first(), Announcement.id.desc())
        )
        return list(await self.db.scalars(query))

    async def get(self, conference: Conference, slug: str) -> Announcement:
        found = None
        if is_slug(slug):
            found = await self.db.scalar(
                select(Announcement).where(Announcement.conference_id == conference.id, Announcement.slug == slug)
            )
        if found is None:
            raise not_found(NOT_FOUND)
        return found

    async def _check_slug(self, conference: Conference, slug: str, *, other_than: int | None = None) -> None:
        query = select(Announcement.id).where(Announcement.conference_id == conference.id, Announcement.slug == slug)
        if other_than is not None:
            query = query.where(Announcement.id != other_than)
        if await self.db.scalar(query):
            raise ConflictError("slug", "duplicate", "an announcement with this slug exists in this conference")

    @staticmethod
    def _publish_at(conference: Conference, status: AnnouncementStatus, value: datetime | None) -> datetime | None:
        if value is not None:
            return to_utc(value, conference.timezone)
        return utcnow() if status is AnnouncementStatus.PUBLISHED else None

    async def create(self, conference: Conference, data: AnnouncementCreate) -> Announcement:
        check_texts(conference, data.title, data.body)
        await self._check_slug(conference, data.slug)
        announcement = Announcement(
            conference_id=conference.id,
            slug=data.slug,
            title=dict(data.title),
            body=dict(data.body),
            status=data.status,
            publish_at=self._publish_at(conference, data.status, data.publish_at),
            pinned=data.pinned,
            revision=1,
        )
        self.db.add(announcement)
        await self.db.flush()
        return announcement

    async def update(
        self, conference: Conference, announcement: Announcement, data: AnnouncementUpdate
    ) -> Announcement:
        changes: dict[str, Any] = data.model_dump(exclude_unset=True)
        for field in ("slug", "title", "body", "status", "pinned"):
            if field in changes and changes[field] is None:
                raise FieldError(field, "null", "must not be null")
        if "title" in changes or "body" in changes:
            # Checked whole (a language written whole or not at all); a change of state alone
            # never fails on a language the conference has dropped since.
            check_texts(conference, changes.get("title", announcement.title), changes.get("body", announcement.body))
        if "slug" in changes and changes["slug"] != announcement.slug:
            await self._check_slug(conference, changes["slug"], other_than=announcement.id)
            announcement.slug = changes["slug"]
        if "title" in changes:
            announcement.title = dict(changes["title"])
        if "body" in changes:
            announcement.body = dict(changes["body"])
        if "pinned" in changes:
            announcement.pinned = changes["pinned"]
        status = changes.get("status", announcement.status)
        if "publish_at" in changes:
            announcement.publish_at = self._publish_at(conference, status, changes["publish_at"])
        elif status is AnnouncementStatus.PUBLISHED and announcement.publish_at is None:
            announcement.publish_at = utcnow()
        announcement.status = status
        announcement.revision += 1
        await self.db.flush()
        return announcement

    async def delete(self, announcement: Announcement) -> None:
        await self.db.delete(announcement)
        await self.db.flush()

    # --- sending -----------------------------------------------------------------------

    async def sent_statuses(self, announcements: Sequence[Announcement]) -> dict[int, list[str]]:
        """Each announcement's statuses it was sent to (one query)."""
        found: dict[int, list[str]] = {announcement.id: [] for announcement in announcements}
        if found:
            rows = await self.db.execute(
                select(AnnouncementSending.announcement_id, AnnouncementSending.status)
                .where(AnnouncementSending.announcement_id.in_(list(found)))
                .order_by(AnnouncementSending.status)
            )
            for announcement_id, status in rows.tuples():
                found[announcement_id].append(status)
        return found

    async def count_recipients(self, conference: Conference, audience: Audience, base_url: str) -> int:
        return await MessageService(self.db, base_url).count_recipients(conference, audience_filter(audience))

    async def send(
        self,
        conference: Conference,
        announcement: Announcement,
        audience: Audience,
        *,
        sender: User,
        base_url: str,
        expected_recipients: int | None = None,
    ) -> Sent:
        """Send a visible announcement to the attendees of ``audience``, each in their language.
        Refused: not visible yet (400 ``not_visible``), a status it was already sent to (409
        ``already_sent``), no recipients (400), another count than ``expected_recipients``
        (:class:`RecipientsChanged`). Writes in the caller's transaction."""
        if not is_visible(announcement, utcnow()):
            raise FieldError("status", "not_visible", "only a published announcement whose time has come can be sent")
        statuses = tuple(status.value for status in AUDIENCE_STATUSES[audience])
        already = set((await self.sent_statuses([announcement]))[announcement.id])
        if already & set(statuses):
            raise ConflictError("audience", "already_sent", "already sent to these attendees")
        now = utcnow()
        sendings = [
            AnnouncementSending(announcement_id=announcement.id, status=status, sent_at=now) for status in statuses
        ]
        self.db.add_all(sendings)
        # The unique (announcement, status) rows first: a concurrent send fails here, before any e-mail.
        await self.db.flush()
        messages = MessageService(self.db, base_url)
        filter_ = audience_filter(audience)
        if expected_recipients is None:
            expected_recipients = await messages.count_recipients(conference, filter_)
        message = await messages.send(
            conference,
            filter_,
            subject=announcement.title,
            body=email_bodies(conference, announcement, base_url),
            sender=sender,
            expected_recipients=expected_recipients,
        )
        for sending in sendings:
            sending.message_id = message.id
            sending.recipients = message.recipients
        await self.db.flush()
        return Sent(audience=audience, recipients=message.recipients, statuses=statuses)


__all__ = ["NewsService", "RecipientsChanged", "Sent", "audience_filter", "check_texts", "is_visible"]
