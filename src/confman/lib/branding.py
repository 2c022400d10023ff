"""Colours and origins of a conference's branding, with no domain: the WCAG contrast of its
accent colour, and the origins allowed to frame its embedded programme.

Text on the accent (``--accent-ink``) is black or white, whichever contrasts more (at least
4.58:1 for any colour); the accent as a link colour (``--accent-link``) is darkened for light
pages (lightened for dark ones) until it reaches 4.5:1 on the page's backgrounds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_EMBED_ORIGINS = 10
AA_TEXT = 4.5
# The public pages' backgrounds (site.css: --paper, --canvas, --tint), light and dark.
LIGHT_BACKGROUNDS = ("#ffffff", "#f4f5f8", "#eceef3")
DARK_BACKGROUNDS = ("#121419", "#1b1e25", "#262a33")

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_HOST = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})


# Colours -----------------------------------------------------------------------------------


def is_colour(value: str) -> bool:
    return _COLOUR.fullmatch(value) is not None


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _mix(colour: str, toward: str, share: float) -> str:
    source, target = _rgb(colour), _rgb(toward)
    r, g, b = (s + (t - s) * share for s, t in zip(source, target, strict=True))
    return _hex((r, g, b))


def readable_on(colour: str, backgrounds: tuple[str, ...], toward: str) -> str:
    """``colour``, or the least shade of it toward ``toward`` that reaches 4.5:1 on every background."""
    for step in range(0, 101):
        shade = _mix(colour, toward, step / 100)
        if all(contrast(shade, background) >= AA_TEXT for background in backgrounds):
            return shade
    return toward


@dataclass(frozen=True, slots=True)
class Palette:
    accent: str
    # Text on the accent (buttons, badges).
    accent_ink: str
    # The accent as the colour of links and text, on light pages and on dark ones.
    link: str
    link_dark: str


def palette(accent: str) -> Palette:
    accent = accent.lower()
    ink = "#000000" if contrast(accent, "#000000") >= contrast(accent, "#ffffff") else "#ffffff"
    return Palette(
        accent=accent,
        accent_ink=ink,
        link=readable_on(accent, LIGHT_BACKGROUNDS, "#000000"),
        link_dark=readable_on(accent, DARK_BACKGROUNDS, "#ffffff"),
    )


# Embedding ---------------------------------------------------------------------------------


def normalise_origin(value: str) -> str:
    """``https://host[:port]`` in lower case (``http://`` only for localhost), or ValueError."""
    text = value.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError("is not an origin like https://example.org") from None
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in {"https", "http"} or not host or not _HOST.fullmatch(host):
        raise ValueError("is not an origin like https://example.org")
    if parts.scheme.lower() == "http" and host not in _LOCAL_HOSTS:
        raise ValueError("must use https:// (http:// only for localhost)")
    if parts.username or parts.password or parts.query or parts.fragment or parts.path not in {"", "/"}:
        raise ValueError("must be an origin only (scheme, host and port), without a path")
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None else "")


def normalise_origins(values: list[str]) -> list[str]:
    """The origins, normalised and without repeats, in the given order (ValueError on a bad one)."""
    origins: list[str] = []
    for value in values:
        origin = normalise_origin(value)
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_EMBED_ORIGINS:
        raise ValueError(f"at most {MAX_EMBED_ORIGINS} origins")
    return origins


def frame_ancestors(origins: tuple[str, ...] | list[str]) -> str:
    """The CSP ``frame-ancestors`` source list: the origins (validated again here), else ``'none'``."""
    kept = []
    for origin in origins:
        try:
            kept.append(normalise_origin(origin))
        except ValueError:
            continue
    return " ".join(kept) if kept else "'none'"
