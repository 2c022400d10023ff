"""Public HTML pages about conferences."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from confman.calendar.links import programme_calendar_links
from confman.conferences.services import ConferenceService
from confman.db.transactions import DbSession
from confman.lib.urls import conference_url
from confman.settings import AppSettings


@get("/", name="index_page", include_in_schema=False)
async def index_page(db_session: DbSession, settings: AppSettings) -> Template:
    accesses = await ConferenceService(db_session).list_visible(None)
    conferences = [
        {
            "title": access.conference.text(access.conference.title),
            "language": access.conference.default_language,
            "starts_on": access.conference.starts_on,
            "ends_on": access.conference.ends_on,
            "timezone": access.conference.timezone,
            "url": conference_url(settings.base_url, access.conference.slug),
            "api_url": f"/api/v1/conferences/{access.conference.slug}",
            "calendar": programme_calendar_links(settings.base_url, access.conference.slug),
        }
        for access in accesses
    ]
    return Template(template_name="public/index.html", context={"conferences": conferences})
