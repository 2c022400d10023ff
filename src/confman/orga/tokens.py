"""/orga/tokens/: the organiser's API tokens -- list, create (the secret shown once), revoke.

What ``/api/v1/tokens`` does, for someone signed in: no password to send again, since the
session already proves who it is.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from pydantic import TypeAdapter, ValidationError

from confman.accounts.auth import AuthenticatedUser
from confman.accounts.services import TokenService
from confman.db.transactions import DbSession
from confman.lib.errors import FormRejected
from confman.lib.i18n import N_
from confman.lib.validation import Line
from confman.orga.forms import field_errors, text
from confman.orga.frame import NO_STORE, orga_context, orga_page, see_other
from confman.orga.session import flash
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency

_NAME = TypeAdapter(Line)


async def _tokens(db_session: DbSession, organiser: AuthenticatedUser) -> list[dict[str, Any]]:
    return [
        {
            "id": token.id,
            "name": token.name,
            "prefix": token.prefix,
            "created_at": token.created_at,
            "last_used_at": token.last_used_at,
            "revoked": token.revoked_at is not None,
        }
        for token in await TokenService(db_session).list_for(organiser)
    ]


@get("/tokens/", name="orga:tokens")
async def token_list(
    request: Request[Any, Any, Any],
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    context = orga_context(
        request,
        base_url=settings.base_url,
        user=organiser,
        tokens=await _tokens(db_session, organiser),
        created=None,
        values={},
        errors={},
    )
    return orga_page(page_renderer, "orga/tokens.html", context)


@post("/tokens/", name="orga:token-create", status_code=200)
async def token_create(
    request: Request[Any, Any, Any],
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    form = await request.form()
    name = text(form, "name", limit=300) or "API token"
    try:
        name = _NAME.validate_python(name)
    except ValidationError as error:
        context = orga_context(
            request,
            base_url=settings.base_url,
            user=organiser,
            tokens=await _tokens(db_session, organiser),
            created=None,
            values={"name": name},
            errors={"name": next(iter(field_errors(error).values()))},
        )
        raise FormRejected("orga/tokens.html", context, 400, NO_STORE) from None
    token, secret = await TokenService(db_session).issue(organiser, name)
    # The secret is shown on this answer alone (not after a redirect: it is never stored).
    context = orga_context(
        request,
        base_url=settings.base_url,
        user=organiser,
        tokens=await _tokens(db_session, organiser),
        created={"name": token.name, "secret": secret},
        values={},
        errors={},
    )
    return orga_page(page_renderer, "orga/tokens.html", context)


@post("/tokens/{token_id:int}/revoke", name="orga:token-revoke", status_code=303)
async def token_revoke(
    request: Request[Any, Any, Any], token_id: FromPath[int], organiser: AuthenticatedUser, db_session: DbSession
) -> Response[Any]:
    await TokenService(db_session).revoke(organiser, token_id)
    flash(request, N_("The token was revoked: it no longer works."))
    return see_other("/orga/tokens/")
