"""Who is looking: the viewer's language and time zone, from the URL, a cookie or the browser.

Order (DESIGN.md): ``?lang=`` / ``?tz=`` (remembered in a cookie) → the cookie → the browser
(``Accept-Language``; the zone is detected by ``static/viewer.js``, which sets the cookie)
→ the conference's own language and zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response
from litestar.datastructures import Cookie

from confman.lib.i18n import UI_LANGUAGES, parse_accept_language
from confman.lib.timezones import canonical_zone, is_known_zone

LANGUAGE_COOKIE = "lang"
ZONE_COOKIE = "tz"
COOKIE_MAX_AGE = 365 * 24 * 3600
_MAX_PARAMETER = 64


@dataclass(frozen=True)
class Viewer:
    language: str
    zone: str
    # A ?tz= value that is not an IANA zone; the page says it fell back to ``zone``.
    rejected_zone: str | None = None
    # Cookies to remember an explicit ?lang= / ?tz= choice.
    remember: dict[str, str] = field(default_factory=dict)
    # The CLDR locale for dates, times and names: the language, with the browser's region
    # when it asks for one (en-GB reads "09:00", en "9:00 AM").
    locale: str = ""

    @property
    def formatting(self) -> str:
        return self.locale or self.language

    def apply_cookies(self, response: Response[Any]) -> None:
        for key, value in self.remember.items():
            response.set_cookie(
                Cookie(key=key, value=value, max_age=COOKIE_MAX_AGE, path="/", samesite="lax", secure=False)
            )


def _match_language(candidate: str, offered: Iterable[str]) -> str | None:
    offered = tuple(offered)
    if candidate in offered:
        return candidate
    lowered = candidate.lower()
    for language in offered:
        if language.lower() == lowered:
            return language
    primary = lowered.split("-", 1)[0]
    for language in offered:
        if language.lower().split("-", 1)[0] == primary:
            return language
    return None


def resolve_viewer(
    request: Request[Any, Any, Any], *, default_language: str, default_zone: str, content_languages: Iterable[str] = ()
) -> Viewer:
    offered = tuple(dict.fromkeys([*UI_LANGUAGES, *content_languages]))
    remember: dict[str, str] = {}

    language: str | None = None
    asked_language = request.query_params.get("lang")
    if asked_language and len(asked_language) <= _MAX_PARAMETER:
        language = _match_language(asked_language, offered)
        if language:
            remember[LANGUAGE_COOKIE] = language
    if language is None:
        cookie = request.cookies.get(LANGUAGE_COOKIE)
        if cookie and len(cookie) <= _MAX_PARAMETER:
            language = _match_language(cookie, offered)
    if language is None:
        for tag in parse_accept_language(request.headers.get("accept-language", "")[:1024]):
            language = _match_language(tag, offered)
            if language:
                break

    zone: str | None = None
    rejected: str | None = None
    asked_zone = request.query_params.get("tz")
    if asked_zone:
        if len(asked_zone) <= _MAX_PARAMETER and is_known_zone(asked_zone):
            # An old name (US/Pacific, Europe/Kiev) is read as the place the zone picker lists.
            zone = remember[ZONE_COOKIE] = canonical_zone(asked_zone)
        else:
            rejected = asked_zone[:_MAX_PARAMETER]
    else:
        cookie = request.cookies.get(ZONE_COOKIE)
        if cookie and len(cookie) <= _MAX_PARAMETER and is_known_zone(cookie):
            zone = canonical_zone(cookie)
    chosen = language or default_language
    return Viewer(
        language=chosen,
        zone=zone or default_zone,
        rejected_zone=rejected,
        remember=remember,
        locale=_regional_variant(chosen, request.headers.get("accept-language", "")[:1024]),
    )


def _regional_variant(language: str, accept_language: str) -> str:
    """``en-GB`` when the browser asks for it and the page is in ``en``; else ``language``."""
    primary = language.split("-", 1)[0].lower()
    if "-" in language:
        return language
    for tag in parse_accept_language(accept_language):
        parts = tag.split("-")
        if parts[0].lower() == primary and len(parts) == 2 and len(parts[1]) == 2 and parts[1].isalpha():
            return f"{primary}-{parts[1].upper()}"
    return language
