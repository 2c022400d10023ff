"""The public changelog: ``/{conf}/changes/`` (HTML, the viewer's language and zone) and
``/{conf}/changes.atom`` (one entry per release, ``?lang=``), served and cached like the other
public pages and feeds (version-keyed ETags, 304, the micro-cache)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery
from markupsafe import escape

from confman.changes.public import Changelog, PublicRelease, cached_changelog
from confman.changes.wording import ChangeLine, SessionChange, describe
from confman.db.transactions import DbSession
from confman.lib.atom import MEDIA_TYPE, AtomEntry, AtomFeed, AtomLink, render_atom
from confman.lib.errors import not_found
from confman.lib.i18n import format_clock, format_short_day, ui_language
from confman.lib.templating import gettext_callables
from confman.lib.timezones import to_zone
from confman.lib.translations import pick
from confman.lib.urls import changes_atom_url, changes_url, programme_url, session_url
from confman.published.model import PublishedProgramme
from confman.settings import AppSettings
from confman.site.display import ProgrammeDisplay
from confman.site.serve import (
    PageRendererDependency,
    ProgrammeCacheDependency,
    published_programme,
    serve_page,
    serve_programme_file,
)


def _lines(
    changes: list[SessionChange], *, language: str, content_language: str | None, default_language: str,
    zone: str, conference_zone: str,
) -> list[ChangeLine]:  # fmt: skip
    _ = gettext_callables(ui_language(language))["_"]
    lines: list[ChangeLine] = []
    for change in changes:
        lines.extend(
            describe(
                change,
                translate=_,
                language=language,
                content_language=content_language,
                default_language=default_language,
                zone=zone,
                conference_zone=conference_zone,
            )
        )
    return lines


def _release_view(
    display: ProgrammeDisplay, release: PublicRelease | None, changes: list[SessionChange]
) -> dict[str, Any]:
    conference = display.conference
    lines = _lines(
        changes, language=display.locale, content_language=display.language,
        default_language=conference.default_language, zone=display.viewer.zone, conference_zone=conference.timezone,
    )  # fmt: skip
    public = {session.slug for session in display.programme.sessions}
    return {
        "id": release.id if release else None,
        "name": release.name if release else None,
        "note": display.text(release.note) if release and release.note else None,
        "released": (
            f"{format_short_day(to_zone(release.released_at, display.viewer.zone).date(), display.locale)} "
            f"{format_clock(release.released_at, display.viewer.zone, display.locale)}"
        )
        if release
        else None,
        "released_at": release.released_at.isoformat() if release else None,
        "lines": [
            {
                "kind": line.kind.value,
                "title": line.title,
                "text": line.text,
                "url": session_url(display.base_url, conference.slug, line.slug) if line.slug in public else None,
            }
            for line in lines
        ],
    }


@get("/{conf:str}/changes/", name="changes_page", include_in_schema=False)
async def changes_page(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    page_renderer: PageRendererDependency,
) -> Response[bytes]:
    programme = await programme_cache.programme(db_session, conf)
    if programme is None:
        raise not_found("Conference not found")
    changelog = await cached_changelog(db_session, programme_cache, programme.conference)

    def build(display: ProgrammeDisplay) -> tuple[str, dict[str, Any]]:
        return "public/changes.html", {
            "unreleased": _release_view(display, None, changelog.unreleased) if changelog.unreleased else None,
            "releases": [_release_view(display, release, release.changes) for release in changelog.releases],
            "atom_url": changes_atom_url(settings.base_url, conf) + f"?lang={display.language}",
            "programme_url": programme_url(settings.base_url, conf),
        }

    return await serve_page(
        request, db=db_session, cache=programme_cache, renderer=page_renderer, settings=settings,
        slug=conf, page="changes", build=build,
    )  # fmt: skip


def changes_feed(programme: PublishedProgramme, changelog: Changelog, *, base_url: str, language: str | None) -> bytes:
    """The Atom feed of the releases, in ``language`` (a conference language, else the default);
    times in the conference's zone."""
    conference = programme.conference
    content_language = language if language in conference.languages else None
    ui = ui_language(content_language or conference.default_language)
    _ = gettext_callables(ui)["_"]
    title = pick(conference.title, content_language, conference.default_language)[0]
    page = changes_url(base_url, conference.slug)
    self_url = changes_atom_url(base_url, conference.slug) + (f"?lang={content_language}" if content_language else "")
    entries = []
    for release in changelog.releases:
        lines = _lines(
            release.changes, language=ui, content_language=content_language,
            default_language=conference.default_language, zone=conference.timezone, conference_zone=conference.timezone,
        )  # fmt: skip
        note = pick(release.note, content_language, conference.default_language)[0] if release.note else ""
        html = (
            (f"<p>{escape(note)}</p>" if note else "")
            + "<ul>"
            + "".join(f"<li><strong>{escape(line.title)}</strong>: {escape(line.text)}</li>" for line in lines)
            + "</ul>"
        )
        entries.append(
            AtomEntry(
                id=f"{page}#release-{release.id}",
                title=_("Release %(name)s", name=release.name),
                updated=release.released_at,
                published=release.released_at,
                content_html=html,
                links=[AtomLink(f"{page}#release-{release.id}", type="text/html")],
            )
        )
    updated = changelog.releases[0].released_at if changelog.releases else conference.changed_at
    feed = AtomFeed(
        id=page,
        title=_("Programme changes: %(title)s", title=title),
        updated=updated,
        author=title,
        self_url=self_url,
        language=content_language or conference.default_language,
        entries=entries,
        links=[AtomLink(page, type="text/html"), AtomLink(programme_url(base_url, conference.slug), rel="related")],
    )
    return render_atom(feed)


@get("/{conf:str}/changes.atom", name="changes_atom", include_in_schema=False)
async def changes_atom(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    lang: FromQuery[str | None] = None,
) -> Response[bytes]:
    language = lang if lang and len(lang) <= 16 else None

    async def render() -> bytes:
        programme = await published_programme(db_session, programme_cache, conf)
        changelog = await cached_changelog(db_session, programme_cache, programme.conference)
        shown = language if language in programme.conference.languages else None
        return changes_feed(programme, changelog, base_url=settings.base_url, language=shown)

    return await serve_programme_file(
        request, db=db_session, cache=programme_cache, slug=conf, variant=("changes.atom", language),
        render=render, media_type=MEDIA_TYPE, filename="changes.atom",
    )  # fmt: skip
