"""What a release changed, per session and in words: shared by the changelog page, its Atom
feed and the release e-mails, so all three say the same thing.

A session changed several times between two releases counts once, from its state before the
first change to its state after the last (moved and moved back is no change at all).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_skeleton

from confman.conferences.change_record import Snapshot, change_kinds
from confman.db.models import ChangeKind, ProgrammeChange
from confman.lib.i18n import babel_locale, format_clock, zone_city
from confman.lib.timezones import to_zone
from confman.lib.translations import pick

# The kinds that change when or whether a session happens: their followers get an e-mail. A
# session removed from the programme is, for those who had it in their calendar, cancelled.
NOTIFIED = frozenset(
    {ChangeKind.RESCHEDULED, ChangeKind.MOVED, ChangeKind.CANCELLED, ChangeKind.RESTORED, ChangeKind.REMOVED}
)


@dataclass(frozen=True)
class SessionChange:
    """One session's net change over a set of change records."""

    slug: str
    session_id: int | None
    before: Snapshot | None
    after: Snapshot | None
    kinds: tuple[ChangeKind, ...]

    @property
    def shown(self) -> Snapshot:
        """The state to name the session by: as it is now, or as it was when removed."""
        found = self.after or self.before
        assert found is not None
        return found

    @property
    def notified(self) -> bool:
        return any(kind in NOTIFIED for kind in self.kinds)

    @property
    def removed(self) -> bool:
        return self.after is None


def net_changes(changes: Iterable[ProgrammeChange]) -> list[SessionChange]:
    """Per session (in the order first changed), its state before the first and after the last change."""
    first: dict[str, ProgrammeChange] = {}
    last: dict[str, ProgrammeChange] = {}
    for change in sorted(changes, key=lambda row: row.id):
        first.setdefault(change.session_slug, change)
        last[change.session_slug] = change
    found = []
    for slug, opening in first.items():
        closing = last[slug]
        kinds = change_kinds(opening.before, closing.after)
        if kinds:
            session_id = closing.session_id if closing.after is not None else opening.session_id
            found.append(SessionChange(slug, session_id, opening.before, closing.after, tuple(kinds)))
    return found


@dataclass(frozen=True)
class ChangeLine:
    kind: ChangeKind
    slug: str
    title: str
    text: str
    removed: bool


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def when(value: str, zone: str, language: str) -> str:
    """A session's start in ``zone``, short and with its weekday: "Sun, Nov 14 9:00 PM"."""
    at = moment(value)
    day = format_skeleton("MMMEd", to_zone(at, zone).date(), locale=babel_locale(language))
    return f"{day} {format_clock(at, zone, language)}"


def describe(
    change: SessionChange,
    *,
    translate: Callable[..., str],
    language: str,
    content_language: str | None,
    default_language: str,
    zone: str,
    conference_zone: str,
) -> list[ChangeLine]:
    """One line per kind of change, in ``language``, times in ``zone`` and the conference's."""
    _ = translate
    shown = change.shown
    title = pick(shown["title"], content_language, default_language)[0]
    city = zone_city(conference_zone, language)

    def both(value: str) -> str:
        if zone == conference_zone:
            return _("%(time)s (%(city)s)", time=when(value, zone, language), city=city)
        return _(
            "%(time)s your time (%(conference_time)s %(city)s)",
            time=when(value, zone, language),
            conference_time=when(value, conference_zone, language),
            city=city,
        )

    lines: list[ChangeLine] = []
    for kind in change.kinds:
        text = _line(kind, change, shown, translate=_, both=both, content_language=content_language,
                     default_language=default_language)  # fmt: skip
        lines.append(ChangeLine(kind, change.slug, title, text, change.after is None))
    return lines


def _line(
    kind: ChangeKind,
    change: SessionChange,
    shown: Snapshot,
    *,
    translate: Callable[..., str],
    both: Callable[[str], str],
    content_language: str | None,
    default_language: str,
) -> str:
    _ = translate
    before, after = change.before or {}, change.after or {}
    if kind is ChangeKind.ADDED:
        return _("Added: %(when)s.", when=both(shown["starts_at"]))
    if kind is ChangeKind.REMOVED:
        return _("Removed from the programme (it was on %(when)s).", when=both(shown["starts_at"]))
    if kind is ChangeKind.CANCELLED:
        return _("Cancelled (it was on %(when)s).", when=both(shown["starts_at"]))
    if kind is ChangeKind.RESTORED:
        return _("Back in the programme: %(when)s.", when=both(shown["starts_at"]))
    if kind is ChangeKind.RESCHEDULED:
        if before["starts_at"] == after["starts_at"]:
            return _("Now ends at %(when)s.", when=both(after["ends_at"]))
        return _("Moved from %(old)s to %(new)s.", old=both(before["starts_at"]), new=both(after["starts_at"]))
    if kind is ChangeKind.MOVED:
        old, new = before.get("stream_name"), after.get("stream_name")
        if old and new:
            return _("Moved from the stream %(old)s to %(new)s.", old=old, new=new)
        if new:
            return _("Now in the stream %(new)s.", new=new)
        return _("No longer in the stream %(old)s.", old=old or "")
    if kind is ChangeKind.SPEAKERS:
        names = ", ".join(after.get("speakers") or [])
        return _("Speakers now: %(names)s.", names=names) if names else _("No speakers named any more.")
    old_title = pick(before.get("title") or {}, content_language, default_language)[0]
    return _("Renamed from “%(old)s”.", old=old_title)


def changes_by_release(changes: Sequence[ProgrammeChange]) -> dict[int | None, list[SessionChange]]:
    """Each release's net session changes (key None: the changes no release took yet)."""
    grouped: dict[int | None, list[ProgrammeChange]] = {}
    for change in changes:
        grouped.setdefault(change.release_id, []).append(change)
    return {release_id: net_changes(rows) for release_id, rows in grouped.items()}
