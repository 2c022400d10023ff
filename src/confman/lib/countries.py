"""ISO 3166-1 alpha-2 country codes, named from CLDR in the viewer's language."""

from __future__ import annotations

import functools

from babel import Locale
from babel.core import get_global

# Exceptionally reserved or CLDR-only codes that CLDR's territory lists carry.
_NOT_ISO_3166_1 = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"})


@functools.cache
def known_countries() -> frozenset[str]:
    with_zones = {code for code in get_global("territory_zones") if len(code) == 2 and code.isalpha()}
    # Bouvet Island and Heard Island are ISO countries without a time zone in CLDR.
    return frozenset((with_zones | {"BV", "HM"}) - _NOT_ISO_3166_1)


def is_known_country(code: str) -> bool:
    return code in known_countries()


@functools.lru_cache(maxsize=4096)
def country_name(code: str, language: str = "en") -> str:
    # Cached: parsing a CLDR locale costs far more than the lookup, and pages name many countries.
    try:
        territories = Locale.parse(language, sep="-").territories
    except (ValueError, TypeError):
        territories = Locale("en").territories
    return str(territories.get(code, code))
