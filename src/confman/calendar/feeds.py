"""Public iCalendar files: the programme feed, one session, one speaker's sessions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery

from confman.calendar.ical import build_calendar
from confman.db.transactions import DbSession
from confman.lib.errors import not_found
from confman.lib.i18n import translations, ui_language
from confman.lib.urls import picks_ics_url, programme_ics_url, session_ics_url, speaker_ics_url
from confman.published.model import PublicSession, PublishedProgramme
from confman.published.picks import parse_picks, picked_sessions, picks_query
from confman.settings import AppSettings
from confman.site.serve import ProgrammeCacheDependency, published_programme, serve_programme_file

# Litestar adds "; charset=utf-8" to text/* types itself.
ICS = "text/calendar"

# Picks a feed's sessions and its calendar name from the programme, in the chosen language.
Selection = Callable[[PublishedProgramme, str | None], tuple[Sequence[PublicSession], str]]


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
        programme = await published_programme(db_session, programme_cache, conf)
        shown = language if language in programme.conference.languages else None
        sessions, name = select(programme, shown)
        return build_calendar(
            programme.conference,
            sessions,
            base_url=settings.base_url,
            name=name,
            source_url=f"{feed_url}{'&' if '?' in feed_url else '?'}lang={shown}" if shown else feed_url,
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
        filename=feed_url.split("?", 1)[0].rsplit("/", 1)[-1],
    )


@get("/{conf:str}/programme.ics", name="programme_ics", include_in_schema=False)
async def programme_ics(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    lang: FromQuery[str | None] = None,
    sessions: FromQuery[list[str] | None] = None,
) -> Response[bytes]:
    if sessions is not None:
        return await _picks_ics(request, conf, sessions, db_session, settings, programme_cache, lang)

    def select(programme: PublishedProgramme, language: str | None) -> tuple[Sequence[PublicSession], str]:
        return programme.sessions, programme.text(programme.conference.title, language)[0]

    return await _calendar_file(
        request, conf=conf, lang=lang, db_session=db_session, settings=settings, programme_cache=programme_cache,
        feed="programme", feed_url=programme_ics_url(settings.base_url, conf), select=select,
    )  # fmt: skip


async def _picks_ics(
    request: Request[Any, Any, Any],
    conf: str,
    sessions: list[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    lang: str | None,
) -> Response[bytes]:
    """A visitor's picks (``?sessions=a,b`` or ``?sessions=a&sessions=b``): the programme feed's
    events of those sessions only, cached under the canonical picks (see ``published.picks``)."""
    picks = parse_picks(sessions)
    query = picks_query(picks)

    def select(programme: PublishedProgramme, language: str | None) -> tuple[Sequence[PublicSession], str]:
        conference = programme.conference
        labels = translations(ui_language(language or conference.default_language))
        title = programme.text(conference.title, language)[0]
        return picked_sessions(programme, picks), f"{labels.gettext('My picks')} · {title}"

    return await _calendar_file(
        request, conf=conf, lang=lang, db_session=db_session, settings=settings, programme_cache=programme_cache,
        feed=f"picks:{query}", feed_url=picks_ics_url(settings.base_url, conf, query), select=select,
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

    def select(programme: PublishedProgramme, language: str | None) -> tuple[Sequence[PublicSession], str]:
        session = programme.session(slug)
        if session is None:
            raise not_found("Session not found")
        return [session], programme.text(session.title, language)[0]

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

    def select(programme: PublishedProgramme, language: str | None) -> tuple[Sequence[PublicSession], str]:
        # Only announced speakers (with a public session) have a feed, as they have a page.
        speaker = programme.speaker(slug)
        if speaker is None:
            raise not_found("Speaker not found")
        return speaker.sessions, f"{speaker.name} · {programme.text(programme.conference.title, language)[0]}"

    return await _calendar_file(
        request, conf=conf, lang=lang, db_session=db_session, settings=settings, programme_cache=programme_cache,
        feed=f"speaker:{slug}", feed_url=speaker_ics_url(settings.base_url, conf, slug), select=select,
    )  # fmt: skip
