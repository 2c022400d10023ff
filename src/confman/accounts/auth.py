"""Bearer-token authentication as Litestar dependencies.

``current_user`` is optional (public reads work without a token, and show more with
one); ``organiser`` requires a valid token. A token that is present but wrong or
revoked is always a 401, never silently ignored. Conference access
(``conferences/access.py``) takes its caller from ``current_user``, so another way of
signing in (the organisers' web pages, by session) plugs in by providing that name.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException

from confman.accounts.services import TokenService
from confman.audit.recorder import set_actor
from confman.db.models import User
from confman.db.transactions import DbSession

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="confman"'}

# The OpenAPI security requirement organiser operations declare.
BEARER: list[dict[str, list[str]]] = [{"BearerToken": []}]

# How handlers ask for the caller: maybe anonymous, or certainly an organiser.
CurrentUser = NamedDependency[User | None]
AuthenticatedUser = NamedDependency[User]


async def provide_current_user(request: Request[Any, Any, Any], db_session: DbSession) -> User | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise NotAuthorizedException(detail="Authorization header must be 'Bearer <token>'", headers=_CHALLENGE)
    user = await TokenService(db_session).user_for(secret, touch=request.method not in {"GET", "HEAD"})
    if user is None:
        raise NotAuthorizedException(detail="Invalid or revoked token", headers=_CHALLENGE)
    set_actor(db_session, user)
    return user


async def provide_organiser(current_user: CurrentUser, db_session: DbSession) -> User:
    if current_user is None:
        await end_transaction(db_session)
        raise NotAuthorizedException(detail="This operation needs 'Authorization: Bearer <token>'", headers=_CHALLENGE)
    return current_user


async def end_transaction(db_session: DbSession) -> None:
    """Roll back before a dependency refuses the request.

    Litestar cleans up the dependencies it resolved (``provide_db_session`` among them) only
    once all of them are; when one raises, the request's transaction would stay open until
    garbage collection, and on SQLite a form's transaction holds the write lock that long.
    """
    await db_session.rollback()


async def provide_nobody() -> None:
    """The caller of an action that acts for no one (a private link's confirm or cancel):
    its ``Authorization`` header is not read at all."""
    return None


# For a layer whose actions act for no one: ``current_user`` is nobody there.
NOBODY = {"current_user": Provide(provide_nobody)}
