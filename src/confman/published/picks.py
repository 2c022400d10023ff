"""A visitor's picks: sessions chosen in the browser, named in a URL (no account, no state).

``/{conf}/programme/picks/?sessions=a,b`` and ``/{conf}/programme.ics?sessions=a,b`` carry
the picks in the query, as a comma list or as repeated parameters (a plain GET form of
checkboxes sends ``sessions=a&sessions=b``). Both read them through :func:`parse_picks`:

- malformed input (an empty item, a character a slug cannot have, a slug longer than 64,
  more than :data:`MAX_PICKS` items) is refused with a 400 naming ``sessions``;
- well-formed slugs are kept in their canonical form, sorted and deduplicated, so that
  ``b,a,a`` and ``a,b`` are one cache entry, one ETag and one body. The answer is not a
  redirect to the canonical URL: a subscribed calendar keeps the address it was given,
  and some calendar apps follow no redirect;
- slugs that name no public session (unknown, deleted, draft, or of an unpublished
  conference) are left out silently by :func:`picked_sessions`, so a subscribed feed keeps
  working when the programme changes. A cancelled session stays: the feed says
  ``STATUS:CANCELLED`` and the calendar app removes it, as with the whole programme's feed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from confman.lib.errors import FieldError
from confman.lib.validation import is_slug
from confman.published.model import PublicSession, PublishedProgramme

FIELD = "sessions"
MAX_PICKS = 200
# No well-formed query is longer than 200 slugs of 64 characters and their commas.
_MAX_QUERY = MAX_PICKS * 65


def parse_picks(values: Iterable[str]) -> tuple[str, ...]:
    """The canonical picks (sorted, distinct) of the ``sessions`` parameter's values.

    Each value is one slug or a comma list of them. Raises :class:`FieldError` (400) for
    malformed input; an absent parameter is the caller's business (no values: no picks).
    """
    items: list[str] = []
    total = 0
    for value in values:
        total += len(value) + 1
        if total > _MAX_QUERY:
            raise FieldError(FIELD, "too_long", f"at most {MAX_PICKS} sessions")
        items.extend(value.split(","))
    if len(items) > MAX_PICKS:
        raise FieldError(FIELD, "too_many", f"at most {MAX_PICKS} sessions")
    for item in items:
        if not item:
            raise FieldError(FIELD, "empty", "an empty item (two commas, or a comma at either end)")
        if len(item) > 64:
            raise FieldError(FIELD, "too_long", "a session slug has at most 64 characters")
        if not is_slug(item):
            raise FieldError(FIELD, "invalid", "a session slug has only a-z, 0-9 and single hyphens")
    return tuple(sorted(set(items)))


def picks_query(picks: Sequence[str]) -> str:
    """The canonical query value: ``a,b,c``."""
    return ",".join(picks)


@dataclass(frozen=True, slots=True)
class Pick:
    session: PublicSession
    # Other picked sessions that run at the same time (cancelled ones overlap nothing).
    overlaps: tuple[PublicSession, ...]


def picked_sessions(programme: PublishedProgramme, picks: Sequence[str]) -> list[PublicSession]:
    """The public sessions among ``picks``, in time order (unknown slugs left out)."""
    wanted = set(picks)
    return [session for session in programme.sessions if session.slug in wanted]


def with_overlaps(sessions: Sequence[PublicSession]) -> list[Pick]:
    """Each session with the others it overlaps (``sessions`` in time order; n ≤ 200, so n² is fine)."""
    return [
        Pick(
            session,
            tuple(
                other
                for other in sessions
                if other is not session
                and not session.cancelled
                and not other.cancelled
                and other.starts_at < session.ends_at
                and session.starts_at < other.ends_at
            ),
        )
        for session in sessions
    ]
