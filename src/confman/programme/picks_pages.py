"""The visitor's picks page: ``/{conf}/programme/picks/?sessions=a,b`` (no account, no state).

With picks, it lists them in time order in the viewer's zone, marks overlaps in words,
links the picks feed (``programme.ics?sessions=…``) and shows its own address as a share
link and a QR code. Without picks, it is a plain GET form of checkboxes that builds the same
address (or the feed's), so it works without JavaScript; ``static/picks.js`` keeps the
picks in the browser and links here. Malformed picks answer 400 with the form and the
message (see ``published.picks`` for what is malformed and what is left out silently).
"""

from __future__ import annotations

from typing import Any

import segno
from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_400_BAD_REQUEST
from markupsafe import Markup, escape

from confman.db.transactions import DbSession
from confman.lib.errors import FieldError
from confman.lib.response_cache import CACHEABLE_HEADER
from confman.lib.urls import picks_ics_url, picks_url, programme_ics_url, webcal_url
from confman.published.model import PublishedProgramme
from confman.published.picks import FIELD, parse_picks, picked_sessions, picks_query, with_overlaps
from confman.settings import AppSettings
from confman.site.display import ProgrammeDisplay
from confman.site.serve import PageRendererDependency, ProgrammeCacheDependency, serve_page

# The page's refusals by code, in words the catalogue translates (the template says them).
ERROR_CODES = ("empty", "invalid", "too_long", "too_many")


def qr_svg(url: str, label: str) -> Markup | None:
    """The QR code of ``url`` as inline SVG (presentation attributes only, no ``style=``, so the
    CSP allows it); None when the address is too long for a QR code."""
    try:
        code = segno.make(url, error="m", micro=False)
    except segno.DataOverflowError:
        return None
    svg: str = code.svg_inline(scale=4, border=2, svgclass="picks-qr-code", lineclass=None, omitsize=False)
    # svg_inline writes no role; the label is ours, escaped.
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))  # noqa: S704


@get("/{conf:str}/programme/picks/", name="picks_page", include_in_schema=False)
async def picks_page(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    page_renderer: PageRendererDependency,
    sessions: FromQuery[list[str] | None] = None,
) -> Response[bytes]:
    error: str | None = None
    picks: tuple[str, ...] = ()
    if sessions is not None:
        try:
            picks = parse_picks(sessions)
        except FieldError as refused:
            error = refused.code
    query = picks_query(picks)

    def parameters(programme: PublishedProgramme) -> dict[str, str]:
        return {FIELD: query} if query else {}

    def build(display: ProgrammeDisplay) -> tuple[str, dict[str, Any]]:
        base = display.base_url
        chosen = picked_sessions(display.programme, picks)
        overlaps = {pick.session.slug: [display.session(o) for o in pick.overlaps] for pick in with_overlaps(chosen)}
        share = picks_url(base, conf, query) if query else None
        ics = picks_ics_url(base, conf, query) if query else None
        return "public/picks.html", {
            "picks": query,
            "days": display.days(chosen),
            "shown": len(chosen),
            "missing": len(picks) - len(chosen),
            "overlaps": overlaps,
            "share_url": share,
            "feed_ics": ics,
            "feed_webcal": webcal_url(ics) if ics else None,
            "qr": qr_svg(share, display.text(display.conference.title).value) if share else None,
            "error": error,
            "field": FIELD,
            "choices": display.days(display.programme.sessions),
            "chosen": set(picks),
            "form_action": picks_url(base, conf),
            "feed_action": programme_ics_url(base, conf),
        }

    response = await serve_page(
        request, db=db_session, cache=programme_cache, renderer=page_renderer, settings=settings,
        slug=conf, page=f"picks:{error}" if error else "picks", query=parameters, build=build,
    )  # fmt: skip
    if error:
        # The form again with the message: not a page to cache or revalidate.
        response.status_code = HTTP_400_BAD_REQUEST
        for name in ("ETag", "Last-Modified", CACHEABLE_HEADER):
            response.headers.pop(name, None)
        response.headers["Cache-Control"] = "no-store"
    return response
