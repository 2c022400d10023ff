"""Public iCalendar files: the programme feed, one session, one speaker's sessions."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery

from confman.calendar.ical import build_calendar
from confman.db.models import ConferenceSession
from confman.db.transactions import DbSession
from confman.lib.errors import not_found
from confman.lib.urls import programme_ics_url, session_ics_url, speaker_ics_url
from confman.programme.feeds import ProgrammeCacheDependency, load_public_programme, serve_programme_file
from confman.settings import AppSettings
from confman.speakers.services import SpeakerService

# Litestar adds "; charset=utf-8" to text/* types itself.
ICS = "text/calendar"


def _language(requested: str | None) -> str | None:
    # The builder falls back to the conference default for a language it does not offer.
    return requested if requested and len(requested) <= 16 else None


def _with_language(url: str, language: str | None) -> str:
    return f"{url}?lang={language}" if language else url


@get("/{conf:str}/programme.ics", name="programme_ics", include_in_schema=False)
async def programme_ics(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    lang: FromQuery[str | None] = None,
) -> Response[bytes]:
    language = _language(lang)

    async def render() -> bytes:
        programme = await load_public_programme(db_session, conf)
        conference = programme.conference
        language_shown = language if language in conference.languages else None
        return build_calendar(
            conference,
            programme.sessions,
            base_url=settings.base_url,
            name=conference.text(conference.title, language_shown),
            source_url=_with_language(programme_ics_url(settings.base_url, conf), language_shown),
            language=language_shown,
        )

    return await serve_programme_file(
        request,
        db=db_session,
        cache=programme_cache,
        slug=conf,
        variant=("programme.ics", language),
        render=render,
        media_type=ICS,
        filename=f"{conf}.ics",
    )


@get("/{conf:str}/sessions/{session_file:str}", name="session_ics", include_in_schema=False)
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
    language = _language(lang)

    async def render() -> bytes:
        programme = await load_public_programme(db_session, conf)
        chosen = [s for s in programme.sessions if s.slug == slug]
        if not chosen:
            raise not_found("Session not found")
        conference = programme.conference
        language_shown = language if language in conference.languages else None
        return build_calendar(
            conference,
            chosen,
            base_url=settings.base_url,
            name=conference.text(chosen[0].title, language_shown),
            source_url=_with_language(session_ics_url(settings.base_url, conf, slug), language_shown),
            language=language_shown,
        )

    return await serve_programme_file(
        request,
        db=db_session,
        cache=programme_cache,
        slug=conf,
        variant=("session.ics", slug, language),
        render=render,
        media_type=ICS,
        filename=f"{slug}.ics",
    )


@get("/{conf:str}/speakers/{speaker_file:str}", name="speaker_ics", include_in_schema=False)
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
    language = _language(lang)

    async def render() -> bytes:
        programme = await load_public_programme(db_session, conf)
        conference = programme.conference
        speaker = await SpeakerService(db_session).get(conference, slug)
        chosen: list[ConferenceSession] = [
            s for s in programme.sessions if any(link.speaker_id == speaker.id for link in s.speaker_links)
        ]
        language_shown = language if language in conference.languages else None
        return build_calendar(
            conference,
            chosen,
            base_url=settings.base_url,
            name=f"{speaker.name} · {conference.text(conference.title, language_shown)}",
            source_url=_with_language(speaker_ics_url(settings.base_url, conf, slug), language_shown),
            language=language_shown,
        )

    return await serve_programme_file(
        request,
        db=db_session,
        cache=programme_cache,
        slug=conf,
        variant=("speaker.ics", slug, language),
        render=render,
        media_type=ICS,
        filename=f"{slug}.ics",
    )
