"""Public frab/c3voc schedule files for conference apps (Giggity, EventFahrplan, ConfClerk)."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from confman.db.transactions import DbSession
from confman.programme.feeds import ProgrammeCacheDependency, load_public_programme, serve_programme_file
from confman.schedule.frab import build_schedule_json, build_schedule_xml
from confman.settings import AppSettings


@get("/{conf:str}/schedule.json", name="schedule_json", include_in_schema=False)
async def schedule_json(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
) -> Response[bytes]:
    async def render() -> bytes:
        programme = await load_public_programme(db_session, conf)
        document = build_schedule_json(
            programme.conference,
            programme.sessions,
            base_url=settings.base_url,
            version=str(programme.conference.programme_version),
        )
        return json.dumps(document, ensure_ascii=False, indent=1).encode()

    return await serve_programme_file(
        request,
        db=db_session,
        cache=programme_cache,
        slug=conf,
        variant="schedule.json",
        render=render,
        media_type="application/json",
        filename="schedule.json",
    )


@get("/{conf:str}/schedule.xml", name="schedule_xml", include_in_schema=False)
async def schedule_xml(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
) -> Response[bytes]:
    async def render() -> bytes:
        programme = await load_public_programme(db_session, conf)
        return build_schedule_xml(
            programme.conference,
            programme.sessions,
            base_url=settings.base_url,
            version=str(programme.conference.programme_version),
        )

    return await serve_programme_file(
        request,
        db=db_session,
        cache=programme_cache,
        slug=conf,
        variant="schedule.xml",
        render=render,
        media_type="application/vnd.c3voc.schedule+xml; charset=utf-8",
        filename="schedule.xml",
    )
