"""Track colours as a stylesheet: the CSP refuses ``style=`` attributes, so pages put a class
``track-<slug>`` on what belongs to a track and this sheet gives the class its colour.

Only values that cannot break out of a rule are written: colours that are exactly
``#rrggbb`` and slugs of ``[a-z0-9-]`` (both already validated on the way in; checked again
here, since a stylesheet is the wrong place to trust anything).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from confman.lib.branding import palette
from confman.lib.validation import is_slug

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

CSS = "text/css"


def track_stylesheet(tracks: Iterable[tuple[str, str | None]]) -> str:
    """``.track-<slug>`` (a coloured left border) and ``.swatch.track-<slug>`` (a filled box) per
    ``(slug, colour)``; tracks without a colour get no rule."""
    lines = ["/* track colours */"]
    for slug, colour in tracks:
        if colour is None or not _COLOUR.fullmatch(colour) or not is_slug(slug):
            continue
        colour = colour.lower()
        lines.append(f".track-{slug}{{border-left:.3rem solid {colour};padding-left:.6rem}}")
        lines.append(f".swatch.track-{slug}{{border:1px solid #595959;padding:0;background-color:{colour}}}")
    return "\n".join(lines) + "\n"


def brand_stylesheet(accent: str | None) -> str:
    """The conference's accent as custom properties: ``--accent`` (fills), ``--accent-ink`` (text
    on it), and ``--accent-text`` (alias ``--accent-link``: the accent as text on the page, a
    shade that reads at 4.5:1, lighter under a dark colour scheme). site.css derives
    ``--accent-text`` on ``body:not(.orga)``; these rules come later with the same weight.
    No accent: no rules, the site's own colours stay."""
    lines = ["/* conference colours */"]
    if accent is None or not _COLOUR.fullmatch(accent):
        return "\n".join(lines) + "\n"
    colours = palette(accent)
    lines.append(f":root{{--accent:{colours.accent};--accent-ink:{colours.accent_ink}}}")
    lines.append(f"body:not(.orga){{--accent-text:{colours.link};--accent-link:{colours.link}}}")
    lines.append(
        "@media (prefers-color-scheme: dark){"
        f"body:not(.orga){{--accent-text:{colours.link_dark};--accent-link:{colours.link_dark}}}}}"
    )
    return "\n".join(lines) + "\n"
