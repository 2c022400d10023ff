"""The frame of every organiser page: who is signed in, which conference, its sections, and
what to say after a redirect. Pages build their context with :func:`orga_context` and answer
with :func:`orga_page`; a refused form raises ``FormRejected`` with that context.

Organiser pages are never cached by anyone and never indexed (``Cache-Control: no-store``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.response import Redirect
from litestar.status_codes import HTTP_200_OK, HTTP_303_SEE_OTHER, HTTP_403_FORBIDDEN

from confman.conferences.services import ConferenceAccess
from confman.db.models import MemberRole, User
from confman.lib.i18n import N_
from confman.lib.templating import PageRenderer
from confman.orga.session import take_flashes
from confman.site.serve import configured_base_url, html_response, page_context

NO_STORE = {"Cache-Control": "no-store"}
LOGIN_PATH = "/orga/login"

# A conference's sections, in the order of its navigation: (name, label, path below /orga/{conf}/).
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("overview", N_("Overview"), ""),
    ("settings", N_("Settings"), "settings/"),
    ("registration", N_("Registration"), "registration/"),
    ("tracks", N_("Tracks"), "tracks/"),
    ("streams", N_("Streams"), "streams/"),
    ("speakers", N_("Speakers"), "speakers/"),
    ("sessions", N_("Sessions"), "sessions/"),
    ("schedule", N_("Schedule"), "schedule/"),
    ("releases", N_("Releases"), "releases/"),
    ("registrations", N_("Registrations"), "registrations/"),
    ("attendance", N_("Attendance"), "attendance/"),
    ("messages", N_("Messages"), "messages/"),
    ("news", N_("News"), "news/"),
    ("reach", N_("Reach"), "reach/"),
    ("members", N_("Members"), "members/"),
    ("webhooks", N_("Webhooks"), "webhooks/"),
    ("audit", N_("History"), "audit/"),
)


def conference_path(slug: str, section: str = "") -> str:
    return f"/orga/{slug}/{section}"


@dataclass(frozen=True)
class OrgaConference:
    """What the frame shows of the conference a page is about (plain data: survives a rollback)."""

    slug: str
    title: str
    status: str
    is_published: bool
    role: str
    is_owner: bool
    languages: tuple[str, ...]
    default_language: str
    timezone: str
    public_url: str

    @classmethod
    def of(cls, access: ConferenceAccess, language: str) -> OrgaConference:
        conference = access.conference
        return cls(
            slug=conference.slug,
            title=conference.text(conference.title, language),
            status=conference.status.value,
            is_published=conference.is_published,
            role=access.role.value if access.role else "",
            is_owner=access.role is MemberRole.OWNER,
            languages=tuple(conference.languages),
            default_language=conference.default_language,
            timezone=conference.timezone,
            public_url=f"/{conference.slug}/",
        )


def orga_context(
    request: Request[Any, Any, Any],
    *,
    base_url: str,
    user: User | None,
    access: ConferenceAccess | None = None,
    section: str = "",
    **page: Any,
) -> dict[str, Any]:
    """:func:`~confman.site.serve.page_context` plus the organiser's frame, and ``page``."""
    context = page_context(request, base_url=base_url)
    context["orga_user"] = {"name": user.name, "email": user.email} if user else None
    context["flashes"] = take_flashes(request)
    context["section"] = section
    if access is not None:
        conference = OrgaConference.of(access, context["viewer"].language)
        context["orga_conference"] = conference
        context["orga_sections"] = [
            (name, label, conference_path(conference.slug, path)) for name, label, path in SECTIONS
        ]
    context.update(page)
    return context


def orga_page(
    renderer: PageRenderer,
    template: str,
    context: dict[str, Any],
    status_code: int = HTTP_200_OK,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    response = html_response(renderer, template, context, status_code, {**NO_STORE, **(headers or {})})
    context["viewer"].apply_cookies(response)
    return response


def see_other(path: str) -> Redirect:
    """After a form that worked: the next page by GET (303), so a reload posts nothing twice."""
    return Redirect(path, status_code=HTTP_303_SEE_OTHER, headers=NO_STORE)


def to_login(request: Request[Any, Any, Any], exc: NotAuthorizedException) -> Response[Any]:
    """Not signed in (or the session ended): to the sign-in page, and back here afterwards.
    htmx follows ``HX-Redirect`` instead of swapping a page into a fragment."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"{LOGIN_PATH}?next={quote(target, safe='')}" if request.method == "GET" else LOGIN_PATH
    if request.headers.get("hx-request") == "true":
        return Response(b"", status_code=401, headers={**NO_STORE, "HX-Redirect": location})
    return Redirect(location, status_code=HTTP_303_SEE_OTHER, headers=NO_STORE)


def forbidden_handler(renderer: PageRenderer) -> Any:
    """403 as a page: a member who is not an owner, or a form whose CSRF token failed."""

    def handle(request: Request[Any, Any, Any], exc: PermissionDeniedException) -> Response[bytes]:
        context = page_context(request, base_url=configured_base_url(request))
        context.update(orga_user=None, flashes=[], section="", detail=exc.detail)
        return orga_page(renderer, "orga/forbidden.html", context, HTTP_403_FORBIDDEN)

    return handle


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path of ours under /orga/, never another site."""
    if target and (target == "/orga" or target.startswith("/orga/")) and "\\" not in target:
        return target
    return "/orga/"
