"""Search results as the programme page shows them: each hit with its session's card data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from confman.lib.errors import FieldError
from confman.published.model import PublicSession
from confman.published.search import QueryError, SearchHit, SearchIndex, normalise_query, search
from confman.site.display import ProgrammeDisplay, SessionView


@dataclass(frozen=True, slots=True)
class SearchResult:
    hit: SearchHit
    # The session as a card shows it (times in the viewer's zone, speakers' links).
    view: SessionView


def search_query(raw: str | None) -> str:
    """``?q=`` as searched; 400 naming ``q`` for a query that cannot be one."""
    try:
        return normalise_query(raw)
    except QueryError as error:
        raise FieldError("q", "invalid", str(error)) from None


def search_results(
    display: ProgrammeDisplay, index: SearchIndex, query: str, among: Iterable[PublicSession]
) -> list[SearchResult]:
    """The hits of ``query`` among the sessions ``among`` (the page's filters), best first."""
    allowed = {session.slug for session in among}
    return [
        SearchResult(hit, display.session(hit.session))
        for hit in search(index, query, display.language)
        if hit.session.slug in allowed
    ]
