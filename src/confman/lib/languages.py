"""Language codes (BCP 47 style: ``en``, ``pt-BR``) checked against CLDR."""

from __future__ import annotations

import functools
import re

from babel import Locale, UnknownLocaleError, localedata

_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Z]{2})?$")


def _parses(code: str) -> bool:
    try:
        Locale.parse(code, sep="-")
    except (UnknownLocaleError, ValueError):
        return False
    return True


@functools.cache
def known_languages() -> frozenset[str]:
    """Every code CLDR has data for: a language (``pt``) or a language and a region (``pt-BR``),
    as its locales name them (``zh_Hant_TW`` gives ``zh-TW``). The OpenAPI document lists them."""
    candidates = set()
    for identifier in localedata.locale_identifiers():
        language, *rest = identifier.split("_")
        candidates.add(language)
        candidates.update(f"{language}-{part}" for part in rest if len(part) == 2 and part.isalpha())
    return frozenset(code for code in candidates if _LANGUAGE_RE.match(code) and _parses(code))


def is_known_language(code: str) -> bool:
    # Not the same as "Locale.parse succeeds": that takes any language with the unknown region ZZ.
    return code in known_languages()


@functools.lru_cache(maxsize=1024)
def language_name(code: str, in_language: str = "en") -> str:
    try:
        return str(Locale.parse(code, sep="-").get_display_name(Locale.parse(in_language, sep="-")))
    except (UnknownLocaleError, ValueError):
        return code
