"""/orga/{conf}/members/: who organises the conference. Every member sees the list; owners
invite by e-mail (an address with an account is added at once, any other gets a one-time
link that creates the account), change roles, remove members and revoke invitations. The
last owner can be neither removed nor demoted.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from pydantic import ValidationError

from confman.accounts.auth import AuthenticatedUser
from confman.accounts.recovery import AccountLinks
from confman.accounts.schemas import MemberCreate
from confman.accounts.services import MembershipService
from confman.conferences.access import ORGANISER, OWNER, ConferenceAccessDependency
from confman.db.models import MemberRole
from confman.db.transactions import DbSession
from confman.lib.errors import ConflictError, FieldError, FormRejected
from confman.lib.i18n import N_, format_short_day
from confman.orga.frame import NO_STORE, conference_path, orga_context, orga_page, see_other
from confman.orga.session import flash
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency

SECTION = "members"
ROLES = (("organiser", N_("Organiser")), ("owner", N_("Owner")))
MESSAGES = {
    "email": N_("Enter an e-mail address such as name@example.org."),
    "role": N_("Choose a role from the list."),
    "duplicate": N_("This person is already a member."),
    "last_owner": N_("A conference needs at least one owner: make someone else an owner first."),
}


async def _context(
    request: Request[Any, Any, Any],
    access: Any,
    organiser: Any,
    db_session: DbSession,
    settings: Any,
    **page: Any,
) -> dict[str, Any]:
    conference = access.conference
    members = await MembershipService(db_session).list(conference)
    invitations = await AccountLinks(db_session, settings.base_url).pending_invitations(conference)
    context = orga_context(request, base_url=settings.base_url, user=organiser, access=access, section=SECTION)
    language = context["viewer"].formatting
    context.update(
        members=[
            {
                "id": m.id,
                "name": m.user.name,
                "email": m.user.email,
                "role": m.role.value,
                "is_me": m.user_id == organiser.id,
            }
            for m in members
        ],
        invitations=[
            {
                "id": i.id,
                "email": i.email,
                "role": i.role,
                "invited_by": i.invited_by,
                "expires": format_short_day(i.expires_at.date(), language),
            }
            for i in invitations
        ],
        roles=ROLES,
        values={"role": "organiser"},
        errors={},
        problem=None,
    )
    context.update(page)
    return context


@get("/{conf:str}/members/", name="orga:members", opt=ORGANISER)
async def members_page(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    context = await _context(request, conference_access, organiser, db_session, settings)
    return orga_page(page_renderer, "orga/members/index.html", context)


async def _refuse(
    request: Request[Any, Any, Any],
    access: Any,
    organiser: Any,
    db_session: DbSession,
    settings: Any,
    status: int,
    **page: Any,
) -> FormRejected:
    context = await _context(request, access, organiser, db_session, settings, **page)
    return FormRejected("orga/members/index.html", context, status, NO_STORE)


@post("/{conf:str}/members/", name="orga:member-invite", opt=OWNER, status_code=303)
async def member_invite(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    form = await request.form()
    values = {"email": str(form.get("email", "")).strip()[:400], "role": str(form.get("role", ""))[:20]}
    conference = conference_access.conference
    try:
        data = MemberCreate.model_validate(values)
        language = conference.default_language
        member = await AccountLinks(db_session, settings.base_url).invite(
            conference, data.email, data.role, organiser, language
        )
    except ValidationError as error:
        fields = {str(detail["loc"][0]) for detail in error.errors() if detail["loc"]}
        errors = {field: MESSAGES[field] for field in ("email", "role") if field in fields}
        raise await _refuse(
            request, conference_access, organiser, db_session, settings, 400, values=values, errors=errors
        ) from None
    except ConflictError:
        errors = {"email": MESSAGES["duplicate"]}
        raise await _refuse(
            request, conference_access, organiser, db_session, settings, 409, values=values, errors=errors
        ) from None
    if member is not None:
        flash(request, N_("The account was added to the conference and told by e-mail."))
    else:
        flash(request, N_("The invitation was sent. It works for seven days."))
    return see_other(conference_path(conference.slug, "members/"))


def _role(value: Any) -> MemberRole | None:
    try:
        return MemberRole(str(value))
    except ValueError:
        return None


@post("/{conf:str}/members/{member_id:int}/role", name="orga:member-role", opt=OWNER, status_code=303)
async def member_role(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    member_id: FromPath[int],
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    form = await request.form()
    role = _role(form.get("role"))
    conference = conference_access.conference
    if role is None:
        raise await _refuse(request, conference_access, organiser, db_session, settings, 400, problem=MESSAGES["role"])
    try:
        await MembershipService(db_session).change_role(conference, member_id, role)
    except FieldError as error:
        raise await _refuse(
            request, conference_access, organiser, db_session, settings, 409, problem=MESSAGES["last_owner"]
        ) from error
    flash(request, N_("The role was changed."))
    return see_other(conference_path(conference.slug, "members/"))


@post("/{conf:str}/members/{member_id:int}/remove", name="orga:member-remove", opt=OWNER, status_code=303)
async def member_remove(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    member_id: FromPath[int],
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    conference = conference_access.conference
    service = MembershipService(db_session)
    member = await service.get(conference, member_id)
    leaving = member.user_id == organiser.id
    try:
        await service.remove(conference, member_id)
    except FieldError as error:
        raise await _refuse(
            request, conference_access, organiser, db_session, settings, 409, problem=MESSAGES["last_owner"]
        ) from error
    flash(request, N_("The member was removed."))
    return see_other("/orga/" if leaving else conference_path(conference.slug, "members/"))


@post(
    "/{conf:str}/members/invitations/{invitation_id:int}/revoke",
    name="orga:invitation-revoke",
    opt=OWNER,
    status_code=303,
)
async def invitation_revoke(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    invitation_id: FromPath[int],
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    conference = conference_access.conference
    try:
        await AccountLinks(db_session, settings.base_url).revoke_invitation(conference, invitation_id)
    except FieldError:
        pass  # revoked already (or accepted meanwhile): the list shows how things are
    else:
        flash(request, N_("The invitation was revoked; its link no longer works."))
    return see_other(conference_path(conference.slug, "members/"))


HANDLERS = [members_page, member_invite, member_role, member_remove, invitation_revoke]
