"""Time the public pages of the large conference without the page cache (p50 and p95 of N runs).

    python -m benchmarks.page_times [--runs 30]

Each request goes through the real app in-process (routing, viewer, validators, render)
with a time zone not asked for before, so no rendered page can come from the cache: what
is measured is what a viewer gets on a miss. The programme's read model is loaded once
per version (as in production); its load is timed on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from litestar.testing import AsyncTestClient

from benchmarks.http_load import prepare
from confman.app import create_app
from confman.cli import unit_of_work
from confman.lib.timezones import get_zone, known_zones
from confman.published.model import load_published_programme
from confman.settings import Settings

PAGES = {
    "programme page (200 sessions)": "/bench-2027/programme/",
    "conference page": "/bench-2027/",
    "session page": "/bench-2027/sessions/session-3/",
    "speakers page (300 speakers)": "/bench-2027/speakers/",
}


def summary(samples: list[float]) -> tuple[float, float]:
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


async def main(runs: int) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    default = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    settings = Settings(
        database_url=os.environ.get("CONFMAN_DATABASE_URL", default),
        base_url="https://confman.example",
        programme_cache_seconds=3600,
    )
    await prepare(settings)
    loads = []
    for _ in range(runs):
        async with unit_of_work(settings) as db:
            start = time.perf_counter()
            programme = await load_published_programme(db, "bench-2027")
            loads.append((time.perf_counter() - start) * 1000)
    assert programme is not None
    print(f"{len(programme.sessions)} sessions, {len(programme.speakers)} speakers, "
          f"database {settings.database_url.split('://')[0]}, {runs} runs")  # fmt: skip
    print("| step | p50 ms | p95 ms |")
    print("|---|---:|---:|")
    print("| load the read model (6 queries) | {:.1f} | {:.1f} |".format(*summary(loads)))
    # Zone data is read from disk once per zone and process; warm it, as a running worker has.
    for zone in known_zones():
        datetime(2027, 1, 1, tzinfo=UTC).astimezone(get_zone(zone))
    zones = iter(sorted(known_zones()))
    async with AsyncTestClient(create_app(settings), base_url="https://confman.example") as client:
        assert (await client.get(PAGES["programme page (200 sessions)"])).status_code == 200  # loads the model
        for name, path in PAGES.items():
            samples = []
            for index in range(runs):
                language = ("en", "ru", "es", "fr")[index % 4]
                start = time.perf_counter()
                response = await client.get(path, params={"tz": next(zones), "lang": language})
                samples.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.text[:200]
            # What a browser downloads: the same answer with gzip, as the server compresses it.
            zipped = await client.get(
                path, params={"tz": "Europe/London", "lang": "en"}, headers={"accept-encoding": "gzip"}
            )
            assert zipped.headers.get("content-encoding") == "gzip", zipped.headers
            print(
                "| {} uncached, {:.0f} KB ({:.0f} KB gzipped) | {:.1f} | {:.1f} |".format(
                    name, len(response.content) / 1024, zipped.num_bytes_downloaded / 1024, *summary(samples)
                )
            )
            start = time.perf_counter()
            for _ in range(runs):
                await client.get(path, params={"tz": "Europe/London", "lang": "en"})
            print(f"| {name} from the page cache | {(time.perf_counter() - start) * 1000 / runs:.2f} | – |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    asyncio.run(main(parser.parse_args().runs))
