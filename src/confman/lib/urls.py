"""Every public URL is built here, from the contract in DESIGN.md."""

from __future__ import annotations

from urllib.parse import quote


def _join(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def conference_url(base_url: str, conference: str) -> str:
    return _join(base_url, f"/{quote(conference)}/")


def programme_url(base_url: str, conference: str) -> str:
    return _join(base_url, f"/{quote(conference)}/programme/")


def session_url(base_url: str, conference: str, session: str) -> str:
    return _join(base_url, f"/{quote(conference)}/sessions/{quote(session)}/")


def speaker_url(base_url: str, conference: str, speaker: str) -> str:
    return _join(base_url, f"/{quote(conference)}/speakers/{quote(speaker)}/")


def programme_ics_url(base_url: str, conference: str) -> str:
    return _join(base_url, f"/{quote(conference)}/programme.ics")


def session_ics_url(base_url: str, conference: str, session: str) -> str:
    return _join(base_url, f"/{quote(conference)}/sessions/{quote(session)}.ics")


def speaker_ics_url(base_url: str, conference: str, speaker: str) -> str:
    return _join(base_url, f"/{quote(conference)}/speakers/{quote(speaker)}.ics")


def webcal_url(https_url: str) -> str:
    """The same feed for calendar apps' subscribe links (webcal:// is http(s):// renamed)."""
    return "webcal://" + https_url.split("://", 1)[1]
