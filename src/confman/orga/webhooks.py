"""/orga/{conf}/webhooks/: the conference's webhook endpoints -- list, add (the secret shown
once), and per endpoint its delivery log with replay, enable/disable, a new secret, delete.
The same service as ``/api/v1/conferences/{conf}/webhooks``; a refusal re-renders the page
with nothing written."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from confman.accounts.auth import AuthenticatedUser
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.db.transactions import DbSession
from confman.lib.errors import FieldError, FormRejected
from confman.lib.i18n import N_
from confman.orga.forms import checkbox, text
from confman.orga.frame import NO_STORE, conference_path, orga_context, orga_page, see_other
from confman.orga.session import flash
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency
from confman.webhooks.schemas import WebhookCreate, WebhookUpdate
from confman.webhooks.services import PUBLIC_NAMES, WebhookService

SECTION = "webhooks"
MESSAGES = {
    "invalid_url": N_("Enter a URL such as https://example.org/hooks."),
    "scheme_not_allowed": N_("The URL must start with https://."),
    "address_not_allowed": N_("This address is private or local: webhooks go to public addresses only."),
    "credentials_in_url": N_("The URL must not carry a user name or password."),
    "required": N_("Choose at least one event."),
    "unknown_event_type": N_("Choose events from the list."),
    "too_many": N_("This conference has as many webhooks as it may have."),
    "invalid": N_("Enter one line of text."),
}


async def _context(
    request: Request[Any, Any, Any], access: Any, organiser: Any, db: DbSession, settings: Any, **page: Any
) -> dict[str, Any]:
    endpoints = await WebhookService(db, settings).all(access.conference)
    context = orga_context(request, base_url=settings.base_url, user=organiser, access=access, section=SECTION)
    context.update(
        endpoints=[
            {
                "id": e.id,
                "url": e.url,
                "events": list(e.event_types),
                "enabled": e.enabled,
                "disabled_reason": e.disabled_reason,
                "failures": e.consecutive_failures,
            }
            for e in endpoints
        ],
        event_names=PUBLIC_NAMES,
        values={"events": []},
        errors={},
        created=None,
    )
    context.update(page)
    return context


def _errors(error: FieldError) -> dict[str, str]:
    field = "events" if error.field == "event_types" else error.field
    return {field: MESSAGES.get(error.code, MESSAGES["invalid"])}


@get("/{conf:str}/webhooks/", name="orga:webhooks", opt=ORGANISER)
async def webhooks_page(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    context = await _context(request, conference_access, organiser, db_session, settings)
    return orga_page(page_renderer, "orga/webhooks/index.html", context)


@post("/{conf:str}/webhooks/", name="orga:webhook-create", opt=ORGANISER, status_code=200)
async def webhook_create(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    form = await request.form()
    values = {"url": text(form, "url", limit=4000), "events": [str(v)[:64] for v in form.getall("events", [])][:32]}
    try:
        data = WebhookCreate(url=values["url"][:4000], event_types=values["events"])
        endpoint, secret = await WebhookService(db_session, settings).create(conference_access.conference, data)
    except FieldError as error:
        context = await _context(
            request, conference_access, organiser, db_session, settings, values=values, errors=_errors(error)
        )
        raise FormRejected("orga/webhooks/index.html", context, 400, NO_STORE) from None
    # The secret is shown on this answer alone (not after a redirect: it is stored sealed).
    context = await _context(
        request, conference_access, organiser, db_session, settings, created={"url": endpoint.url, "secret": secret}
    )
    return orga_page(page_renderer, "orga/webhooks/index.html", context)


async def _detail(
    request: Request[Any, Any, Any], access: Any, organiser: Any, db: DbSession, settings: Any, webhook_id: int,
    **page: Any,
) -> dict[str, Any]:  # fmt: skip
    service = WebhookService(db, settings)
    endpoint = await service.get(access.conference, webhook_id)
    deliveries = await service.deliveries(endpoint, limit=100, before=None)
    context = orga_context(request, base_url=settings.base_url, user=organiser, access=access, section=SECTION)
    context.update(
        endpoint={"id": endpoint.id, "url": endpoint.url, "events": list(endpoint.event_types),
                  "enabled": endpoint.enabled, "disabled_reason": endpoint.disabled_reason,
                  "failures": endpoint.consecutive_failures},
        deliveries=[
            {"id": d.id, "webhook_id": d.webhook_id, "event_type": d.event_type, "status": d.status,
             "attempts": d.attempts, "code": d.last_status_code, "error": d.last_error,
             "excerpt": (d.response_excerpt or "")[:300], "created_at": d.created_at,
             "last_attempt_at": d.last_attempt_at}
            for d in deliveries
        ],
        rotated=None,
    )  # fmt: skip
    context.update(page)
    return context


@get("/{conf:str}/webhooks/{webhook_id:int}/", name="orga:webhook", opt=ORGANISER)
async def webhook_page(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    webhook_id: FromPath[int],
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    context = await _detail(request, conference_access, organiser, db_session, settings, webhook_id)
    return orga_page(page_renderer, "orga/webhooks/detail.html", context)


@post("/{conf:str}/webhooks/{webhook_id:int}/enabled", name="orga:webhook-enable", opt=ORGANISER, status_code=303)
async def webhook_enable(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    webhook_id: FromPath[int],
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    form = await request.form()
    enabled = checkbox(form, "enabled")
    service = WebhookService(db_session, settings)
    endpoint = await service.get(conference_access.conference, webhook_id)
    await service.update(endpoint, WebhookUpdate(enabled=enabled))
    flash(request, N_("The webhook is on: waiting deliveries go out now.") if enabled else N_("The webhook is off."))
    return see_other(conference_path(conference_access.conference.slug, f"webhooks/{webhook_id}/"))


@post("/{conf:str}/webhooks/{webhook_id:int}/secret", name="orga:webhook-secret", opt=ORGANISER, status_code=200)
async def webhook_secret(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    webhook_id: FromPath[int],
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    service = WebhookService(db_session, settings)
    secret = await service.rotate(await service.get(conference_access.conference, webhook_id))
    context = await _detail(request, conference_access, organiser, db_session, settings, webhook_id, rotated=secret)
    return orga_page(page_renderer, "orga/webhooks/detail.html", context)


@post("/{conf:str}/webhooks/{webhook_id:int}/delete", name="orga:webhook-delete", opt=ORGANISER, status_code=303)
async def webhook_delete(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    webhook_id: FromPath[int],
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    service = WebhookService(db_session, settings)
    await service.delete(await service.get(conference_access.conference, webhook_id))
    flash(request, N_("The webhook was removed."))
    return see_other(conference_path(conference_access.conference.slug, "webhooks/"))


@post(
    "/{conf:str}/webhooks/{webhook_id:int}/deliveries/{delivery_id:int}/replay",
    name="orga:webhook-replay",
    opt=ORGANISER,
    status_code=303,
)
async def webhook_replay(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    webhook_id: FromPath[int],
    delivery_id: FromPath[int],
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    service = WebhookService(db_session, settings)
    await service.replay(await service.get(conference_access.conference, webhook_id), delivery_id)
    flash(request, N_("The delivery will be sent again, with the same webhook-id."))
    return see_other(conference_path(conference_access.conference.slug, f"webhooks/{webhook_id}/"))


HANDLERS = [webhooks_page, webhook_create, webhook_page, webhook_enable, webhook_secret, webhook_delete, webhook_replay]
