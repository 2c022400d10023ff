"""IANA time zones: validation, country defaults and the one place times are converted."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import UTC, datetime

from babel.core import get_global


@functools.cache
def known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_known_zone(name: str) -> bool:
    return name in known_zones()


def get_zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


@functools.lru_cache(maxsize=512)
def zones_for_country(country: str) -> tuple[str, ...]:
    """The country's IANA zones (CLDR's list, the one :func:`zone_for_country` reads), sorted."""
    return tuple(sorted(z for z in get_global("territory_zones").get(country, ()) if is_known_zone(z)))


def zone_for_country(country: str) -> str | None:
    """The country's zone when it has exactly one (GB → Europe/London), else None."""
    zones = zones_for_country(country)
    return zones[0] if len(zones) == 1 else None


def to_utc(value: datetime, zone: str) -> datetime:
    """An aware datetime in UTC; a naive one is read as wall-clock time in ``zone``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=get_zone(zone))
    return value.astimezone(UTC)


def to_zone(value: datetime, zone: str) -> datetime:
    return value.astimezone(get_zone(zone))


def utcnow() -> datetime:
    return datetime.now(UTC)
