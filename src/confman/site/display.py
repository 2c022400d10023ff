"""The published programme as a viewer sees it: texts in their language, times in their zone.

Everything a public page shows is prepared here from the read model (``published/model.py``)
and a ``Viewer``, so templates only lay it out. A time is never shown without its zone:
each moment carries the viewer's clock and city and the conference's clock and city.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from markupsafe import Markup

from confman.db.models import SessionKind, SpeakerRole
from confman.db.models._types import Translations
from confman.lib.countries import country_name
from confman.lib.i18n import N_, format_clock, format_day, format_days, format_short_day, zone_city
from confman.lib.languages import language_name
from confman.lib.markdown import render_markdown
from confman.lib.timezones import to_zone, utcnow
from confman.lib.translations import pick
from confman.lib.urls import (
    brand_css_url,
    changes_url,
    conference_url,
    media_url,
    news_url,
    programme_url,
    registration_url,
    schedule_url,
    session_url,
    speaker_ics_url,
    speaker_url,
    speakers_url,
    tracks_css_url,
    webcal_url,
)
from confman.lib.viewer import Viewer
from confman.published.model import (
    PublicConference,
    PublicSession,
    PublicSpeaker,
    PublishedProgramme,
    SpeakerSlot,
)
from confman.site.calendar_links import CalendarLinks, programme_calendar_links, session_calendar_links

KIND_LABELS = {
    SessionKind.TALK: N_("Talk"),
    SessionKind.KEYNOTE: N_("Keynote"),
    SessionKind.PANEL: N_("Panel"),
    SessionKind.WORKSHOP: N_("Workshop"),
    SessionKind.DISCUSSION: N_("Discussion"),
    SessionKind.BREAK: N_("Break"),
    SessionKind.OTHER: N_("Session"),
}
# Singular and plural, as the calendar's descriptions ask for them with ngettext (one msgid each).
ROLE_LABELS: dict[SpeakerRole, tuple[str, str] | None] = {
    SpeakerRole.SPEAKER: None,
    SpeakerRole.CHAIR: ("Chair", "Chairs"),
    SpeakerRole.MODERATOR: ("Moderator", "Moderators"),
}


@dataclass(frozen=True, slots=True)
class Text:
    """A translatable text as shown: the value and the language it is really in."""

    value: str
    language: str


@dataclass(frozen=True, slots=True)
class RichText:
    html: Markup
    language: str


@dataclass(frozen=True, slots=True)
class Moment:
    """A span of time in the viewer's zone and in the conference's."""

    starts_at: datetime
    ends_at: datetime
    viewer_day: date
    viewer_day_label: str
    viewer_start: str
    viewer_end: str
    viewer_city: str
    conference_day_label: str
    conference_start: str
    conference_end: str
    conference_city: str
    # The viewer reads the conference's own zone: one clock is enough.
    same_zone: bool
    # The conference's local day differs from the viewer's (shown next to its clock).
    other_day: bool


def initials(name: str) -> str:
    """Up to two letters for a photo's stand-in: the first and last words' ("Özdeş Özbay": "ÖÖ")."""
    words = [word for word in name.split() if word[:1].isalpha()]
    if not words:
        return name[:1].upper()
    return (words[0][0] + (words[-1][0] if len(words) > 1 else "")).upper()


@dataclass(frozen=True, slots=True)
class SpeakerRef:
    slug: str
    name: str
    url: str
    country: str | None
    # (singular, plural) msgids of a chair's or moderator's role; None for a speaker.
    role: tuple[str, str] | None
    # The speaker's own clock for the session ("20:00–21:30", "Sydney"), when their zone is known.
    local_time: str | None
    local_city: str | None
    # The photo at its /media/ address, else None (pages show the initials instead).
    photo: str | None = None
    initials: str = ""


@dataclass(frozen=True, slots=True)
class SessionView:
    slug: str
    url: str
    title: Text
    abstract: RichText | None
    kind: str
    track: Text | None
    track_slug: str | None
    stream: str | None
    spoken_language: str
    spoken_language_code: str
    cancelled: bool
    when: Moment
    speakers: list[SpeakerRef]
    # "now" while it runs, "next" for the sessions that start next, else None.
    live: str | None


@dataclass(frozen=True, slots=True)
class SpeakerView:
    slug: str
    name: str
    url: str
    calendar_ics: str
    calendar_webcal: str
    country: str | None
    bio: RichText | None
    sessions: list[SessionView]


@dataclass(frozen=True, slots=True)
class LiveState:
    """Which sessions run now and which start next; empty outside the conference's hours."""

    now: frozenset[str] = frozenset()
    next: frozenset[str] = frozenset()

    def of(self, slug: str) -> str | None:
        return "now" if slug in self.now else "next" if slug in self.next else None

    def key(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(sorted(self.now)), tuple(sorted(self.next))


def live_state(programme: PublishedProgramme, moment: datetime) -> LiveState:
    running = [s for s in programme.sessions if not s.cancelled]
    if not running or moment < running[0].starts_at or moment >= max(s.ends_at for s in running):
        return LiveState()
    now = frozenset(s.slug for s in running if s.starts_at <= moment < s.ends_at)
    upcoming = [s.starts_at for s in running if s.starts_at > moment]
    first = min(upcoming, default=None)
    following = frozenset(s.slug for s in running if s.starts_at == first)
    return LiveState(now=now, next=following)


def has_ended(conference: PublicConference, moment: datetime) -> bool:
    """Whether the conference's last day is over in its own zone (registration is then closed:
    ``registration.rules.check_open`` says the same)."""
    return to_zone(moment, conference.timezone).date() > conference.ends_on


class ProgrammeDisplay:
    """Builds the views of one programme for one viewer."""

    def __init__(
        self,
        programme: PublishedProgramme,
        viewer: Viewer,
        base_url: str,
        live: LiveState | None = None,
        query: dict[str, str] | None = None,
        shared: dict[Any, Any] | None = None,
    ) -> None:
        """``shared``: a store that every display of this programme version in this language and
        locale (and base URL) may share (``ProgrammeCache.shared``), so a page on a cache miss
        reuses speaker links, clocks in the conference's zone and rendered session cards, and
        makes only what depends on the viewer's zone."""
        self.programme = programme
        self.conference = programme.conference
        self.viewer = viewer
        self.language = viewer.language
        # Dates, clocks, cities and countries follow the browser's regional variant (en-GB: 24 h).
        self.locale = viewer.formatting
        self.base_url = base_url
        self.live = live or LiveState()
        # The page's own validated parameters (the programme's filters).
        self.query = query or {}
        self._sessions: dict[tuple[str, bool], SessionView] = {}
        shared = {} if shared is None else shared
        self._speakers: dict[tuple[str, SpeakerRole], SpeakerRef] = shared.setdefault("speakers", {})
        # Clocks, days and cities in the conference's zone; session addresses; language names.
        self._conference_side: dict[Any, str] = shared.setdefault("conference", {})
        # The session cards' zone-free parts, rendered once (templates/public/_timetable.html).
        self.cards: dict[str, Any] = shared.setdefault("cards", {})
        # The same in the viewer's zone, for this display only; and its moments.
        self._viewer_side: dict[Any, str] = {}
        self._moments: dict[tuple[datetime, datetime], Moment] = {}

    # Texts -------------------------------------------------------------------------------

    def text(self, field: Translations) -> Text:
        value, language = pick(field, self.language, self.conference.default_language)
        return Text(value, language)

    def rich(self, field: Translations) -> RichText | None:
        value, language = pick(field, self.language, self.conference.default_language)
        return RichText(render_markdown(value), language) if value.strip() else None

    def session_language(self, code: str) -> str:
        key = ("language", code)
        name = self._conference_side.get(key)
        if name is None:
            name = self._conference_side[key] = language_name(code, self.locale)
        return name

    def country(self, code: str | None) -> str | None:
        return country_name(code, self.locale) if code else None

    # Times -------------------------------------------------------------------------------

    def city(self, zone: str) -> str:
        return zone_city(zone, self.locale)

    def _memo(self, store: dict[Any, str], key: Any, make: Any, *args: Any) -> str:
        value = store.get(key)
        if value is None:
            value = store[key] = make(*args)
        return value

    def moment(self, starts_at: datetime, ends_at: datetime) -> Moment:
        """Sessions share their starts and ends (a programme of 200 has a few dozen), and the
        conference's side is the same for every viewer in this locale: each clock, day and
        city is formatted once (per display, or per version in ``shared``)."""
        found = self._moments.get((starts_at, ends_at))
        if found is not None:
            return found
        viewer_zone, conference_zone, locale = self.viewer.zone, self.conference.timezone, self.locale
        viewer_day = to_zone(starts_at, viewer_zone).date()
        conference_day = to_zone(starts_at, conference_zone).date()
        mine, theirs, memo = self._viewer_side, self._conference_side, self._memo
        found = self._moments[starts_at, ends_at] = Moment(
            starts_at=starts_at,
            ends_at=ends_at,
            viewer_day=viewer_day,
            viewer_day_label=memo(mine, ("day", viewer_day), format_day, viewer_day, locale),
            viewer_start=memo(mine, ("clock", starts_at), format_clock, starts_at, viewer_zone, locale),
            viewer_end=memo(mine, ("clock", ends_at), format_clock, ends_at, viewer_zone, locale),
            viewer_city=memo(mine, "city", zone_city, viewer_zone, locale),
            conference_day_label=memo(theirs, ("day", conference_day), format_short_day, conference_day, locale),
            conference_start=memo(theirs, ("clock", starts_at), format_clock, starts_at, conference_zone, locale),
            conference_end=memo(theirs, ("clock", ends_at), format_clock, ends_at, conference_zone, locale),
            conference_city=memo(theirs, "city", zone_city, conference_zone, locale),
            same_zone=viewer_zone == conference_zone,
            other_day=viewer_day != conference_day,
        )
        return found

    def _span(self, session: PublicSession, zone: str) -> str:
        start = format_clock(session.starts_at, zone, self.locale)
        return f"{start}–{format_clock(session.ends_at, zone, self.locale)}"

    # Sessions and speakers ---------------------------------------------------------------

    def session(self, session: PublicSession, *, full: bool = False) -> SessionView:
        """A session as pages show it. Lists (the programme's 200 cards, search, picks, the
        attendee's page) need neither its abstract nor each speaker's own clock; ``full``
        (the session's page) adds them: two clocks per speaker and a Markdown rendering cost
        the programme page a third of its time on a miss."""
        key = (session.slug, full)
        cached = self._sessions.get(key)
        if cached is not None:
            return cached
        slug = self.conference.slug
        url = self._memo(self._conference_side, ("url", session.slug), session_url, self.base_url, slug, session.slug)
        view = SessionView(
            slug=session.slug,
            url=url,
            title=self.text(session.title),
            abstract=self.rich(session.abstract) if full else None,
            kind=KIND_LABELS[session.kind],
            track=self.text(session.track.name) if session.track else None,
            track_slug=session.track.slug if session.track else None,
            stream=session.stream.name if session.stream else None,
            spoken_language=self.session_language(session.language),
            spoken_language_code=session.language,
            cancelled=session.cancelled,
            when=self.moment(session.starts_at, session.ends_at),
            speakers=[self._slot(session, slot, full) for slot in session.speakers],
            live=self.live.of(session.slug),
        )
        self._sessions[key] = view
        return view

    def _slot(self, session: PublicSession, slot: SpeakerSlot, full: bool) -> SpeakerRef:
        speaker = slot.speaker
        zone = speaker.timezone if full else None
        if zone is None:
            # The same speaker in the same role reads the same on every card of the page.
            key = (speaker.slug, slot.role)
            cached = self._speakers.get(key)
            if cached is None:
                cached = self._speakers[key] = self._speaker_ref(speaker, ROLE_LABELS[slot.role], None, None)
            return cached
        return self._speaker_ref(speaker, ROLE_LABELS[slot.role], self._span(session, zone), self.city(zone))

    def _speaker_ref(
        self, speaker: PublicSpeaker, role: tuple[str, str] | None, local_time: str | None, local_city: str | None
    ) -> SpeakerRef:
        return SpeakerRef(
            slug=speaker.slug,
            name=speaker.name,
            url=speaker_url(self.base_url, self.conference.slug, speaker.slug),
            country=self.country(speaker.country),
            role=role,
            local_time=local_time,
            local_city=local_city,
            photo=media_url(self.base_url, speaker.photo) if speaker.photo else None,
            initials=initials(speaker.name),
        )

    def calendar_links(self, session: PublicSession) -> CalendarLinks:
        """Add-to-calendar links (Google and Outlook compose URLs): only for the session's own page."""
        return session_calendar_links(self.base_url, self.conference, session, self.language)

    def speaker_link(self, speaker: PublicSpeaker) -> SpeakerRef:
        """A speaker as a name line shows them: "Sabrina Fernandez (Brazil)"."""
        return self._speaker_ref(speaker, None, None, None)

    def speaker(self, speaker: PublicSpeaker) -> SpeakerView:
        slug = self.conference.slug
        ics = speaker_ics_url(self.base_url, slug, speaker.slug)
        return SpeakerView(
            slug=speaker.slug,
            name=speaker.name,
            url=speaker_url(self.base_url, slug, speaker.slug),
            calendar_ics=ics,
            calendar_webcal=webcal_url(ics),
            country=self.country(speaker.country),
            bio=self.rich(speaker.bio),
            sessions=[self.session(session) for session in speaker.sessions],
        )

    def _card_view(self, session: PublicSession) -> SessionView:
        """A session whose card is rendered already (``cards``): what the timetable still reads
        for this viewer (its time, state and title for the data attribute); no speakers."""
        track = session.track
        return SessionView(
            slug=session.slug,
            url="",
            title=self.text(session.title),
            abstract=None,
            kind=KIND_LABELS[session.kind],
            track=None,
            track_slug=track.slug if track else None,
            stream=None,
            spoken_language="",
            spoken_language_code=session.language,
            cancelled=session.cancelled,
            when=self.moment(session.starts_at, session.ends_at),
            speakers=[],
            live=self.live.of(session.slug),
        )

    def days(self, sessions: list[PublicSession], *, cards: bool = False) -> list[tuple[str, date, list[SessionView]]]:
        """Sessions grouped by the viewer's local day (23:30 in London is tomorrow in Sydney).

        ``cards``: the views go to the timetable's cards (templates/public/_timetable.html),
        which takes a card rendered before from ``self.cards``; such sessions get a light view."""
        grouped: dict[date, list[SessionView]] = defaultdict(list)
        rendered = self.cards if cards else {}
        for session in sessions:
            view = self._card_view(session) if session.slug in rendered else self.session(session)
            grouped[view.when.viewer_day].append(view)
        return [(format_day(day, self.locale), day, views) for day, views in sorted(grouped.items())]

    # The conference ----------------------------------------------------------------------

    def conference_context(self) -> dict[str, Any]:
        conference = self.conference
        slug = conference.slug
        first, last = conference.starts_on, conference.ends_on
        dates = format_days(first, last, self.locale)
        return {
            "slug": slug,
            "title": self.text(conference.title),
            "description": self.rich(conference.description),
            "dates": dates,
            "starts_on": first,
            "ends_on": last,
            "timezone": conference.timezone,
            "city": self.city(conference.timezone),
            "url": conference_url(self.base_url, slug),
            "programme_url": programme_url(self.base_url, slug),
            "speakers_url": speakers_url(self.base_url, slug),
            "news_url": news_url(self.base_url, slug),
            "register_url": registration_url(self.base_url, slug),
            # No register link once the conference is over (pages' cache keys hold it too).
            "ended": has_ended(conference, utcnow()),
            "calendar": programme_calendar_links(self.base_url, conference, self.language),
            "changes_url": changes_url(self.base_url, slug),
            "schedule_json": schedule_url(self.base_url, slug, "json"),
            "schedule_xml": schedule_url(self.base_url, slug, "xml"),
            "languages": conference.languages,
            "tracks_css": tracks_css_url(slug, conference.version),
            "brand_css": brand_css_url(slug, conference.version) if conference.accent_color else None,
            "logo": media_url(self.base_url, conference.logo) if conference.logo else None,
        }
