"""The interface languages: gettext catalogues, and CLDR formatting of dates, times and zones.

Catalogues live as ``.po`` files in ``confman/locale/<lang>/LC_MESSAGES/messages.po`` and are
compiled in memory when first used, so a checkout never serves a stale ``.mo``. Formatting
goes through Babel so that "Sunday 14 November", "domingo, 14 de noviembre" and
"воскресенье, 14 ноября" come from CLDR, not from our own tables.
"""

from __future__ import annotations

import functools
import io
import re
from datetime import date, datetime, time
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_timezone, get_timezone_location
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from confman.lib.paths import LOCALE_DIR

DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
# The languages the interface is translated into; the test suite holds every catalogue complete.
UI_LANGUAGES = ("en", "es", "fr", "ru", "pt", "tr")


def N_(message: str) -> str:
    """Marks a message for extraction; templates translate it when they show it."""
    return message


_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(language: str) -> Translations:
    """The interface's translations for ``language``; English (the source text) when there are none."""
    if language == SOURCE_LANGUAGE or language not in UI_LANGUAGES:
        return Translations()
    path = catalogue_path(language)
    if not path.is_file():  # a catalogue not written yet: no translations, not a failed request
        return Translations()
    with path.open("rb") as po:
        catalogue = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def ui_language(language: str) -> str:
    """The interface language used for a content language (``pt-BR`` → ``pt``; ``de`` → ``en``)."""
    primary = language.split("-", 1)[0].lower()
    return primary if primary in UI_LANGUAGES else SOURCE_LANGUAGE


def parse_accept_language(header: str) -> list[str]:
    """Language tags from an ``Accept-Language`` header, best first (RFC 9110 §12.5.4)."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*" or not _LANGUAGE_TAG.match(tag):
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            weighted.append((-quality, index, tag.replace("_", "-")))
    return [tag for _, _, tag in sorted(weighted)]


@functools.lru_cache(maxsize=64)
def babel_locale(language: str) -> Locale:
    try:
        return Locale.parse(language, sep="-")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(SOURCE_LANGUAGE)


@functools.lru_cache(maxsize=8192)
def format_day(day: date, language: str) -> str:
    """A whole date in the viewer's language: "Sunday, November 14, 2027"."""
    return format_date(day, format="full", locale=babel_locale(language))


def format_days(first: date, last: date, language: str) -> str:
    """A conference's dates: one day, or "first – last"."""
    if first == last:
        return format_day(first, language)
    return f"{format_day(first, language)} – {format_day(last, language)}"


@functools.lru_cache(maxsize=8192)
def format_short_day(day: date, language: str) -> str:
    return format_date(day, format="medium", locale=babel_locale(language))


@functools.lru_cache(maxsize=32768)
def format_clock(moment: datetime, zone: str, language: str) -> str:
    """The time of day of an aware ``moment`` in ``zone``, as the viewer's language writes it."""
    local = moment.astimezone(get_timezone(zone))
    return _clock(local.hour, local.minute, language)


@functools.lru_cache(maxsize=16384)
def _clock(hour: int, minute: int, language: str) -> str:
    """A wall-clock time as a language writes it. CLDR's short time patterns name no zone, so
    this depends on the time of day alone, and is formatted once per language, not once per
    moment and zone (a page on a cache miss in a new zone needs a few dozen clocks)."""
    return format_time(time(hour, minute), format="short", locale=babel_locale(language))


@functools.lru_cache(maxsize=4096)
def zone_city(zone: str, language: str) -> str:
    """A zone by its exemplar city in the viewer's language: Europe/London → "Лондон"."""
    return str(get_timezone_location(zone, locale=babel_locale(language), return_city=True))


@functools.lru_cache(maxsize=256)
def language_autonym(language: str) -> str:
    """A language named in itself ("Español", "Русский"), for language switchers."""
    name = babel_locale(language).get_display_name(babel_locale(language)) or language
    return name[:1].upper() + name[1:]
