"""/api/v1/tokens: exchange e-mail and password for a bearer token; list and revoke."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.exceptions import NotAuthorizedException, NotFoundException, ValidationException
from litestar.params import FromPath, JSONBody

from confman.accounts.auth import BEARER, AuthenticatedUser
from confman.accounts.schemas import TokenCreate, TokenCreated, TokenRead
from confman.accounts.services import TokenService, UserService
from confman.db.models import ApiToken
from confman.db.transactions import DbSession
from confman.lib.openapi import RATE_LIMITED


def token_read(token: ApiToken) -> TokenRead:
    return TokenRead(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


class TokenController(Controller):
    path = "/api/v1/tokens"
    tags = ["Tokens"]

    @post(
        "/",
        summary="Create a token from e-mail and password",
        raises=[ValidationException, NotAuthorizedException],
        # The sign-in attempts' limit (accounts/routes.py) answers 429.
        responses=RATE_LIMITED,
    )
    async def create_token(self, data: JSONBody[TokenCreate], db_session: DbSession) -> TokenCreated:
        user = await UserService(db_session).authenticate(data.email, data.password)
        if user is None:
            # The same answer for an unknown e-mail and a wrong password.
            raise NotAuthorizedException(detail="Wrong e-mail or password")
        token, secret = await TokenService(db_session).issue(user, data.name)
        return TokenCreated(**token_read(token).model_dump(), token=secret)

    @get("/", summary="Your tokens", security=BEARER, raises=[NotAuthorizedException])
    async def list_tokens(self, organiser: AuthenticatedUser, db_session: DbSession) -> list[TokenRead]:
        return [token_read(token) for token in await TokenService(db_session).list_for(organiser)]

    @delete(
        "/{token_id:int}",
        summary="Revoke one of your tokens",
        security=BEARER,
        raises=[NotAuthorizedException, NotFoundException],
    )
    async def revoke_token(self, token_id: FromPath[int], organiser: AuthenticatedUser, db_session: DbSession) -> None:
        await TokenService(db_session).revoke(organiser, token_id)
