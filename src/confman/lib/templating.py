"""Jinja2 for the HTML pages: one environment, gettext bound to the viewer's language per render.

Templates write ``{{ _("Programme") }}`` and ``{{ _("%(count)s sessions", count=n) }}``;
the callables come in each render's context (not as environment globals), so two requests
in two languages can render side by side. ``pybabel extract`` finds the same calls (see
``babel.cfg``). Static files are addressed by content hash (``static("site.css")`` →
``/static/site.css?v=…``) so browsers may cache them for a year.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from confman.lib.i18n import language_autonym, translations, ui_language
from confman.lib.paths import LOCALE_DIR, STATIC_DIR, TEMPLATES_DIR
from confman.lib.zone_choices import zone_label, zone_options

STATIC_PREFIX = "/static"


def gettext_callables(language: str) -> dict[str, Callable[..., str]]:
    """``_``/``gettext``/``ngettext`` for templates and e-mails, in ``language``'s interface language."""
    catalogue = translations(ui_language(language))

    def gettext(message: str, **variables: Any) -> str:
        text = catalogue.gettext(message)
        return text % variables if variables else text

    def ngettext(singular: str, plural: str, count: int, **variables: Any) -> str:
        variables.setdefault("num", count)
        return catalogue.ngettext(singular, plural, count) % variables

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext}


def json_ld(value: Any) -> Markup:
    """JSON for a ``<script type="application/ld+json">`` block that no text can break out of."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    # "</script>" or "<!--" inside a title must stay data: escape every "<", ">" and "&".
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - every markup character is escaped just above


@functools.cache
def static_versions(directory: Path = STATIC_DIR) -> dict[str, str]:
    return {
        path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def static_url(name: str) -> str:
    version = static_versions().get(name)
    return f"{STATIC_PREFIX}/{name}?v={version}" if version else f"{STATIC_PREFIX}/{name}"


@functools.cache
def site_revision() -> str:
    """A digest of everything a page is made of besides data, so a deploy invalidates old ETags."""
    digest = hashlib.sha256()
    for folder in (TEMPLATES_DIR, LOCALE_DIR, STATIC_DIR):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in {".html", ".po", ".css", ".js", ".txt"}:
                digest.update(path.as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def create_environment(directory: Path = TEMPLATES_DIR) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(directory),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
        auto_reload=False,
    )
    environment.globals["static"] = static_url
    # The zone picker's options, built once per language (templates/_zones.html).
    environment.globals["zone_options"] = zone_options
    environment.globals["zone_label"] = zone_label
    # A language named in itself (the organisers' per-language fields): "Русский", not "ru".
    environment.globals["language_autonym"] = language_autonym
    environment.filters["json_ld"] = json_ld
    return environment


@functools.cache
def shared_environment() -> Environment:
    """The templates never change while a process runs (``auto_reload=False``): every app of the
    process compiles each of them once (tests build an app per test)."""
    return create_environment()


class PageRenderer:
    """Renders a template to bytes in a language; shared by every page handler of an app."""

    def __init__(self, environment: Environment | None = None) -> None:
        self.environment = environment or shared_environment()

    def render(self, template_name: str, language: str, context: Mapping[str, Any]) -> bytes:
        template = self.environment.get_template(template_name)
        return template.render({**context, **gettext_callables(language), "lang": language}).encode()
