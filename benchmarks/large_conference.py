"""Generate a large conference for benchmarks: 200 sessions, 300 speakers, 4 streams,
2 days, 4 content languages, through the same services as the API.

    python -m benchmarks.large_conference            # into $CONFMAN_DATABASE_URL
"""

from __future__ import annotations

import argparse
import asyncio
import random
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from confman.cli import unit_of_work
from confman.conferences.schemas import ConferenceCreate, StreamCreate, TrackCreate
from confman.conferences.services import ConferenceService, StreamService, TrackService
from confman.db import migrate
from confman.db.models import Conference
from confman.lib.countries import known_countries
from confman.lib.timezones import get_zone
from confman.programme.schemas import SessionCreate
from confman.programme.services import SessionService
from confman.settings import Settings
from confman.speakers.schemas import SpeakerCreate
from confman.speakers.services import SpeakerService

LANGUAGES = ["en", "es", "fr", "ru"]
WORDS = {
    "en": "climate capital crisis movement future struggle energy justice planet workers",
    "es": "clima capital crisis movimiento futuro lucha energía justicia planeta trabajadores",
    "fr": "climat capital crise mouvement avenir lutte énergie justice planète travailleurs",
    "ru": "климат капитал кризис движение будущее борьба энергия справедливость планета рабочие",
}


def _text(rng: random.Random, language: str, words: int) -> str:
    vocabulary = WORDS[language].split()
    return " ".join(rng.choice(vocabulary) for _ in range(words)).capitalize()


async def create_large_conference(
    db: AsyncSession,
    *,
    slug: str = "bench-2027",
    sessions: int = 200,
    speakers: int = 300,
    streams: int = 4,
    days: int = 2,
    first_day: date = date(2027, 11, 13),
) -> Conference:
    rng = random.Random(2027)  # noqa: S311 - the same conference on every run, not a secret
    conference = await ConferenceService(db).create(
        ConferenceCreate.model_validate(
            {
                "slug": slug,
                "title": {lang: _text(rng, lang, 6) for lang in LANGUAGES},
                "description": {lang: _text(rng, lang, 60) for lang in LANGUAGES},
                "timezone": "Europe/London",
                "default_language": "en",
                "languages": LANGUAGES,
                "status": "published",
                "starts_on": first_day.isoformat(),
                "ends_on": (first_day + timedelta(days=days - 1)).isoformat(),
            }
        ),
        None,
    )
    for index in range(4):
        await TrackService(db).create(
            conference,
            TrackCreate.model_validate(
                {"slug": f"track-{index}", "name": {lang: _text(rng, lang, 2) for lang in LANGUAGES}}
            ),
        )
    for index in range(streams):
        await StreamService(db).create(
            conference,
            StreamCreate.model_validate(
                {
                    "slug": f"stream-{index}",
                    "name": f"Stream {index + 1}",
                    "meeting_url": f"https://example.org/meet/bench-{index}",
                    "position": index,
                }
            ),
        )
    countries = sorted(known_countries())
    for index in range(speakers):
        await SpeakerService(db).create(
            conference,
            SpeakerCreate.model_validate(
                {
                    "slug": f"speaker-{index}",
                    "name": f"Speaker {index} {_text(rng, rng.choice(LANGUAGES), 1)}",
                    "country": rng.choice(countries),
                    "timezone": "Europe/London",
                    "bio": {lang: _text(rng, lang, 40) for lang in LANGUAGES},
                }
            ),
        )
    zone = get_zone("Europe/London")
    per_stream_day = -(-sessions // (streams * days))  # slots per stream and day
    minutes = max(30, (14 * 60) // per_stream_day)
    created = 0
    for day in range(days):
        for stream in range(streams):
            for slot in range(per_stream_day):
                if created == sessions:
                    break
                start = datetime.combine(first_day + timedelta(days=day), datetime.min.time(), zone) + timedelta(
                    hours=8, minutes=slot * minutes
                )
                chosen = rng.sample(range(speakers), 3)
                await SessionService(db).create(
                    conference,
                    SessionCreate.model_validate(
                        {
                            "slug": f"session-{created}",
                            "title": {lang: _text(rng, lang, 7) for lang in LANGUAGES},
                            "abstract": {lang: _text(rng, lang, 80) for lang in LANGUAGES},
                            "track": f"track-{created % 4}",
                            "stream": f"stream-{stream}",
                            "starts_at": start.isoformat(),
                            "ends_at": (start + timedelta(minutes=minutes - 5)).isoformat(),
                            "status": "cancelled" if created % 37 == 0 else "confirmed",
                            "speakers": [{"speaker": f"speaker-{i}"} for i in chosen],
                        }
                    ),
                )
                created += 1
    return conference


async def main(settings: Settings, sessions: int) -> None:
    await migrate.upgrade(settings)
    async with unit_of_work(settings) as db:
        await create_large_conference(db, sessions=sessions)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=200)
    arguments = parser.parse_args()
    asyncio.run(main(Settings(), arguments.sessions))
