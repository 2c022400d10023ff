"""The zone picker's options: places, not tz ids, grouped by region, in the viewer's language.

Every page has the picker, so its ~420 options are built once per language and kept as
escaped HTML; a page joins them (skipping the zones it suggests first) in microseconds.
The list is tzdata's ``zone.tab`` plus UTC (:func:`~confman.lib.timezones.canonical_zones`):
no old names such as ``US/Pacific``. Each option is the city in the viewer's language (CLDR's
exemplar city: "Kyiv", "Киев", "São Paulo") with its country; the value stays the IANA id.
"""

from __future__ import annotations

import functools
import unicodedata
from collections import defaultdict
from collections.abc import Collection

from babel.dates import get_timezone_location
from markupsafe import Markup, escape

from confman.lib.i18n import babel_locale
from confman.lib.timezones import canonical_zones, is_known_zone, zone_aliases

# CLDR's region codes (UN M.49): the optgroups.
WORLD, AFRICA, AMERICAS, ASIA, EUROPE, OCEANIA, ANTARCTICA = "001", "002", "019", "142", "150", "009", "AQ"
_BY_PREFIX = {
    "Africa": AFRICA, "America": AMERICAS, "Antarctica": ANTARCTICA, "Arctic": EUROPE, "Asia": ASIA,
    "Australia": OCEANIA, "Europe": EUROPE, "Pacific": OCEANIA,
}  # fmt: skip
# Islands named after their ocean belong to a continent by country.
_BY_COUNTRY = {
    "PT": EUROPE, "ES": EUROPE, "FO": EUROPE, "IS": EUROPE, "BM": AMERICAS, "FK": AMERICAS, "GS": AMERICAS,
    "CV": AFRICA, "SH": AFRICA, "MG": AFRICA, "KM": AFRICA, "YT": AFRICA, "RE": AFRICA, "MU": AFRICA,
    "SC": AFRICA, "IO": ASIA, "MV": ASIA, "CX": OCEANIA, "CC": OCEANIA, "TF": ANTARCTICA,
}  # fmt: skip


def region(zone: str, country: str) -> str:
    if not country:
        return WORLD
    return _BY_PREFIX.get(zone.split("/", 1)[0]) or _BY_COUNTRY.get(country, WORLD)


@functools.cache
def _other_names() -> dict[str, tuple[str, ...]]:
    """A zone's old names: CLDR keeps some places under them (Europe/Kiev, America/Cordoba)."""
    names: dict[str, list[str]] = defaultdict(list)
    for alias, zone in zone_aliases().items():
        names[zone].append(alias)
    return {zone: tuple(sorted(aliases)) for zone, aliases in names.items()}


@functools.lru_cache(maxsize=8192)
def zone_label(zone: str, language: str) -> str:
    """A zone as a place: "Kyiv (Ukraine)", "Сан-Паулу (Бразилия)", "UTC"."""
    country = canonical_zones().get(zone, "")
    if zone == "UTC" or zone.startswith("Etc/") or not is_known_zone(zone):
        # A form shown again with what was typed ("Mars/Base") names it as it came.
        return zone
    locale = babel_locale(language)
    city = None
    for name in (zone, *_other_names().get(zone, ())):
        data = locale.time_zones.get(name)
        if data is not None and data.get("city"):
            city = str(data["city"])
            break
    if city is None:
        city = str(get_timezone_location(zone, locale=locale, return_city=True)).split("/")[-1]
    country_name = locale.territories.get(country) if country else None
    return f"{city} ({country_name})" if country_name else city


def sort_key(label: str) -> str:
    decomposed = unicodedata.normalize("NFKD", label)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@functools.lru_cache(maxsize=32)
def _groups(language: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """(escaped optgroup label, ((zone, option HTML), …)) per region, sorted by label."""
    locale = babel_locale(language)
    grouped: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for zone, country in canonical_zones().items():
        grouped[region(zone, country)].append((zone, zone_label(zone, language)))
    groups = []
    for code, zones in grouped.items():
        name = str(locale.territories.get(code, code)) if code != WORLD else "UTC"
        options = tuple(
            (zone, f'<option value="{escape(zone)}">{escape(label)}</option>')
            for zone, label in sorted(zones, key=lambda item: (sort_key(item[1]), item[0]))
        )
        groups.append((code, str(escape(name)), options))
    groups.sort(key=lambda group: (group[0] != WORLD, sort_key(group[1])))
    return tuple((name, options) for _, name, options in groups)


def zone_options(language: str, skip: Collection[str] = ()) -> Markup:
    """The picker's ``<optgroup>``s in ``language``, without the zones in ``skip`` (shown first)."""
    parts = []
    for name, options in _groups(language):
        shown = [html for zone, html in options if zone not in skip]
        if shown:
            parts.append(f'<optgroup label="{name}">{"".join(shown)}</optgroup>')
    return Markup("".join(parts))  # noqa: S704 - labels and values escaped in _groups
