"""Time building the large conference's public files, uncached (p50 and p95 of N runs).

    python -m benchmarks.render_times [--runs 30]

Loads the programme from $CONFMAN_DATABASE_URL (generating the benchmark conference
if missing) through one engine, as a server worker does, then times the read model's
database load, each builder, and the issue's target: loading and building
``programme.ics`` from cold caches, under one timer.

"Cold" clears everything a render caches: the serialized events, the VTIMEZONE, the CLDR
country names and the gettext catalogues. What stays warm is what a worker pays once in
its life (imports, Babel's CLDR files, SQLAlchemy's compiled statements, the pooled
connection); the last row shows that first-request cost of a new engine on its own.

Besides wall-clock p50/p95 it prints the p50 of the process's CPU time (all its threads,
so aiosqlite's included; not the PostgreSQL server's): on a machine shared with other
work, wall time swings with the neighbours' load and CPU time much less.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from benchmarks.http_load import prepare
from confman.calendar import ical
from confman.calendar.ical import build_calendar
from confman.db.engine import create_engine, read_only_transactions
from confman.lib.countries import country_name
from confman.lib.i18n import translations
from confman.published.model import PublishedProgramme, load_published_programme
from confman.schedule.frab import build_schedule_json, build_schedule_xml
from confman.settings import Settings

SLUG = "bench-2027"


class Stopwatch:
    """Wall-clock and CPU milliseconds of each run."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    @contextmanager
    def run(self) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.wall.append((time.perf_counter() - wall) * 1000)
        self.cpu.append((time.process_time() - cpu) * 1000)

    def figures(self) -> tuple[float, float, float]:
        """Wall p50, wall p95, CPU p50."""
        wall = sorted(self.wall)
        return statistics.median(wall), wall[int(0.95 * (len(wall) - 1))], statistics.median(self.cpu)


def timed(work: Callable[[], Any], runs: int) -> tuple[float, float, float]:
    watch = Stopwatch()
    for _ in range(runs):
        with watch.run():
            work()
    return watch.figures()


def clear_render_caches() -> None:
    ical._EVENT_CACHE.clear()
    ical._vtimezone.cache_clear()
    country_name.cache_clear()
    translations.cache_clear()


async def load(engine: AsyncEngine, watch: Stopwatch | None = None) -> PublishedProgramme:
    """The programme as a GET request loads it (its own session, a pooled connection)."""
    async with async_sessionmaker(engine, expire_on_commit=False)() as db:
        timing: AbstractContextManager[None] = watch.run() if watch else nullcontext()
        with timing:
            programme = await load_published_programme(db, SLUG)
    assert programme is not None, f"no published conference {SLUG}"
    return programme


async def main(runs: int) -> None:
    default = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    settings = Settings(
        database_url=os.environ.get("CONFMAN_DATABASE_URL", default), base_url="https://confman.example"
    )
    await prepare(settings)
    base = settings.base_url
    source_url = f"{base}/{SLUG}/programme.ics"

    def ics(programme: PublishedProgramme) -> bytes:
        return build_calendar(
            programme.conference, programme.sessions, base_url=base, name="bench", source_url=source_url
        )

    loads, totals, first_loads = Stopwatch(), Stopwatch(), Stopwatch()
    with read_only_transactions():  # GET requests begin deferred on SQLite
        engine = create_engine(settings)
        try:
            programme = await load(engine)  # connect and compile once, as a worker's first request does
            for _ in range(runs):
                await load(engine, loads)
            for _ in range(runs):
                clear_render_caches()
                with totals.run():
                    ics(await load(engine))
        finally:
            await engine.dispose()
        for _ in range(min(runs, 10)):
            fresh = create_engine(settings)
            try:
                await load(fresh, first_loads)
            finally:
                await fresh.dispose()

    sessions = programme.sessions

    def ics_cold() -> bytes:
        clear_render_caches()
        return ics(programme)

    def ics_after_one_change() -> bytes:
        sessions[0].revision += 1  # as record_session_change does; only this event is rebuilt
        return ics(programme)

    rows = [
        ("load programme (read model: 6 Core queries)", loads.figures()),
        ("build programme.ics, cold (no event, VTIMEZONE, country name or catalogue cached)", timed(ics_cold, runs)),
        ("**load + build programme.ics, cold** (one timer)", totals.figures()),
        ("build programme.ics after one session changed", timed(ics_after_one_change, runs)),
        (
            "build schedule.json",
            timed(
                lambda: json.dumps(build_schedule_json(programme, base_url=base, version="1"), ensure_ascii=False), runs
            ),
        ),
        ("build schedule.xml", timed(lambda: build_schedule_xml(programme, base_url=base, version="1"), runs)),
        ("load programme, new engine (connect + compile: a worker's first request)", first_loads.figures()),
    ]

    print(f"{len(sessions)} public sessions, database {settings.database_url.split('://')[0]}, {runs} runs")
    print("| step | p50 ms | p95 ms | CPU p50 ms |")
    print("|---|---:|---:|---:|")
    for name, (p50, p95, cpu) in rows:
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {cpu:.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    asyncio.run(main(parser.parse_args().runs))
