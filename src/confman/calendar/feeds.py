"""Public iCalendar files: the programme feed, one session, one speaker's sessions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery

from confman.calendar.ical import build_calendar
from confman.db.models import ConferenceSession
from confman.db.transactions import DbSession
from confman.lib.errors import not_found
from confman.lib.urls import programme_ics_url, session_ics_url, speaker_ics_url
from confman.programme.feeds import (
    ProgrammeCacheDependency,
    PublicProgramme,
    load_public_programme,
    serve_programme_file,
)
from confman.settings import AppSettings
from confman.speakers.services import SpeakerService

# Litestar adds "; charset=utf-8" to text/* types itself.
ICS = "text/calendar"

# Picks a feed's sessions and its calendar name from the programme, in the chosen language.
Selection = Callable[[PublicProgramme, str | None], Awaitable[tuple[Sequence[ConferenceSession], str]]]


async def _calendar_file(
    request: Request[Any, Any, Any],
    *,
    conf: str,
    lang: str | None,
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    feed: str,
    feed_url: str,
    select: Selection,
) -> Response[bytes]:
    # An unknown or unoffered language falls back to the conference default.
    language = lang if lang and len(lang) <= 16 else None

    async def render() -> bytes:
        programme = await load_public_programme(db_session, conf)
        shown = language if language in programme.conference.languages else None
        sessions, name = await select(programme, shown)
        return build_calendar(
            programme.conference,
            sessions,
            base_url=settings.base_url,
            name=name,
            source_url=f"{feed_url}?lang={shown}" if shown else feed_url,
            language=shown,
        )

    return await serve_programme_file(
        request,
        db=db_session,
        cache=programme_cache,
        slug=conf,
        variant=(feed, language),
        render=render,
        media_type=ICS,
        filename=feed_url.rsplit("/", 1)[-1],
    )


@get("/{conf:str}/programme.ics", name="programme_ics", include_in_schema=False)
async def programme_ics(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    lang: FromQuery[str | None] = None,
) -> Response[bytes]:
    async def select(programme: PublicProgramme, language: str | None) -> tuple[Sequence[ConferenceSession], str]:
        return programme.sessions, programme.conference.text(programme.conference.title, language)

    return await _calendar_file(
        request, conf=conf, lang=lang, db_session=db_session, settings=settings, programme_cache=programme_cache,
        feed="programme", feed_url=programme_ics_url(settings.base_url, conf), select=select,
    )  # fmt: skip


# Routed by programme.pages.session_page (one route for /sessions/x/ and /sessions/x.ics).
async def session_ics(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    session_file: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    lang: FromQuery[str | None] = None,
) -> Response[bytes]:
    slug = session_file.removesuffix(".ics")
    if slug == session_file:
        # /{conf}/sessions/{session}/ is the session's HTML page (public site).
        raise not_found("Session not found")

    async def select(programme: PublicProgramme, language: str | None) -> tuple[Sequence[ConferenceSession], str]:
        chosen = [session for session in programme.sessions if session.slug == slug]
        if not chosen:
            raise not_found("Session not found")
        return chosen, programme.conference.text(chosen[0].title, language)

    return await _calendar_file(
        request, conf=conf, lang=lang, db_session=db_session, settings=settings, programme_cache=programme_cache,
        feed=f"session:{slug}", feed_url=session_ics_url(settings.base_url, conf, slug), select=select,
    )  # fmt: skip


# Routed by speakers.pages.speaker_page, likewise.
async def speaker_ics(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    speaker_file: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    lang: FromQuery[str | None] = None,
) -> Response[bytes]:
    slug = speaker_file.removesuffix(".ics")
    if slug == speaker_file:
        raise not_found("Speaker not found")

    async def select(programme: PublicProgramme, language: str | None) -> tuple[Sequence[ConferenceSession], str]:
        speaker = await SpeakerService(db_session).get(programme.conference, slug)
        chosen = [s for s in programme.sessions if any(link.speaker_id == speaker.id for link in s.speaker_links)]
        return chosen, f"{speaker.name} · {programme.conference.text(programme.conference.title, language)}"

    return await _calendar_file(
        request, conf=conf, lang=lang, db_session=db_session, settings=settings, programme_cache=programme_cache,
        feed=f"speaker:{slug}", feed_url=speaker_ics_url(settings.base_url, conf, slug), select=select,
    )  # fmt: skip
