"""The organiser's own account: a forgotten password (a one-time link by e-mail), the account
page (name, password), and accepting an invitation (the only way to get an account from the
web). The links' logic is in ``accounts/recovery.py``; these pages only read forms and answer.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_404_NOT_FOUND
from pydantic import TypeAdapter, ValidationError

from confman.accounts.auth import AuthenticatedUser, CurrentUser
from confman.accounts.recovery import AccountLinks, InvalidLink
from confman.accounts.schemas import MemberCreate
from confman.accounts.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, UserService
from confman.db.transactions import DbSession
from confman.lib.errors import FieldError, FormRejected
from confman.lib.i18n import N_
from confman.lib.validation import Line
from confman.orga.forms import field_errors, text
from confman.orga.frame import NO_STORE, conference_path, orga_context, orga_page, see_other
from confman.orga.session import flash, sign_in
from confman.orga.throttle import Throttle, client_address
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency

# The words of this module's refusals, by code (translated in the templates).
PASSWORD_MESSAGES = {
    "password_too_short": N_("Use at least 12 characters."),
    "too_long": N_("This is too long."),
    "mismatch": N_("The two passwords are not the same."),
    "wrong_password": N_("This is not your current password."),
    "required": N_("This field is required."),
}
EMAIL_INVALID = N_("Enter an e-mail address such as name@example.org.")


def _password_errors(form: Any, field: str = "password", repeat: str = "password_repeat") -> dict[str, str]:
    """``{field: message}`` for a new password typed twice (empty when it will do)."""
    password = str(form.get(field, ""))
    if not password:
        return {field: PASSWORD_MESSAGES["required"]}
    if len(password) < MIN_PASSWORD_LENGTH:
        return {field: PASSWORD_MESSAGES["password_too_short"]}
    if len(password) > MAX_PASSWORD_LENGTH:
        return {field: PASSWORD_MESSAGES["too_long"]}
    if str(form.get(repeat, "")) != password:
        return {repeat: PASSWORD_MESSAGES["mismatch"]}
    return {}


_NAME: TypeAdapter[str] = TypeAdapter(Line)


def _name_errors(name: str) -> dict[str, str]:
    """A person's name: one line, 1 to 300 characters (as every name in the API)."""
    if not name:
        return {"name": PASSWORD_MESSAGES["required"]}
    try:
        _NAME.validate_python(name)
    except ValidationError as error:
        return {"name": next(iter(field_errors(error).values()))}
    return {}


# --- a forgotten password -------------------------------------------------------------------


@get("/password/forgot", name="orga:password-forgot")
async def forgot_page(
    request: Request[Any, Any, Any], settings: AppSettings, page_renderer: PageRendererDependency
) -> Response[Any]:
    context = orga_context(request, base_url=settings.base_url, user=None, email="", errors={}, error=None)
    return orga_page(page_renderer, "orga/account/forgot.html", context)


@post("/password/forgot", name="orga:password-forgot-submit")
async def forgot_submit(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    form = await request.form()
    email = text(form, "email", limit=320)
    context = orga_context(request, base_url=settings.base_url, user=None, email=email, errors={}, error=None)
    try:
        address = MemberCreate.model_validate({"email": email}).email
    except ValidationError:
        context["errors"] = {"email": EMAIL_INVALID}
        raise FormRejected("orga/account/forgot.html", context, 400, NO_STORE) from None
    throttle, client = Throttle.of(request, settings, "reset"), client_address(request)
    if await throttle.blocked(address, client):
        context["error"] = "throttled"
        raise FormRejected("orga/account/forgot.html", context, 429, NO_STORE)
    await throttle.count(address, client)
    await AccountLinks(db_session, settings.base_url).request_reset(address, context["viewer"].language)
    # The same page whether the address has an account or not.
    return orga_page(page_renderer, "orga/account/forgot_sent.html", context)


def _invalid_link(request: Request[Any, Any, Any], settings: Any, renderer: Any) -> Response[Any]:
    context = orga_context(request, base_url=settings.base_url, user=None)
    return orga_page(renderer, "orga/account/link_invalid.html", context, HTTP_404_NOT_FOUND)


@get("/password/reset/{token:str}", name="orga:password-reset")
async def reset_page(
    request: Request[Any, Any, Any],
    token: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    try:
        user = await AccountLinks(db_session, settings.base_url).reset_account(token)
    except InvalidLink:
        return _invalid_link(request, settings, page_renderer)
    context = orga_context(request, base_url=settings.base_url, user=None, email=user.email, errors={})
    return orga_page(page_renderer, "orga/account/reset.html", context)


@post("/password/reset/{token:str}", name="orga:password-reset-submit", status_code=303)
async def reset_submit(
    request: Request[Any, Any, Any],
    token: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    form = await request.form()
    links = AccountLinks(db_session, settings.base_url)
    try:
        user = await links.reset_account(token)
    except InvalidLink:
        return _invalid_link(request, settings, page_renderer)
    errors = _password_errors(form)
    if errors:
        context = orga_context(request, base_url=settings.base_url, user=None, email=user.email, errors=errors)
        raise FormRejected("orga/account/reset.html", context, 400, NO_STORE)
    user = await links.reset_password(token, str(form["password"]))
    sign_in(request, user)
    flash(request, N_("Your new password is set. You are signed in; every other session has ended."))
    return see_other("/orga/")


# --- my account -----------------------------------------------------------------------------


def _account_context(request: Request[Any, Any, Any], settings: Any, organiser: Any, **page: Any) -> dict[str, Any]:
    page.setdefault("values", {"name": organiser.name})
    page.setdefault("errors", {})
    return orga_context(request, base_url=settings.base_url, user=organiser, email=organiser.email, **page)


@get("/account/", name="orga:account")
async def account_page(
    request: Request[Any, Any, Any],
    organiser: AuthenticatedUser,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    return orga_page(page_renderer, "orga/account/account.html", _account_context(request, settings, organiser))


@post("/account/", name="orga:account-name", status_code=303)
async def account_name(
    request: Request[Any, Any, Any],
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    form = await request.form()
    name = text(form, "name", limit=300)
    errors = _name_errors(name)
    if errors:
        context = _account_context(request, settings, organiser, values={"name": name}, errors=errors)
        raise FormRejected("orga/account/account.html", context, 400, NO_STORE)
    await UserService(db_session).rename(organiser, name)
    flash(request, N_("Your name was saved."))
    return see_other("/orga/account/")


@post("/account/password", name="orga:account-password", status_code=303)
async def account_password(
    request: Request[Any, Any, Any],
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    form = await request.form()
    users = UserService(db_session)
    errors = _password_errors(form)
    if not users.password_matches(organiser, str(form.get("current_password", ""))[:MAX_PASSWORD_LENGTH]):
        errors = {"current_password": PASSWORD_MESSAGES["wrong_password"], **errors}
    if errors:
        context = _account_context(request, settings, organiser, errors=errors)
        raise FormRejected("orga/account/account.html", context, 400, NO_STORE)
    await users.set_password(organiser, str(form["password"]))
    # This browser stays signed in (under a new key); every other session has ended.
    sign_in(request, organiser)
    flash(request, N_("Your new password is set. Every other session has ended."))
    return see_other("/orga/account/")


# --- an invitation --------------------------------------------------------------------------


@get("/invitation/{token:str}", name="orga:invitation")
async def invitation_page(
    request: Request[Any, Any, Any],
    token: FromPath[str],
    current_user: CurrentUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    try:
        invitation = await AccountLinks(db_session, settings.base_url).invitation(token)
    except InvalidLink:
        return _invalid_link(request, settings, page_renderer)
    context = orga_context(
        request, base_url=settings.base_url, user=current_user, invitation=invitation, values={}, errors={}
    )
    return orga_page(page_renderer, "orga/account/invitation.html", context)


@post("/invitation/{token:str}", name="orga:invitation-accept", status_code=303)
async def invitation_accept(
    request: Request[Any, Any, Any],
    token: FromPath[str],
    current_user: CurrentUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    form = await request.form()
    links = AccountLinks(db_session, settings.base_url)
    try:
        invitation = await links.invitation(token)
    except InvalidLink:
        return _invalid_link(request, settings, page_renderer)
    name = text(form, "name", limit=300)
    if not invitation.has_account:
        errors = {**_name_errors(name), **_password_errors(form)}
        if errors:
            context = orga_context(
                request,
                base_url=settings.base_url,
                user=current_user,
                invitation=invitation,
                values={"name": name},
                errors=errors,
            )
            raise FormRejected("orga/account/invitation.html", context, 400, NO_STORE)
    try:
        user = await links.accept(token, name=name, password=str(form.get("password", "")))
    except InvalidLink:
        return _invalid_link(request, settings, page_renderer)
    except FieldError:  # the address got an account between the page and the form: sign in
        return see_other("/orga/login")
    target = conference_path(invitation.conference_slug)
    if not invitation.has_account:
        sign_in(request, user)
        flash(request, N_("Welcome! Your account is ready and you are a member of this conference."))
        return see_other(target)
    flash(request, N_("You are now a member of this conference."))
    if current_user is not None and current_user.id == user.id:
        return see_other(target)
    return see_other(f"/orga/login?next={target}")


HANDLERS = [
    forgot_page,
    forgot_submit,
    reset_page,
    reset_submit,
    account_page,
    account_name,
    account_password,
    invitation_page,
    invitation_accept,
]
