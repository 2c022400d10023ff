"""Every public URL is built here, from the contract in DESIGN.md."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

# Characters no path of ours contains and that links must never carry (NUL, tab, newlines,
# DEL, C1 controls): a request path holding one names nothing.
_UNREADABLE = re.compile("[\x00-\x1f\x7f-\x9f]")
_NOT_FOUND = json.dumps({"status_code": 404, "detail": "Not Found"}).encode()


def safe_path(path: str) -> str:
    """``path`` (as decoded from a request) as a link to this site: one leading slash and
    every other character percent-encoded where needed, so "//evil.example/x", "/\\evil" or
    "/%09/x" become paths here ("/evil.example/x", "/%5Cevil", "/%09/x"), never another host."""
    return "/" + quote(path.lstrip("/\\"), safe="/-._~!$&'()*+,;=:@")


# Row ids are 64-bit: a larger number in a path (…/registrations/99999999999999999999) names no
# row, and the databases fail on it (SQLite: OverflowError; PostgreSQL: out of int64 range).
_MAX_ROW_ID = 2**63 - 1


def _names_nothing(scope: Any) -> bool:
    if _UNREADABLE.search(scope["path"]):
        return True
    return any(
        isinstance(value, int) and not 0 <= value <= _MAX_ROW_ID for value in scope.get("path_params", {}).values()
    )


def refuse_unreadable_paths(app: Any) -> Any:
    """ASGI middleware: 404, before the handler runs, for a path with a control character (the
    static files' handler failed on a NUL with a 500) or a number no row can have."""

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and _names_nothing(scope):
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(_NOT_FOUND)).encode())]
            await send({"type": "http.response.start", "status": 404, "headers": headers})
            await send({"type": "http.response.body", "body": _NOT_FOUND})
            return
        await app(scope, receive, send)

    return middleware


def _join(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def conference_url(base_url: str, conference: str) -> str:
    return _join(base_url, f"/{quote(conference)}/")


def programme_url(base_url: str, conference: str) -> str:
    return _join(base_url, f"/{quote(conference)}/programme/")


def changes_url(base_url: str, conference: str) -> str:
    """The programme's public changelog (releases and their changes)."""
    return _join(base_url, f"/{quote(conference)}/changes/")


def changes_atom_url(base_url: str, conference: str) -> str:
    return _join(base_url, f"/{quote(conference)}/changes.atom")


def session_url(base_url: str, conference: str, session: str) -> str:
    return _join(base_url, f"/{quote(conference)}/sessions/{quote(session)}/")


def speaker_url(base_url: str, conference: str, speaker: str) -> str:
    return _join(base_url, f"/{quote(conference)}/speakers/{quote(speaker)}/")


def media_url(base_url: str, name: str) -> str:
    """An uploaded image, named by its content's hash: cached for a year, never stale."""
    return _join(base_url, f"/media/{quote(name)}")


def speakers_url(base_url: str, conference: str) -> str:
    return _join(base_url, f"/{quote(conference)}/speakers/")


def schedule_url(base_url: str, conference: str, extension: str) -> str:
    """The frab/c3voc schedule: ``json`` or ``xml``."""
    return _join(base_url, f"/{quote(conference)}/schedule.{extension}")


def programme_ics_url(base_url: str, conference: str) -> str:
    return _join(base_url, f"/{quote(conference)}/programme.ics")


def session_ics_url(base_url: str, conference: str, session: str) -> str:
    return _join(base_url, f"/{quote(conference)}/sessions/{quote(session)}.ics")


def speaker_ics_url(base_url: str, conference: str, speaker: str) -> str:
    return _join(base_url, f"/{quote(conference)}/speakers/{quote(speaker)}.ics")


def webcal_url(https_url: str) -> str:
    """The same feed for calendar apps' subscribe links (webcal:// is http(s):// renamed)."""
    return "webcal://" + https_url.split("://", 1)[1]


def news_url(base_url: str, conference: str) -> str:
    """The conference's announcements."""
    return _join(base_url, f"/{quote(conference)}/news/")


def news_article_url(base_url: str, conference: str, slug: str, language: str | None = None) -> str:
    """One announcement (in ``language`` when given)."""
    return _join(base_url, f"/{quote(conference)}/news/{quote(slug)}/") + (
        f"?lang={quote(language)}" if language else ""
    )


def news_feed_url(base_url: str, conference: str, language: str) -> str:
    """The announcements' Atom feed in one language."""
    return _join(base_url, f"/{quote(conference)}/news.atom?lang={quote(language)}")


def registration_url(base_url: str, conference: str) -> str:
    return _join(base_url, f"/{quote(conference)}/register/")


def registration_confirm_url(base_url: str, conference: str, token: str) -> str:
    """The double opt-in page: GET shows a button, POST confirms (mail scanners only GET)."""
    return _join(base_url, f"/{quote(conference)}/register/confirm/{quote(token)}")


def registration_cancel_url(base_url: str, conference: str, token: str) -> str:
    return _join(base_url, f"/{quote(conference)}/register/cancel/{quote(token)}")


def attendee_url(base_url: str, token: str) -> str:
    """The attendee's private page: status, sessions, links, changes, cancel, delete."""
    return _join(base_url, f"/me/{quote(token)}/")


def attendee_action_url(base_url: str, token: str, action: str) -> str:
    """A form of the attendee's page posts here (``profile``, ``follow``, ``cancel`` …)."""
    return _join(base_url, f"/me/{quote(token)}/{action}")


def attendee_feed_url(base_url: str, feed_token: str) -> str:
    """The attendee's personal calendar feed, with their join links (its own token)."""
    return _join(base_url, f"/me/{quote(feed_token)}/calendar.ics")


def join_url(base_url: str, join_token: str, session: str) -> str:
    """The gated join link of one session for one attendee."""
    return _join(base_url, f"/join/{quote(join_token)}/{quote(session)}")


def brand_css_url(conference: str, version: int) -> str:
    """The conference's accent colour as a stylesheet, addressed by programme version."""
    return f"/{quote(conference)}/brand.css?v={version}"


def embed_programme_url(base_url: str, conference: str) -> str:
    """The programme for an iframe on the organisers' own site."""
    return _join(base_url, f"/{quote(conference)}/embed/programme/")


def tracks_css_url(conference: str, version: int) -> str:
    """The conference's track colours, addressed by programme version (so cached for long)."""
    return f"/{quote(conference)}/tracks.css?v={version}"


def picks_url(base_url: str, conference: str, picks: str = "") -> str:
    """A visitor's picks page; ``picks`` is the canonical comma list (commas kept readable)."""
    query = f"?sessions={quote(picks, safe=',')}" if picks else ""
    return _join(base_url, f"/{quote(conference)}/programme/picks/{query}")


def picks_ics_url(base_url: str, conference: str, picks: str) -> str:
    """A visitor's picks as a calendar: the programme feed of those sessions only."""
    return _join(base_url, f"/{quote(conference)}/programme.ics?sessions={quote(picks, safe=',')}")


def picks_qr_url(conference: str, picks: str) -> str:
    """The QR code of a picks page's share link, as an SVG image."""
    return f"/{quote(conference)}/programme/picks/qr.svg?sessions={quote(picks, safe=',')}"
