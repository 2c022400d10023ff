"""/orga/{conf}/audit/: the conference's audit trail, newest first, 50 a page.

Pages are keyset-paginated on the record's id (``?before=<id>``), so a page costs the same at
any depth and a change made meanwhile shifts nothing. Times are shown in the viewer's zone;
what is shown is what ``audit/recorder.py`` kept (never a secret, never an attendee's data).
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromQuery
from sqlalchemy import select

from confman.accounts.auth import AuthenticatedUser
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.db.models import AuditRecord
from confman.db.transactions import DbSession
from confman.lib.i18n import format_clock, format_short_day, zone_city
from confman.lib.timezones import to_zone
from confman.orga.frame import conference_path, orga_context, orga_page
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency

PAGE_SIZE = 50


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _fields(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, str]]:
    names = list(dict.fromkeys([*after, *before]))
    return [
        {
            "name": name,
            "before": _shown(before.get(name)) if name in before else "",
            "after": _shown(after.get(name)) if name in after else "",
        }
        for name in names
    ]


@get("/{conf:str}/audit/", name="orga:audit", opt=ORGANISER)
async def audit_page(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
    before: FromQuery[int | None] = None,
) -> Response[Any]:
    conference = conference_access.conference
    query = select(AuditRecord).where(AuditRecord.conference_id == conference.id)
    if before is not None:
        query = query.where(AuditRecord.id < before)
    rows = list(await db_session.scalars(query.order_by(AuditRecord.id.desc()).limit(PAGE_SIZE + 1)))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    context = orga_context(
        request, base_url=settings.base_url, user=organiser, access=conference_access, section="audit"
    )
    viewer = context["viewer"]
    zone, language = viewer.zone, viewer.formatting
    context.update(
        records=[
            {
                "id": row.id,
                "actor": row.actor,
                "day": format_short_day(to_zone(row.created_at, zone).date(), language),
                "time": format_clock(row.created_at, zone, language),
                "iso": row.created_at.isoformat(),
                "action": row.action,
                "entity": row.entity,
                "entity_key": row.entity_key,
                "fields": _fields(row.before or {}, row.after or {}),
            }
            for row in rows
        ],
        zone_name=zone,
        zone_city=zone_city(zone, language),
        older=f"{conference_path(conference.slug, 'audit/')}?before={rows[-1].id}" if more else None,
        newest=conference_path(conference.slug, "audit/") if before is not None else None,
    )
    return orga_page(page_renderer, "orga/audit/index.html", context)
