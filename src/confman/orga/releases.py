"""/orga/{conf}/releases/: the changes to the public programme that no release took yet, the
release form (a name, a note per conference language) and the past releases with their changes.

Releasing goes through ``ReleaseService.release`` with the API's schema (``ReleaseCreate``), so
the page accepts exactly what the API accepts; a refusal (a bad or taken name, a note in a
language the conference does not offer, nothing to release) raises ``FormRejected`` and nothing
is written. The page needs no script.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from pydantic import ValidationError

from confman.accounts.auth import AuthenticatedUser
from confman.changes.schemas import ReleaseCreate
from confman.changes.services import ReleaseService, frab_version
from confman.changes.wording import SessionChange, describe, net_changes
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.conferences.services import ConferenceAccess
from confman.db.models import ProgrammeChange
from confman.db.transactions import DbSession
from confman.lib.errors import FieldError, FormRejected
from confman.lib.i18n import N_, format_clock, format_short_day, ui_language
from confman.lib.templating import gettext_callables
from confman.lib.timezones import to_zone
from confman.orga.forms import field_errors, text, translations
from confman.orga.frame import NO_STORE, conference_path, orga_context, orga_page, see_other
from confman.orga.session import flash
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency

RELEASE_MESSAGES = {
    "no_changes": N_("Nothing changed since the last release."),
    "string_pattern_mismatch": N_("Use letters, digits, dots, hyphens and underscores, e.g. 1.2."),
}


def _errors(error: ValidationError | FieldError) -> dict[str, str]:
    errors = field_errors(error)
    if isinstance(error, FieldError) and error.code in RELEASE_MESSAGES:
        errors[error.field] = RELEASE_MESSAGES[error.code]
    if isinstance(error, ValidationError):
        for detail in error.errors():
            if detail["type"] in RELEASE_MESSAGES and detail["loc"] and detail["loc"][0] == "name":
                errors["name"] = RELEASE_MESSAGES[detail["type"]]
    return errors


def _lines(access: ConferenceAccess, changes: list[SessionChange], language: str) -> list[dict[str, str]]:
    conference = access.conference
    _ = gettext_callables(ui_language(language))["_"]
    found = []
    for change in changes:
        for line in describe(
            change, translate=_, language=language, content_language=language,
            default_language=conference.default_language, zone=conference.timezone,
            conference_zone=conference.timezone,
        ):  # fmt: skip
            found.append({"kind": line.kind.value, "title": line.title, "text": line.text})
    return found


async def _context(
    request: Request[Any, Any, Any],
    access: ConferenceAccess,
    organiser: AuthenticatedUser,
    settings: AppSettings,
    db_session: DbSession,
    **page: Any,
) -> dict[str, Any]:
    conference = access.conference
    context = orga_context(
        request, base_url=settings.base_url, user=organiser, access=access, section="releases",
        releases_path=conference_path(conference.slug, "releases/"), **page,
    )  # fmt: skip
    language = context["viewer"].language
    history = await ReleaseService(db_session, settings.base_url).history(conference.id)

    def changes_of(rows: list[ProgrammeChange]) -> list[dict[str, str]]:
        return _lines(access, net_changes(rows), language)

    context["unreleased"] = changes_of(history.unreleased)
    context["releases"] = [
        {
            "name": release.name,
            "note": conference.text(release.note, language) if release.note else "",
            "released": f"{format_short_day(to_zone(release.released_at, conference.timezone).date(), language)} "
            f"{format_clock(release.released_at, conference.timezone, language)}",
            "released_by": release.released_by_name,
            "change_count": release.change_count,
            "lines": changes_of(history.changes.get(release.id, [])),
        }
        for release in history.releases
    ]
    latest = history.releases[0].name if history.releases else None
    context["frab_version"] = frab_version(latest, conference.programme_version, bool(history.unreleased))
    context.setdefault("values", {"name": "", "note": {}})
    context.setdefault("errors", {})
    return context


@get("/{conf:str}/releases/", name="orga:releases", opt=ORGANISER)
async def releases_page(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    context = await _context(request, conference_access, organiser, settings, db_session)
    return orga_page(page_renderer, "orga/releases/list.html", context)


@post("/{conf:str}/releases/", name="orga:release-create", opt=ORGANISER, status_code=303)
async def release_create(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    conference = conference_access.conference
    form = await request.form()
    values = {"name": text(form, "name", limit=32), "note": translations(form, "note", conference.languages)}
    context = await _context(request, conference_access, organiser, settings, db_session, values=values)
    try:
        data = ReleaseCreate.model_validate(values)
        await ReleaseService(db_session, settings.base_url).release(
            conference, data, released_by=organiser.name or organiser.email
        )
    except (ValidationError, FieldError) as error:
        context["errors"] = _errors(error)
        status = 409 if isinstance(error, FieldError) and error.status_code == 409 else 400
        raise FormRejected("orga/releases/list.html", context, status, NO_STORE) from None
    flash(request, N_("The release was published; the people concerned will be e-mailed."))
    return see_other(conference_path(conference.slug, "releases/"))


HANDLERS = [releases_page, release_create]
