"""Conference access as a Litestar dependency: the route's ``opt`` says what it needs.

A handler asks for ``conference_access: ConferenceAccess`` and its route (or its
controller or router) declares the level::

    @get("/", opt=READ)                       # a published conference, or a member's
    @post("/", opt=ORGANISER, security=BEARER)  # a member's; 401 without a token
    @delete("/", opt=OWNER, security=BEARER)    # an owner's; 403 for other members

The conference comes from the ``{conf}`` path parameter, the caller from the
``current_user`` dependency (the bearer token in the API; another layer may provide that
name differently, as the organisers' web pages will). The decision itself is
:meth:`ConferenceService.access`, which the command line and the services use too: one
404 body for "does not exist" and "not yours", 403 for a member who is not an owner.

:func:`check_conference_routes` refuses, when the app is built, a route that could reach a
conference without a declared level.

Like every dependency, it is resolved before the handler's body and query are validated: a
caller who may not use the conference gets its 401/404/403 whatever the body (a member still
gets the 400 of a body that does not validate).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, ImproperlyConfiguredException
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.routes import BaseRoute, HTTPRoute

from confman.accounts.auth import CurrentUser, end_transaction, provide_organiser
from confman.conferences.services import ConferenceAccess, ConferenceService
from confman.db.transactions import DbSession

# The key in a route's ``opt``, and the name handlers ask for.
ACCESS_OPT = "access"
DEPENDENCY = "conference_access"
# Routes under these prefixes that name a conference must declare a level.
MANAGED_PREFIXES = ("/api/", "/orga/")


class AccessLevel(StrEnum):
    PUBLIC = "public"
    """An action for no one, on a published conference: the caller is not read (the
    registration submit, and the confirm and cancel of a private link). A route may leave
    the check to its service (the submit reads the conference with its rules in one query)."""
    READ = "read"
    """A published conference for anyone; a draft for its members (who also see more)."""
    ORGANISER = "organiser"
    """A member (owner or organiser) with a valid token: 401 without one, 404 for anyone else."""
    OWNER = "owner"
    """An owner: as ORGANISER, and 403 for a member who is not an owner."""


PUBLIC = {ACCESS_OPT: AccessLevel.PUBLIC}
READ = {ACCESS_OPT: AccessLevel.READ}
ORGANISER = {ACCESS_OPT: AccessLevel.ORGANISER}
OWNER = {ACCESS_OPT: AccessLevel.OWNER}

ConferenceAccessDependency = NamedDependency[ConferenceAccess]


def access_level(handler: HTTPRouteHandler) -> AccessLevel | None:
    """The level a route declares (its own ``opt``, or its controller's or router's)."""
    level = handler.opt.get(ACCESS_OPT)
    return None if level is None else AccessLevel(level)


async def provide_conference_access(
    request: Request[Any, Any, Any], conf: FromPath[str], db_session: DbSession, current_user: CurrentUser
) -> ConferenceAccess:
    level = access_level(request.route_handler)
    service = ConferenceService(db_session)
    try:
        if level is AccessLevel.READ:
            return await service.access(conf, current_user)
        if level is AccessLevel.ORGANISER or level is AccessLevel.OWNER:
            organiser = await provide_organiser(current_user, db_session)
            return await service.access(conf, organiser, write=True, owner=level is AccessLevel.OWNER)
        if level is AccessLevel.PUBLIC:
            return await service.access(conf, None)
    except HTTPException:
        await end_transaction(db_session)
        raise
    # check_conference_routes refuses such an app; this is only the last line.
    raise ImproperlyConfiguredException(f"{request.route_handler} asks for {DEPENDENCY} without opt[{ACCESS_OPT!r}]")


def _route_problems(route: HTTPRoute) -> Iterable[str]:
    for handler in route.route_handlers:
        if handler.http_methods == {"OPTIONS"}:
            continue  # Litestar's own answer to OPTIONS, which reaches nothing
        where = f"{sorted(handler.http_methods)} {route.path} ({handler.handler_name})"
        try:
            level = access_level(handler)
        except ValueError:
            yield f"{where}: opt[{ACCESS_OPT!r}] is not one of {[str(level) for level in AccessLevel]}"
            continue
        asks = DEPENDENCY in handler.parsed_fn_signature.parameters
        if asks and level is None:
            yield f"{where} asks for {DEPENDENCY} without declaring opt[{ACCESS_OPT!r}]"
        if level is None and "conf" in route.path_parameters and route.path.startswith(MANAGED_PREFIXES):
            yield f"{where} names a conference without declaring opt[{ACCESS_OPT!r}]"
        if level is not None and level is not AccessLevel.PUBLIC and not asks:
            yield f"{where} declares {level.value!r} access but does not ask for {DEPENDENCY}, which checks it"


def check_conference_routes(routes: Iterable[BaseRoute]) -> None:
    """Refuse routes that could reach a conference unchecked: under ``MANAGED_PREFIXES`` every
    route with a ``{conf}`` parameter declares a level, every route that asks for
    ``conference_access`` declares one, and a declared level (but ``public``, which a
    service may check) is enforced by asking for ``conference_access``."""
    problems = [problem for route in routes if isinstance(route, HTTPRoute) for problem in _route_problems(route)]
    if problems:
        raise ImproperlyConfiguredException("Conference access:\n" + "\n".join(problems))
