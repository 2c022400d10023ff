"""/orga/{conf}/news/: the conference's announcements: the list (publish, unpublish, pin and
unpin with one button each), writing and editing one (a fieldset per language with a Markdown
preview), deleting one, and sending one to attendees (each audience's count shown on its
button and sent back with it: a different count by then sends nothing, 409).

Every action is a plain form with its CSRF token; the saves go through the API's schemas and
``NewsService``, and a refusal raises ``FormRejected`` (400/409): nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_409_CONFLICT
from pydantic import ValidationError

from confman.accounts.auth import AuthenticatedUser
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.conferences.services import ConferenceAccess
from confman.db.models import Announcement, AnnouncementStatus
from confman.db.transactions import DbSession
from confman.lib.errors import FieldError, FormRejected
from confman.lib.i18n import N_, format_clock, format_short_day, language_autonym
from confman.lib.markdown import render_markdown
from confman.lib.templating import gettext_callables
from confman.lib.timezones import to_zone, utcnow
from confman.lib.urls import news_article_url
from confman.news.schemas import MAX_BODY, AnnouncementCreate, AnnouncementUpdate, Audience
from confman.news.services import AUDIENCE_STATUSES, NewsService, RecipientsChanged, is_visible
from confman.orga.forms import MESSAGES, checkbox, field_errors, text
from confman.orga.frame import NO_STORE, conference_path, orga_context, orga_page, see_other
from confman.orga.session import flash
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency

LIST_TEMPLATE = "orga/news/list.html"
FORM_TEMPLATE = "orga/news/form.html"

PAGE_MESSAGES = {
    "raw_html": N_("Write Markdown: HTML tags are not allowed (they would show as text)."),
    "control_characters": N_("Remove the control characters."),
    "already_sent": N_("This announcement was already sent to these attendees."),
    "not_visible": N_("Only a published announcement whose time has come can be sent."),
    "no_recipients": N_("No attendee matches: there is no one to send it to."),
    "recipients_changed": N_("The number of recipients changed since the page was shown. Check it, then send again."),
}
AUDIENCE_LABELS = {
    Audience.ALL: N_("all attendees (confirmed and waiting)"),
    Audience.CONFIRMED: N_("confirmed attendees"),
    Audience.WAITLISTED: N_("attendees on the waiting list"),
}


def _errors(error: ValidationError | FieldError) -> dict[str, str]:
    if isinstance(error, FieldError):
        return {error.field: PAGE_MESSAGES.get(error.code) or MESSAGES.get(error.code, N_("Please check this value."))}
    errors = field_errors(error)
    for detail in error.errors():
        message = str(detail.get("msg", ""))
        field = ".".join(str(part) for part in detail["loc"] if not str(part).startswith("["))
        if "raw HTML" in message:
            errors[field] = PAGE_MESSAGES["raw_html"]
        elif "control characters" in message:
            errors[field] = PAGE_MESSAGES["control_characters"]
    return errors


def _local(announcement_time: Any, zone: str) -> str:
    return to_zone(announcement_time, zone).strftime("%Y-%m-%dT%H:%M") if announcement_time else ""


def _values(announcement: Announcement | None, zone: str) -> dict[str, Any]:
    if announcement is None:
        return {"slug": "", "title": {}, "body": {}, "status": "draft", "publish_at": "", "pinned": False}
    return {
        "slug": announcement.slug,
        "title": dict(announcement.title),
        "body": dict(announcement.body),
        "status": announcement.status.value,
        "publish_at": _local(announcement.publish_at, zone),
        "pinned": announcement.pinned,
    }


def _read_form(form: Mapping[str, Any], languages: list[str]) -> dict[str, Any]:
    """The form's values as the API takes them (empty texts left out, an empty time: none)."""
    values: dict[str, Any] = {
        "slug": text(form, "slug"),
        "title": {},
        "body": {},
        "status": text(form, "status") or "draft",
        "publish_at": text(form, "publish_at"),
        "pinned": checkbox(form, "pinned"),
    }
    for language in languages:
        if title := text(form, f"title.{language}", limit=300):
            values["title"][language] = title
        if body := text(form, f"body.{language}", limit=MAX_BODY):
            values["body"][language] = body
    return values


def _payload(values: Mapping[str, Any]) -> dict[str, Any]:
    return {**values, "publish_at": values["publish_at"] or None}


def _state(announcement: Announcement) -> str:
    if announcement.status is AnnouncementStatus.DRAFT:
        return "draft"
    return "published" if is_visible(announcement, utcnow()) else "scheduled"


def _context(
    request: Request[Any, Any, Any],
    settings: AppSettings,
    organiser: AuthenticatedUser,
    access: ConferenceAccess,
    **page: Any,
) -> dict[str, Any]:
    return orga_context(request, base_url=settings.base_url, user=organiser, access=access, section="news", **page)


async def _form_context(
    request: Request[Any, Any, Any],
    settings: AppSettings,
    organiser: AuthenticatedUser,
    access: ConferenceAccess,
    db: DbSession,
    announcement: Announcement | None,
    values: dict[str, Any],
) -> dict[str, Any]:
    conference = access.conference
    slug = conference.slug
    context = _context(request, settings, organiser, access)
    language = context["viewer"].language
    sending: list[dict[str, Any]] = []
    if announcement is not None:
        service = NewsService(db)
        sent = set((await service.sent_statuses([announcement]))[announcement.id])
        _ = gettext_callables(language)["_"]
        for audience in Audience:
            statuses = {status.value for status in AUDIENCE_STATUSES[audience]}
            sending.append(
                {
                    "audience": audience.value,
                    "label": _(AUDIENCE_LABELS[audience]),
                    "count": await service.count_recipients(conference, audience, settings.base_url),
                    "sent": bool(sent & statuses),
                }
            )
    base = conference_path(slug, "news/")
    context.update(
        announcement_slug=announcement.slug if announcement else None,
        state=_state(announcement) if announcement else "draft",
        public_url=news_article_url(settings.base_url, slug, announcement.slug) if announcement else None,
        action=base + (f"{announcement.slug}/" if announcement else "new"),
        send_action=base + f"{announcement.slug}/send" if announcement else None,
        delete_action=base + f"{announcement.slug}/delete" if announcement else None,
        back=base,
        values=values,
        errors={},
        previews=None,
        sending=sending,
        shown_languages=list(conference.languages),
        language_names={code: language_autonym(code) for code in conference.languages},
        zone=conference.timezone,
        max_body=MAX_BODY,
    )
    return context


def _previews(values: Mapping[str, Any], languages: list[str]) -> list[dict[str, Any]]:
    return [
        {"language": code, "title": values["title"].get(code, ""), "html": render_markdown(values["body"][code])}
        for code in languages
        if values["body"].get(code)
    ]


@get("/{conf:str}/news/", name="orga:news", opt=ORGANISER)
async def news_list(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    service = NewsService(db_session)
    announcements = await service.all(conference)
    sent = await service.sent_statuses(announcements)
    context = _context(request, settings, organiser, conference_access)
    viewer = context["viewer"]
    base = conference_path(conference.slug, "news/")
    context.update(
        new=base + "new",
        announcements=[
            {
                "slug": a.slug,
                "title": conference.text(a.title, viewer.language),
                "state": _state(a),
                "pinned": a.pinned,
                "languages": [code for code in conference.languages if a.title.get(code)],
                "when": (
                    f"{format_short_day(to_zone(a.publish_at, viewer.zone).date(), viewer.formatting)} "
                    f"{format_clock(a.publish_at, viewer.zone, viewer.formatting)}"
                    if a.publish_at
                    else ""
                ),
                "sent": sent[a.id],
                "edit": base + f"{a.slug}/",
                "state_action": base + f"{a.slug}/state",
            }
            for a in announcements
        ],
        zone=viewer.zone,
    )
    return orga_page(page_renderer, LIST_TEMPLATE, context)


@get("/{conf:str}/news/new", name="orga:news-new", opt=ORGANISER)
async def news_new(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    values = _values(None, conference_access.conference.timezone)
    context = await _form_context(request, settings, organiser, conference_access, db_session, None, values)
    return orga_page(page_renderer, FORM_TEMPLATE, context)


@post("/{conf:str}/news/new", name="orga:news-create", opt=ORGANISER, status_code=303)
async def news_create(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    form = await request.form()
    values = _read_form(form, list(conference.languages))
    context = await _form_context(request, settings, organiser, conference_access, db_session, None, values)
    if form.get("action") == "preview":
        context["previews"] = _previews(values, list(conference.languages))
        return orga_page(page_renderer, FORM_TEMPLATE, context)
    try:
        created = await NewsService(db_session).create(conference, AnnouncementCreate.model_validate(_payload(values)))
    except (ValidationError, FieldError) as error:
        context["errors"] = _errors(error)
        status = error.status_code if isinstance(error, FieldError) else 400
        raise FormRejected(FORM_TEMPLATE, context, status, NO_STORE) from None
    flash(request, N_("The announcement was saved."))
    return see_other(conference_path(conference.slug, f"news/{created.slug}/"))


@get("/{conf:str}/news/{slug:str}/", name="orga:news-edit", opt=ORGANISER)
async def news_edit(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    slug: FromPath[str],
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    announcement = await NewsService(db_session).get(conference, slug)
    values = _values(announcement, conference.timezone)
    context = await _form_context(request, settings, organiser, conference_access, db_session, announcement, values)
    return orga_page(page_renderer, FORM_TEMPLATE, context)


@post("/{conf:str}/news/{slug:str}/", name="orga:news-update", opt=ORGANISER, status_code=303)
async def news_update(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    slug: FromPath[str],
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    service = NewsService(db_session)
    announcement = await service.get(conference, slug)
    form = await request.form()
    values = _read_form(form, list(conference.languages))
    context = await _form_context(request, settings, organiser, conference_access, db_session, announcement, values)
    if form.get("action") == "preview":
        context["previews"] = _previews(values, list(conference.languages))
        return orga_page(page_renderer, FORM_TEMPLATE, context)
    try:
        saved = await service.update(conference, announcement, AnnouncementUpdate.model_validate(_payload(values)))
    except (ValidationError, FieldError) as error:
        context["errors"] = _errors(error)
        status = error.status_code if isinstance(error, FieldError) else 400
        raise FormRejected(FORM_TEMPLATE, context, status, NO_STORE) from None
    flash(request, N_("The announcement was saved."))
    return see_other(conference_path(conference.slug, f"news/{saved.slug}/"))


STATE_CHANGES: dict[str, dict[str, Any]] = {
    "publish": {"status": AnnouncementStatus.PUBLISHED},
    "unpublish": {"status": AnnouncementStatus.DRAFT},
    "pin": {"pinned": True},
    "unpin": {"pinned": False},
}
STATE_FLASHES = {
    "publish": N_("The announcement is published."),
    "unpublish": N_("The announcement is a draft again: the public no longer sees it."),
    "pin": N_("The announcement is pinned to the top of the news."),
    "unpin": N_("The announcement is no longer pinned."),
}


@post("/{conf:str}/news/{slug:str}/state", name="orga:news-state", opt=ORGANISER, status_code=303)
async def news_state(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    slug: FromPath[str],
    db_session: DbSession,
) -> Response[Any]:
    """Publish (now, unless a publish time was set), unpublish, pin or unpin: one button each."""
    conference = conference_access.conference
    service = NewsService(db_session)
    announcement = await service.get(conference, slug)
    action = text(await request.form(), "action")
    change = STATE_CHANGES.get(action)
    if change is not None:
        await service.update(conference, announcement, AnnouncementUpdate.model_validate(change))
        flash(request, STATE_FLASHES[action])
    return see_other(conference_path(conference.slug, "news/"))


@post("/{conf:str}/news/{slug:str}/delete", name="orga:news-delete", opt=ORGANISER, status_code=303)
async def news_delete(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    slug: FromPath[str],
    db_session: DbSession,
) -> Response[Any]:
    conference = conference_access.conference
    service = NewsService(db_session)
    announcement = await service.get(conference, slug)
    if checkbox(await request.form(), "confirm"):
        await service.delete(announcement)
        flash(request, N_("The announcement was deleted."))
        return see_other(conference_path(conference.slug, "news/"))
    flash(request, N_("Tick the box to confirm that the announcement should be deleted."))
    return see_other(conference_path(conference.slug, f"news/{slug}/"))


@post("/{conf:str}/news/{slug:str}/send", name="orga:news-send", opt=ORGANISER, status_code=303)
async def news_send(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    slug: FromPath[str],
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    service = NewsService(db_session)
    announcement = await service.get(conference, slug)
    form = await request.form()
    values = _values(announcement, conference.timezone)
    context = await _form_context(request, settings, organiser, conference_access, db_session, announcement, values)
    try:
        audience = Audience(text(form, "audience"))
        expected = int(text(form, "expected_recipients"))
    except ValueError:
        context["errors"] = {"audience": N_("Please check this value.")}
        raise FormRejected(FORM_TEMPLATE, context, 400, NO_STORE) from None
    try:
        sent = await service.send(
            conference, announcement, audience, sender=organiser, base_url=settings.base_url,
            expected_recipients=expected,
        )  # fmt: skip
    except RecipientsChanged:
        context["errors"] = {"audience": PAGE_MESSAGES["recipients_changed"]}
        raise FormRejected(FORM_TEMPLATE, context, HTTP_409_CONFLICT, NO_STORE) from None
    except FieldError as error:
        context["errors"] = {"audience": PAGE_MESSAGES.get(error.code, N_("Please check this value."))}
        raise FormRejected(FORM_TEMPLATE, context, error.status_code, NO_STORE) from None
    ngettext = gettext_callables(context["viewer"].language)["ngettext"]
    flash(request, ngettext("Sent to %(num)s attendee.", "Sent to %(num)s attendees.", sent.recipients))
    return see_other(conference_path(conference.slug, f"news/{announcement.slug}/"))


HANDLERS = [news_list, news_new, news_create, news_edit, news_update, news_state, news_delete, news_send]
