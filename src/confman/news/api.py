"""/api/v1/conferences/{conf}/announcements: the organisers' announcements (drafts included),
and sending one to attendees."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from confman.accounts.auth import BEARER, AuthenticatedUser
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.db.models import Announcement, AnnouncementStatus
from confman.db.transactions import DbSession
from confman.lib.errors import ConflictError
from confman.lib.openapi import WRITE_ERRORS
from confman.lib.timezones import utcnow
from confman.lib.urls import news_article_url
from confman.news.schemas import (
    AnnouncementCreate,
    AnnouncementRead,
    AnnouncementSend,
    AnnouncementUpdate,
    Audience,
    SendingRead,
)
from confman.news.services import NewsService, RecipientsChanged, is_visible
from confman.settings import AppSettings


def announcement_read(
    announcement: Announcement, conference_slug: str, base_url: str, sent: list[str]
) -> AnnouncementRead:
    now = utcnow()
    published = announcement.status is AnnouncementStatus.PUBLISHED
    return AnnouncementRead(
        slug=announcement.slug,
        guid=announcement.guid,
        title=announcement.title,
        body=announcement.body,
        status=announcement.status,
        publish_at=announcement.publish_at,
        pinned=announcement.pinned,
        revision=announcement.revision,
        visible=is_visible(announcement, now),
        scheduled=published and announcement.publish_at is not None and announcement.publish_at > now,
        url=news_article_url(base_url, conference_slug, announcement.slug),
        sent_to=sent,
        created_at=announcement.created_at,
        updated_at=announcement.updated_at,
    )


class AnnouncementController(Controller):
    path = "/api/v1/conferences/{conf:str}/announcements"
    tags = ["Announcements"]
    opt = ORGANISER
    security = BEARER

    @get("/", summary="The conference's announcements, drafts too (pinned first, then the newest)",
         raises=WRITE_ERRORS)  # fmt: skip
    async def list_announcements(
        self, conference_access: ConferenceAccessDependency, db_session: DbSession, settings: AppSettings
    ) -> list[AnnouncementRead]:
        conference = conference_access.conference
        service = NewsService(db_session)
        announcements = await service.all(conference)
        sent = await service.sent_statuses(announcements)
        return [announcement_read(a, conference.slug, settings.base_url, sent[a.id]) for a in announcements]

    @post("/", summary="Write an announcement (a draft unless status is published)", raises=WRITE_ERRORS)
    async def create_announcement(
        self,
        conference_access: ConferenceAccessDependency,
        data: JSONBody[AnnouncementCreate],
        db_session: DbSession,
        settings: AppSettings,
    ) -> AnnouncementRead:
        conference = conference_access.conference
        announcement = await NewsService(db_session).create(conference, data)
        return announcement_read(announcement, conference.slug, settings.base_url, [])

    @get("/{announcement:str}", summary="One announcement", raises=WRITE_ERRORS)
    async def get_announcement(
        self,
        conference_access: ConferenceAccessDependency,
        announcement: FromPath[str],
        db_session: DbSession,
        settings: AppSettings,
    ) -> AnnouncementRead:
        conference, service = conference_access.conference, NewsService(db_session)
        found = await service.get(conference, announcement)
        sent = await service.sent_statuses([found])
        return announcement_read(found, conference.slug, settings.base_url, sent[found.id])

    @patch("/{announcement:str}", summary="Change an announcement (publish, unpublish, pin, texts)",
           raises=WRITE_ERRORS)  # fmt: skip
    async def update_announcement(
        self,
        conference_access: ConferenceAccessDependency,
        announcement: FromPath[str],
        data: JSONBody[AnnouncementUpdate],
        db_session: DbSession,
        settings: AppSettings,
    ) -> AnnouncementRead:
        conference, service = conference_access.conference, NewsService(db_session)
        found = await service.update(conference, await service.get(conference, announcement), data)
        sent = await service.sent_statuses([found])
        return announcement_read(found, conference.slug, settings.base_url, sent[found.id])

    @delete("/{announcement:str}", summary="Delete an announcement", raises=WRITE_ERRORS)
    async def delete_announcement(
        self, conference_access: ConferenceAccessDependency, announcement: FromPath[str], db_session: DbSession
    ) -> None:
        service = NewsService(db_session)
        await service.delete(await service.get(conference_access.conference, announcement))

    @get("/{announcement:str}/recipients", summary="How many attendees sending it would reach",
         raises=WRITE_ERRORS)  # fmt: skip
    async def count_recipients(
        self,
        conference_access: ConferenceAccessDependency,
        announcement: FromPath[str],
        db_session: DbSession,
        settings: AppSettings,
        audience: FromQuery[Audience] = Audience.ALL,
    ) -> SendingRead:
        conference, service = conference_access.conference, NewsService(db_session)
        found = await service.get(conference, announcement)
        count = await service.count_recipients(conference, audience, settings.base_url)
        sent = await service.sent_statuses([found])
        return SendingRead(audience=audience, recipients=count, sent_to=sent[found.id])

    @post(
        "/{announcement:str}/send",
        summary="Send a visible announcement to attendees (all, confirmed or waitlisted), each in their language",
        description="Through the outbox, once per registration status: a status already sent to answers 409 "
        "`already_sent`; `expected_recipients` other than the audience's size answers 409 `recipients_changed`.",
        raises=WRITE_ERRORS,
    )
    async def send_announcement(
        self,
        conference_access: ConferenceAccessDependency,
        announcement: FromPath[str],
        data: JSONBody[AnnouncementSend],
        organiser: AuthenticatedUser,
        db_session: DbSession,
        settings: AppSettings,
    ) -> SendingRead:
        conference, service = conference_access.conference, NewsService(db_session)
        found = await service.get(conference, announcement)
        try:
            sent = await service.send(
                conference, found, data.audience, sender=organiser, base_url=settings.base_url,
                expected_recipients=data.expected_recipients,
            )  # fmt: skip
        except RecipientsChanged as changed:
            raise ConflictError(
                "expected_recipients", "recipients_changed", f"the audience now has {changed.count} attendees"
            ) from None
        return SendingRead(audience=sent.audience, recipients=sent.recipients, sent_to=list(sent.statuses))
