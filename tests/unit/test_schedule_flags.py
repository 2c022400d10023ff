"""The schedule's flags: what the builder, the overview and the API warn about."""

from __future__ import annotations

from datetime import UTC, date, datetime

from confman.db.models import SessionStatus
from confman.programme.flags import FlagCode, ScheduledSession, ScheduledSpeaker, schedule_flags

DAYS = {"zone": "Europe/Berlin", "starts_on": date(2027, 3, 1), "ends_on": date(2027, 3, 2)}
ANA = ScheduledSpeaker("ana", "Ana", "America/Sao_Paulo")  # UTC-3
KENJI = ScheduledSpeaker("kenji", "Kenji", "Asia/Tokyo")  # UTC+9
NOZONE = ScheduledSpeaker("lea", "Léa", None)


def session(slug: str, start: int, end: int, *speakers: ScheduledSpeaker, **extra: object) -> ScheduledSession:
    values: dict[str, object] = {
        "slug": slug,
        "title": slug.title(),
        "starts_at": datetime(2027, 3, 1, start, tzinfo=UTC),
        "ends_at": datetime(2027, 3, 1, end, tzinfo=UTC),
        "status": SessionStatus.CONFIRMED,
        "speakers": speakers,
    }
    values.update(extra)
    return ScheduledSession(**values)  # type: ignore[arg-type]


def codes(flags: dict[str, list], slug: str) -> list[FlagCode]:  # type: ignore[type-arg]
    return sorted(flag.code for flag in flags.get(slug, []))


def test_a_speaker_at_night_in_their_zone_is_flagged_with_their_local_times() -> None:
    # 15:00–16:00 UTC is 00:00–01:00 in Tokyo, 12:00–13:00 in São Paulo.
    flags = schedule_flags([session("late", 15, 16, ANA, KENJI)], **DAYS)  # type: ignore[arg-type]
    [night] = flags["late"]
    assert night.code is FlagCode.SPEAKER_NIGHT
    assert night.speaker == "kenji"
    assert night.message("en") == "Kenji speaks at night in their zone: 00:00–01:00 Asia/Tokyo"


def test_a_session_spanning_the_whole_night_is_flagged_even_if_it_starts_and_ends_by_day() -> None:
    # 21:00 to 08:00 next day in São Paulo: starts and ends outside 23–07, covers it all.
    long = session(
        "marathon",
        0,
        11,
        ANA,
        starts_at=datetime(2027, 3, 1, 0, tzinfo=UTC),
        ends_at=datetime(2027, 3, 1, 11, tzinfo=UTC),
    )
    assert codes(schedule_flags([long], **DAYS), "marathon") == [FlagCode.SPEAKER_NIGHT]  # type: ignore[arg-type]


def test_double_bookings_and_stream_overlaps_flag_both_sessions() -> None:
    flags = schedule_flags(
        [
            session("a", 12, 13, ANA, stream="main", stream_name="Main"),
            session("b", 12, 14, ANA, stream="main", stream_name="Main"),
            session("c", 13, 14, stream="main", stream_name="Main"),  # touches a, overlaps b
        ],
        **DAYS,  # type: ignore[arg-type]
    )
    assert codes(flags, "a") == [FlagCode.SPEAKER_DOUBLE_BOOKED, FlagCode.STREAM_OVERLAP]
    assert codes(flags, "b") == [FlagCode.SPEAKER_DOUBLE_BOOKED, FlagCode.STREAM_OVERLAP, FlagCode.STREAM_OVERLAP]
    assert codes(flags, "c") == [FlagCode.STREAM_OVERLAP]
    [double] = [f for f in flags["a"] if f.code is FlagCode.SPEAKER_DOUBLE_BOOKED]
    assert double.other_session == "b"
    assert double.message("en") == "Ana is also in “B” at the same time"


def test_cancelled_sessions_take_no_room_and_zoneless_speakers_are_named() -> None:
    flags = schedule_flags(
        [
            session("a", 12, 13, NOZONE, stream="main"),
            session("gone", 12, 13, NOZONE, stream="main", status=SessionStatus.CANCELLED),
        ],
        **DAYS,  # type: ignore[arg-type]
    )
    assert codes(flags, "a") == [FlagCode.SPEAKER_WITHOUT_ZONE]
    assert "gone" not in flags


def test_a_session_outside_the_conference_days_in_its_zone_is_flagged() -> None:
    # 23:30 UTC on 2 March is 00:30 on 3 March in Berlin: after the last day.
    late = session(
        "after",
        0,
        1,
        starts_at=datetime(2027, 3, 2, 23, 30, tzinfo=UTC),
        ends_at=datetime(2027, 3, 3, 0, 30, tzinfo=UTC),
    )
    [flag] = schedule_flags([late], **DAYS)["after"]  # type: ignore[arg-type]
    assert flag.code is FlagCode.OUTSIDE_CONFERENCE
    assert flag.message("en") == "Starts on 2027-03-03, outside the conference's days"
