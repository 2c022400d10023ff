"""IANA time zones: validation, country defaults and the one place times are converted."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import UTC, datetime, timedelta
from importlib import resources

from babel.core import get_global


@functools.cache
def known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_known_zone(name: str) -> bool:
    return name in known_zones()


@functools.cache
def get_zone(name: str) -> zoneinfo.ZoneInfo:
    # zoneinfo keeps only 8 zones strongly: a page over 150 zones reread their files each time.
    return zoneinfo.ZoneInfo(name)


@functools.lru_cache(maxsize=512)
def zones_for_country(country: str) -> tuple[str, ...]:
    """The country's IANA zones (CLDR's list), most populous first where tzdata's ``zone.tab``
    says so, then by name."""
    order = _zone_tab_order()
    zones = {z for z in get_global("territory_zones").get(country, ()) if is_known_zone(z)}
    return tuple(sorted(zones, key=lambda z: (order.get(z, len(order)), z)))


@functools.cache
def _zone_tab_order() -> dict[str, int]:
    """Zone → its row in tzdata's ``zone.tab`` (by country: the most populous zone first)."""
    try:
        tab = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):  # pragma: no cover - tzdata is a dependency
        return {}
    rows = [line.split("\t") for line in tab.splitlines() if line and not line.startswith("#")]
    return {row[2]: index for index, row in enumerate(rows) if len(row) >= 3}


@functools.lru_cache(maxsize=1024)
def _behaviour(zone: str, year: int) -> tuple[timedelta | None, ...]:
    """The zone's UTC offsets through ``year`` and the next two (a sample per fortnight)."""
    tz = get_zone(zone)
    start = datetime(year, 1, 1, 12, tzinfo=UTC)
    return tuple((start + timedelta(days=14 * i)).astimezone(tz).utcoffset() for i in range(0, 79))


def distinct_zones(country: str) -> tuple[str, ...]:
    """The country's zones that keep different times from this year on, one for each (the
    first in :func:`zones_for_country`'s order): Germany's Berlin and Büsingen count once,
    Spain's Madrid and the Canaries twice."""
    year = utcnow().year
    seen: dict[tuple[timedelta | None, ...], str] = {}
    for zone in zones_for_country(country):
        seen.setdefault(_behaviour(zone, year), zone)
    return tuple(seen.values())


def zone_for_country(country: str) -> str | None:
    """The country's zone when its clocks all show one time (GB → Europe/London,
    DE → Europe/Berlin), else None (BR, US, RU…: the speaker's zone must be asked)."""
    zones = distinct_zones(country)
    return zones[0] if len(zones) == 1 else None


def utc_offset_label(zone: str, moment: datetime | None = None) -> str:
    """ "UTC−03:00": the zone's offset now (or at ``moment``)."""
    offset = (moment or utcnow()).astimezone(get_zone(zone)).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "\u2212"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def to_utc(value: datetime, zone: str) -> datetime:
    """An aware datetime in UTC; a naive one is read as wall-clock time in ``zone``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=get_zone(zone))
    return value.astimezone(UTC)


def to_zone(value: datetime, zone: str) -> datetime:
    return value.astimezone(get_zone(zone))


def utcnow() -> datetime:
    return datetime.now(UTC)


@functools.cache
def _tzdata_text(name: str) -> str:
    try:
        return resources.files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):  # pragma: no cover - tzdata is a dependency
        return ""


@functools.cache
def canonical_zones() -> dict[str, str]:
    """The zones a person picks from: tzdata's ``zone.tab`` (one or more per country, each a
    place: ``Europe/Kyiv``, ``America/Sao_Paulo``; no ``US/Pacific`` or ``Etc/GMT+3``) and
    ``UTC``, each with its ISO country code (``""`` for UTC)."""
    zones = {"UTC": ""}
    for line in _tzdata_text("zone.tab").splitlines():
        row = line.split("\t")
        if line and not line.startswith("#") and len(row) >= 3 and is_known_zone(row[2]):
            zones[row[2]] = row[0]
    return zones


_UTC_ALIASES = frozenset({"Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "UCT", "Universal", "Zulu"})


@functools.cache
def _links() -> dict[str, str]:
    """tzdata's links (backward names): alias → the zone it points to."""
    links = {}
    for line in _tzdata_text("tzdata.zi").splitlines():
        if line.startswith("L "):
            _, target, alias = line.split()
            links[alias] = target
    return links


@functools.cache
def zone_aliases() -> dict[str, str]:
    """Old and alternative names of the :func:`canonical_zones`: ``US/Pacific`` →
    ``America/Los_Angeles``, ``Europe/Kiev`` → ``Europe/Kyiv``, ``Etc/UTC`` → ``UTC``."""
    canonical = canonical_zones()
    aliases = dict.fromkeys(_UTC_ALIASES, "UTC")
    for alias, target in _links().items():
        if alias not in canonical and target in canonical:
            aliases[alias] = target
    return aliases


def canonical_zone(name: str) -> str:
    """The zone a picker lists for ``name`` (a known zone): itself, or the place it is another name of."""
    return zone_aliases().get(name, name)
