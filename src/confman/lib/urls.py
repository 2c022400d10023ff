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
