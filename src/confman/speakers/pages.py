"""Public HTML pages of the speakers: all of them with their countries, and one speaker."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery

from confman.calendar.feeds import speaker_ics
from confman.db.transactions import DbSession
from confman.lib.conditional import is_fresh, not_modified, validator_headers
from confman.lib.errors import not_found
from confman.lib.urls import media_url
from confman.published.model import PublicSpeaker, load_media, load_public_photo
from confman.settings import AppSettings
from confman.site.display import ProgrammeDisplay, initials
from confman.site.serve import PageRendererDependency, ProgrammeCacheDependency, serve_page


@get("/{conf:str}/speakers/", name="speakers_page", include_in_schema=False)
async def speakers_page(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    page_renderer: PageRendererDependency,
) -> Response[bytes]:
    def build(display: ProgrammeDisplay) -> tuple[str, dict[str, Any]]:
        speakers = display.programme.speakers
        return "public/speakers.html", {
            "speakers": [display.speaker(s) for s in speakers],
            "photos": {s.slug: _photo_url(settings.base_url, display, s) for s in speakers if s.photo},
            # Without a photo, their initials in the photo's place (as on session pages).
            "initials": {s.slug: initials(s.name) for s in speakers if not s.photo},
        }

    return await serve_page(
        request, db=db_session, cache=programme_cache, renderer=page_renderer, settings=settings,
        slug=conf, page="speakers", build=build,
    )  # fmt: skip


@get("/{conf:str}/speakers/{name:str}", name="speaker_page", include_in_schema=False)
async def speaker_page(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    name: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    page_renderer: PageRendererDependency,
    lang: FromQuery[str | None] = None,
) -> Response[bytes]:
    # The page (/speakers/x/) and the file (/speakers/x.ics) share a route, as sessions do.
    if name.endswith(".ics"):
        return await speaker_ics(request, conf, name, db_session, settings, programme_cache, lang)

    def build(display: ProgrammeDisplay) -> tuple[str, dict[str, Any]]:
        speaker = display.programme.speaker(name)
        if speaker is None:
            raise not_found("Speaker not found")
        return "public/speaker.html", {
            "speaker": display.speaker(speaker),
            "photo": _photo_url(settings.base_url, display, speaker) if speaker.photo else None,
            "initials": initials(speaker.name),
        }

    return await serve_page(
        request, db=db_session, cache=programme_cache, renderer=page_renderer, settings=settings,
        slug=conf, page=f"speaker:{name}", build=build,
    )  # fmt: skip


def _photo_url(base_url: str, display: ProgrammeDisplay, speaker: PublicSpeaker) -> str:
    return media_url(base_url, speaker.photo or "")


# A versioned URL (``?v=``) names one photo forever; without it, ask again each time.
_FOREVER = "public, max-age=31536000, immutable"
_REVALIDATE = "public, no-cache"


@get("/{conf:str}/speakers/{name:str}/photo", name="speaker_photo", include_in_schema=False)
async def speaker_photo(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    name: FromPath[str],
    db_session: DbSession,
    v: FromQuery[str | None] = None,
) -> Response[bytes]:
    """A speaker's photo, for published conferences and announced speakers only."""
    photo = await load_public_photo(db_session, conf, name)
    if photo is None:
        raise not_found("Photo not found")
    etag = f'"{photo.sha256}"'
    cache_control = _FOREVER if v is not None and photo.sha256.startswith(v) and len(v) >= 8 else _REVALIDATE
    headers = {**validator_headers(etag, None, cache_control), "X-Content-Type-Options": "nosniff"}
    if is_fresh(request, etag, None):
        return not_modified(headers)
    return Response(photo.data, media_type=photo.content_type, headers=headers)


@get("/media/{name:str}", name="media", include_in_schema=False)
async def media_file(request: Request[Any, Any, Any], name: FromPath[str], db_session: DbSession) -> Response[bytes]:
    """An uploaded image at its content-hashed name (DESIGN.md: ``/media/{hash}.{ext}``)."""
    photo = await load_media(db_session, name)
    if photo is None:
        raise not_found("File not found")
    etag = f'"{photo.sha256}"'
    headers = {**validator_headers(etag, None, _FOREVER), "X-Content-Type-Options": "nosniff"}
    if is_fresh(request, etag, None):
        return not_modified(headers)
    return Response(photo.data, media_type=photo.content_type, headers=headers)
