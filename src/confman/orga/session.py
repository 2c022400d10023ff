"""Signing organisers in: Litestar's server-side sessions, the caller as ``current_user``.

The cookie holds only a random key; the session lives in a store (``web_session`` in the
database by default, Redis when ``CONFMAN_REDIS_URL`` is set), so signing out ends it on the
server. The cookie is ``HttpOnly`` and ``SameSite=Lax``; under an https base URL it is a
``__Host-`` cookie with ``Secure`` (the demo's http://127.0.0.1 cannot keep a Secure cookie).
Signing in gets a new session key (no fixation); a session ends after
``CONFMAN_ORGA_IDLE_MINUTES`` without a request, ``CONFMAN_ORGA_SESSION_HOURS`` after signing
in, and when the account's password changes (``User.auth_epoch``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

from confman.audit.recorder import set_actor
from confman.db.models import User
from confman.db.transactions import DbSession
from confman.lib.timezones import utcnow
from confman.settings import AppSettings, Settings

# The store sessions live in (registered by the app: the database, or Redis).
SESSION_STORE = "orga_sessions"
_USER = "uid"
_EPOCH = "epoch"
_SIGNED_IN = "signed_in"
_FLASH = "flash"
# Set on the request when the session must get a new key on its way out.
_ROTATE = "confman_rotate_session"
_NEW_KEY = "confman_new_session_key"
_LOADED = "confman_session_loaded"


class RotatingSessionBackend(ServerSideSessionBackend):
    """Litestar's backend, plus a new key on demand: signing in drops the key the browser
    came with (which someone else may have planted) and stores the session under a fresh one."""

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        state = connection.scope.setdefault("state", {})
        if state.get(_ROTATE):
            if not state.get(_NEW_KEY):
                state[_NEW_KEY] = self.generate_session_id()
            return str(state[_NEW_KEY])
        return super().get_session_id(connection)

    async def load_from_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        # What the store holds now: an unchanged session is not written back.
        connection.scope.setdefault("state", {})[_LOADED] = dict(data)
        return data

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        state = connection.scope.get("state", {})
        old_key = connection.cookies.get(self.config.key)
        if not scope_session and not old_key:
            # Nothing to keep for a visitor who is not signed in: no row, no cookie.
            return
        rotate = bool(state.get(_ROTATE))
        if scope_session and not rotate and old_key and scope_session == state.get(_LOADED):
            # Unchanged: no write (the store renews its expiry on reading); the cookie's
            # Max-Age is renewed, so an active organiser stays signed in.
            cookie_params = dict(
                extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys())
            )
            MutableScopeHeaders.from_message(message).add(
                "Set-Cookie", Cookie(value=old_key, key=self.config.key, **cookie_params).to_header(header="")
            )
            return
        if rotate and old_key:
            await self.delete(old_key, store=self.config.get_store_from_app(connection.scope["litestar_app"]))
        await super().store_in_message(scope_session or Empty, message, connection)


def session_cookie_name(settings: Settings) -> str:
    return "__Host-confman_orga" if settings.is_https else "confman_orga"


def session_config(settings: Settings) -> ServerSideSessionConfig:
    config = ServerSideSessionConfig(
        key=session_cookie_name(settings),
        store=SESSION_STORE,
        max_age=settings.orga_idle_minutes * 60,
        renew_on_access=True,
        path="/",
        secure=settings.is_https,
        httponly=True,
        samesite="lax",
    )
    config._backend_class = RotatingSessionBackend  # the backend with new keys at sign-in
    return config


def sign_in(request: Request[Any, Any, Any], user: User) -> None:
    """Make ``user`` the session's organiser, under a new session key."""
    request.scope.setdefault("state", {})[_ROTATE] = True
    request.set_session({_USER: user.id, _EPOCH: user.auth_epoch, _SIGNED_IN: utcnow().timestamp()})


def sign_out(request: Request[Any, Any, Any]) -> None:
    """End the session: deleted from the store, the cookie cleared."""
    request.clear_session()


def flash(request: Request[Any, Any, Any], message: str) -> None:
    """A message for the next page the organiser sees (after a redirect)."""
    session = dict(request.session)
    session[_FLASH] = [*session.get(_FLASH, []), message]
    request.set_session(session)


def take_flashes(request: Request[Any, Any, Any]) -> list[str]:
    if "session" not in request.scope or not request.session.get(_FLASH):
        return []
    session = dict(request.session)
    messages: list[str] = session.pop(_FLASH)
    request.set_session(session)
    return messages


async def provide_session_user(
    request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings
) -> User | None:
    """The signed-in organiser, or None (no session, ended, or the account changed)."""
    if "session" not in request.scope:
        return None
    data = request.session
    user_id = data.get(_USER)
    if not isinstance(user_id, int):
        return None
    signed_in = data.get(_SIGNED_IN, 0)
    too_old = utcnow().timestamp() - float(signed_in) > timedelta(hours=settings.orga_session_hours).total_seconds()
    user = None if too_old else await db_session.get(User, user_id)
    if user is None or not user.is_active or user.auth_epoch != data.get(_EPOCH):
        request.clear_session()
        # Nothing was written: end the transaction now, so that on SQLite a POST's write lock
        # is not held while the session store deletes the row (see conferences/access.py).
        await db_session.rollback()
        return None
    set_actor(db_session, user)
    return user
