"""One request, one transaction: committed after the handler, before the answer is sent.

advanced-alchemy's autocommit handler commits while the response is already on its way
and only logs a failed commit; here a failed commit becomes the request's error, so an
answer that says "done" always means "in the database".
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.engine import set_write_intent

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A route's ``opt`` key: this GET writes (the attendee's page makes links on first view; the join
# gate records a join), so it takes SQLite's write lock and PostgreSQL's default isolation.
WRITES = "writes"


async def mark_write_intent(request: Request[Any, Any, Any]) -> None:
    """A ``before_request`` hook (it runs before the dependencies): reads take no write lock on
    SQLite, and see one snapshot on PostgreSQL (``db/engine.py``)."""
    set_write_intent(request.method not in SAFE_METHODS or bool(request.route_handler.opt.get(WRITES)))


async def provide_db_session(plugin_db_session: NamedDependency[AsyncSession]) -> AsyncGenerator[AsyncSession, None]:
    """The request's session: committed when the handler returns, rolled back when it raises.

    A refused form therefore raises (``lib/errors.FormRejected``, answered by its page) rather
    than returning its error page, which would commit whatever the request wrote before the refusal.
    """
    try:
        yield plugin_db_session
    except BaseException:
        await plugin_db_session.rollback()
        raise
    # A request answered from memory never opened a transaction: nothing to commit.
    if plugin_db_session.in_transaction():
        await plugin_db_session.commit()


# How handlers ask for the request's database session.
DbSession = NamedDependency[AsyncSession]
