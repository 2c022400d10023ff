"""/orga/login and /orga/logout: e-mail and password in, a server-side session out."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery

from confman.accounts.auth import CurrentUser
from confman.accounts.services import UserService
from confman.db.transactions import DbSession
from confman.lib.errors import FormRejected
from confman.orga.frame import orga_context, orga_page, safe_next, see_other
from confman.orga.session import sign_in, sign_out
from confman.orga.throttle import Throttle, client_address
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency


@get("/login", name="orga:login")
async def login_page(
    request: Request[Any, Any, Any],
    current_user: CurrentUser,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
    next: FromQuery[str | None] = None,
) -> Response[Any]:
    if current_user is not None:
        return see_other(safe_next(next))
    context = orga_context(request, base_url=settings.base_url, user=None, email="", next=safe_next(next), error=None)
    return orga_page(page_renderer, "orga/login.html", context)


@post("/login", name="orga:login-submit", status_code=303)
async def login_submit(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    form = await request.form()
    email = str(form.get("email", "")).strip()[:320]
    password = str(form.get("password", ""))[:1024]
    target = safe_next(str(form.get("next", "")))
    throttle, client = Throttle.of(request, settings, "login"), client_address(request)
    if await throttle.blocked(email, client):
        # Over the limit: the password is not even checked; the same page whoever the address is.
        context = orga_context(
            request, base_url=settings.base_url, user=None, email=email, next=target, error="throttled"
        )
        raise FormRejected("orga/login.html", context, 429, {"Cache-Control": "no-store"})
    user = await UserService(db_session).authenticate(email, password) if email and password else None
    if user is None:
        await throttle.count(email, client)
        # One message whether the address exists or not.
        context = orga_context(
            request, base_url=settings.base_url, user=None, email=email, next=target, error="invalid"
        )
        raise FormRejected("orga/login.html", context, 400, {"Cache-Control": "no-store"})
    await throttle.forget_address(email)
    sign_in(request, user)
    return see_other(target)


@post("/logout", name="orga:logout", status_code=303)
async def logout(request: Request[Any, Any, Any]) -> Response[Any]:
    sign_out(request)
    return see_other("/orga/login")
