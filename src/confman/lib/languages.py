"""Language codes (BCP 47 style: ``en``, ``pt-BR``) checked against CLDR."""

from __future__ import annotations

import functools
import re

from babel import Locale, UnknownLocaleError

_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Z]{2})?$")


@functools.cache
def is_known_language(code: str) -> bool:
    if not _LANGUAGE_RE.match(code):
        return False
    try:
        Locale.parse(code, sep="-")
    except (UnknownLocaleError, ValueError):
        return False
    return True


@functools.lru_cache(maxsize=1024)
def language_name(code: str, in_language: str = "en") -> str:
    try:
        return str(Locale.parse(code, sep="-").get_display_name(Locale.parse(in_language, sep="-")))
    except (UnknownLocaleError, ValueError):
        return code
