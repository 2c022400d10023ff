"""What an organiser should look at in a programme: the schedule's flags.

One definition for every place that shows them (the schedule builder's cards and list, the
conference overview, the session pages, the API's ``warnings``), each with a stable code and a
message in the reader's language:

- ``speaker_night``: a speaker's session overlaps their night (23:00 to 07:00 in their zone);
- ``speaker_double_booked``: a speaker is in two sessions at once;
- ``stream_overlap``: two sessions overlap on one stream;
- ``outside_conference``: a session starts outside the conference's days (in its zone), as
  after the conference's dates changed;
- ``speaker_without_zone``: a speaker has no time zone, so their night cannot be checked.

Cancelled sessions take no room and get no flags. The whole programme is read in two queries
(:func:`load_schedule`) and checked in memory: sorting, then one pass per speaker and stream.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import Conference, ConferenceSession, SessionSpeaker, SessionStatus, Speaker, Stream, Track
from confman.lib.i18n import N_, translations
from confman.lib.timezones import to_zone

# A speaker's local night: from 23:00 to 07:00.
NIGHT_STARTS, NIGHT_ENDS = 23, 7


class FlagCode(StrEnum):
    SPEAKER_NIGHT = "speaker_night"
    SPEAKER_DOUBLE_BOOKED = "speaker_double_booked"
    STREAM_OVERLAP = "stream_overlap"
    OUTSIDE_CONFERENCE = "outside_conference"
    SPEAKER_WITHOUT_ZONE = "speaker_without_zone"


MESSAGES: dict[FlagCode, str] = {
    FlagCode.SPEAKER_NIGHT: N_("%(speaker)s speaks at night in their zone: %(start)s–%(end)s %(zone)s"),
    FlagCode.SPEAKER_DOUBLE_BOOKED: N_("%(speaker)s is also in “%(other)s” at the same time"),
    FlagCode.STREAM_OVERLAP: N_("Overlaps “%(other)s” on the stream %(stream)s"),
    FlagCode.OUTSIDE_CONFERENCE: N_("Starts on %(day)s, outside the conference's days"),
    FlagCode.SPEAKER_WITHOUT_ZONE: N_("%(speaker)s has no time zone: their night cannot be checked"),
}


@dataclass(frozen=True)
class ScheduledSpeaker:
    slug: str
    name: str
    zone: str | None


@dataclass(frozen=True)
class ScheduledSession:
    """What the checks need of a session (plain data: also the schedule builder's card)."""

    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus
    stream: str | None = None
    stream_name: str | None = None
    speakers: tuple[ScheduledSpeaker, ...] = ()
    track: str | None = None


@dataclass(frozen=True)
class Flag:
    code: FlagCode
    session: str
    speaker: str | None = None
    other_session: str | None = None
    values: dict[str, str] = field(default_factory=dict)

    def message(self, language: str) -> str:
        return translations(language).gettext(MESSAGES[self.code]) % self.values


def _night_overlap(start: datetime, end: datetime, zone: str) -> bool:
    """Whether [start, end) meets 23:00–07:00 in ``zone`` on any night it spans."""
    local_start, local_end = to_zone(start, zone), to_zone(end, zone)
    if (
        local_start.date() == local_end.date()
        and local_start.hour >= NIGHT_ENDS
        and (local_end.hour, local_end.minute, local_end.second, local_end.microsecond) <= (NIGHT_STARTS, 0, 0, 0)
    ):
        return False  # within one day's waking hours: the usual case, decided without the loop
    night_day = local_start.date() - timedelta(days=1)
    last_day = local_end.date()
    tz = local_start.tzinfo
    while night_day <= last_day:
        night_start = datetime(night_day.year, night_day.month, night_day.day, NIGHT_STARTS, tzinfo=tz)
        following = night_day + timedelta(days=1)
        night_end = datetime(following.year, following.month, following.day, NIGHT_ENDS, tzinfo=tz)
        if start < night_end and night_start < end:
            return True
        night_day = following
    return False


def _overlaps(sessions: Iterable[ScheduledSession]) -> Iterable[tuple[ScheduledSession, ScheduledSession]]:
    """Every overlapping pair, each once: a sweep over the sessions sorted by start."""
    ordered = sorted(sessions, key=lambda s: (s.starts_at, s.slug))
    running: list[ScheduledSession] = []
    for session in ordered:
        running = [other for other in running if other.ends_at > session.starts_at]
        for other in running:
            yield other, session
        running.append(session)


def schedule_flags(
    sessions: Sequence[ScheduledSession], *, zone: str, starts_on: date, ends_on: date
) -> dict[str, list[Flag]]:
    """Every session's flags, by session slug (sessions without flags are left out)."""
    flags: dict[str, list[Flag]] = defaultdict(list)
    active = [s for s in sessions if s.status is not SessionStatus.CANCELLED]
    by_speaker: dict[str, list[ScheduledSession]] = defaultdict(list)
    by_stream: dict[str, list[ScheduledSession]] = defaultdict(list)
    for session in active:
        day = to_zone(session.starts_at, zone).date()
        if not starts_on <= day <= ends_on:
            flags[session.slug].append(Flag(FlagCode.OUTSIDE_CONFERENCE, session.slug, values={"day": day.isoformat()}))
        if session.stream:
            by_stream[session.stream].append(session)
        for speaker in session.speakers:
            by_speaker[speaker.slug].append(session)
            if speaker.zone is None:
                flags[session.slug].append(
                    Flag(FlagCode.SPEAKER_WITHOUT_ZONE, session.slug, speaker.slug, values={"speaker": speaker.name})
                )
            elif _night_overlap(session.starts_at, session.ends_at, speaker.zone):
                start, end = to_zone(session.starts_at, speaker.zone), to_zone(session.ends_at, speaker.zone)
                values = {
                    "speaker": speaker.name,
                    "start": f"{start:%H:%M}",
                    "end": f"{end:%H:%M}",
                    "zone": speaker.zone,
                }
                flags[session.slug].append(Flag(FlagCode.SPEAKER_NIGHT, session.slug, speaker.slug, values=values))
    for speaker_slug, booked in by_speaker.items():
        for first, second in _overlaps(booked):
            name = next(s.name for s in first.speakers if s.slug == speaker_slug)
            for one, other in ((first, second), (second, first)):
                flags[one.slug].append(
                    Flag(
                        FlagCode.SPEAKER_DOUBLE_BOOKED,
                        one.slug,
                        speaker_slug,
                        other.slug,
                        {"speaker": name, "other": other.title},
                    )
                )
    for stream_slug, on_stream in by_stream.items():
        for first, second in _overlaps(on_stream):
            for one, other in ((first, second), (second, first)):
                flags[one.slug].append(
                    Flag(
                        FlagCode.STREAM_OVERLAP,
                        one.slug,
                        other_session=other.slug,
                        values={"other": other.title, "stream": one.stream_name or stream_slug},
                    )
                )
    return dict(flags)


async def load_schedule(
    db: AsyncSession, conference: Conference, language: str | None = None
) -> list[ScheduledSession]:
    """The conference's sessions as the checks need them: two queries, whatever their number."""
    rows = (
        await db.execute(
            select(
                ConferenceSession.id,
                ConferenceSession.slug,
                ConferenceSession.title,
                ConferenceSession.starts_at,
                ConferenceSession.ends_at,
                ConferenceSession.status,
                Stream.slug,
                Stream.name,
                Track.slug,
            )
            .outerjoin(Stream, Stream.id == ConferenceSession.stream_id)
            .outerjoin(Track, Track.id == ConferenceSession.track_id)
            .where(ConferenceSession.conference_id == conference.id)
            .order_by(ConferenceSession.starts_at, ConferenceSession.slug)
        )
    ).all()
    speakers: dict[int, list[ScheduledSpeaker]] = defaultdict(list)
    for session_id, slug, name, zone in (
        await db.execute(
            select(SessionSpeaker.session_id, Speaker.slug, Speaker.name, Speaker.timezone)
            .join(Speaker, Speaker.id == SessionSpeaker.speaker_id)
            .join(ConferenceSession, ConferenceSession.id == SessionSpeaker.session_id)
            .where(ConferenceSession.conference_id == conference.id)
            .order_by(SessionSpeaker.session_id, SessionSpeaker.position)
        )
    ).all():
        speakers[session_id].append(ScheduledSpeaker(slug, name, zone))
    return [
        ScheduledSession(
            slug=slug,
            title=conference.text(title, language),
            starts_at=starts_at,
            ends_at=ends_at,
            status=status,
            stream=stream,
            stream_name=stream_name,
            speakers=tuple(speakers[session_id]),
            track=track,
        )
        for session_id, slug, title, starts_at, ends_at, status, stream, stream_name, track in rows
    ]


async def conference_flags(
    db: AsyncSession, conference: Conference, language: str | None = None
) -> dict[str, list[Flag]]:
    """Every open flag of the conference's programme, by session slug."""
    sessions = await load_schedule(db, conference, language)
    return schedule_flags(
        sessions, zone=conference.timezone, starts_on=conference.starts_on, ends_on=conference.ends_on
    )
