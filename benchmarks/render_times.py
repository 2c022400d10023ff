"""Time building the large conference's public files, uncached (p50 and p95 of N runs).

    python -m benchmarks.render_times [--runs 30]

Loads the programme from $CONFMAN_DATABASE_URL (generating the benchmark conference
if missing), then times the database load and each builder separately.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.http_load import prepare
from confman.calendar import ical
from confman.calendar.ical import build_calendar
from confman.cli import unit_of_work
from confman.programme.feeds import load_public_programme
from confman.schedule.frab import build_schedule_json, build_schedule_xml
from confman.settings import Settings


def timed(work: Callable[[], Any], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


async def main(runs: int) -> None:
    default = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    settings = Settings(
        database_url=os.environ.get("CONFMAN_DATABASE_URL", default), base_url="https://confman.example"
    )
    await prepare(settings)
    loads = []
    for _ in range(runs):
        async with unit_of_work(settings) as db:
            start = time.perf_counter()
            programme = await load_public_programme(db, "bench-2027")
            loads.append((time.perf_counter() - start) * 1000)
    loads.sort()
    conference, sessions = programme.conference, programme.sessions
    print(f"{len(sessions)} public sessions, database {settings.database_url.split('://')[0]}, {runs} runs")
    print("| step | p50 ms | p95 ms |")
    print("|---|---:|---:|")
    print(f"| load programme (3 queries) | {statistics.median(loads):.1f} | {loads[int(0.95 * (runs - 1))]:.1f} |")
    base = settings.base_url

    def ics() -> bytes:
        return build_calendar(
            conference, sessions, base_url=base, name="bench", source_url=base + "/bench-2027/programme.ics"
        )

    def ics_after_one_change() -> bytes:
        sessions[0].revision += 1  # as record_session_change does; only this event is rebuilt
        return ics()

    def ics_cold() -> bytes:
        ical._EVENT_CACHE.clear()  # every event rendered afresh, as after a restart
        return ics()

    steps: dict[str, Callable[[], Any]] = {
        "build programme.ics, cold (no event cached)": ics_cold,
        "build programme.ics after one session changed": ics_after_one_change,
        "build schedule.json": lambda: json.dumps(
            build_schedule_json(conference, sessions, base_url=base, version="1"), ensure_ascii=False
        ),
        "build schedule.xml": lambda: build_schedule_xml(conference, sessions, base_url=base, version="1"),
    }
    for name, work in steps.items():
        p50, p95 = timed(work, runs)
        print(f"| {name} | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    asyncio.run(main(parser.parse_args().runs))
