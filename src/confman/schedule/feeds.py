"""Public frab/c3voc schedule files for conference apps (Giggity, EventFahrplan, ConfClerk)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from confman.changes.public import cached_changelog
from confman.db.transactions import DbSession
from confman.published.model import PublishedProgramme
from confman.schedule.frab import build_schedule_json, build_schedule_xml
from confman.settings import AppSettings
from confman.site.serve import ProgrammeCacheDependency, published_programme, serve_programme_file


def _schedule_json(programme: PublishedProgramme, base_url: str, version: str) -> bytes:
    document = build_schedule_json(programme, base_url=base_url, version=version)
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def _schedule_xml(programme: PublishedProgramme, base_url: str, version: str) -> bytes:
    return build_schedule_xml(programme, base_url=base_url, version=version)


# file name → (builder, media type)
FORMATS: dict[str, tuple[Callable[[PublishedProgramme, str, str], bytes], str]] = {
    "schedule.json": (_schedule_json, "application/json"),
    "schedule.xml": (_schedule_xml, "application/vnd.c3voc.schedule+xml; charset=utf-8"),
}


async def _schedule_file(
    request: Request[Any, Any, Any],
    conf: str,
    filename: str,
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
) -> Response[bytes]:
    build, media_type = FORMATS[filename]

    async def render() -> bytes:
        programme = await published_programme(db_session, programme_cache, conf)
        # The frab ``version`` follows the releases: "1.2", or "1.2+41" while changes wait for one.
        changelog = await cached_changelog(db_session, programme_cache, programme.conference)
        version = changelog.frab_version(programme.conference.version)
        return build(programme, settings.base_url, version)

    return await serve_programme_file(
        request,
        db=db_session,
        cache=programme_cache,
        slug=conf,
        variant=filename,
        render=render,
        media_type=media_type,
        filename=filename,
    )


@get("/{conf:str}/schedule.json", name="schedule_json", include_in_schema=False)
async def schedule_json(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
) -> Response[bytes]:
    return await _schedule_file(request, conf, "schedule.json", db_session, settings, programme_cache)


@get("/{conf:str}/schedule.xml", name="schedule_xml", include_in_schema=False)
async def schedule_xml(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
) -> Response[bytes]:
    return await _schedule_file(request, conf, "schedule.xml", db_session, settings, programme_cache)
