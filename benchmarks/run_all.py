"""Run every benchmark, each beside its bare endpoint, and write the figures into benchmarks/README.md.

    python -m benchmarks.run_all            # about 15 minutes on 2 cores
    python -m benchmarks.run_all --quick    # shorter runs, for a look (about 8 minutes)
    python -m benchmarks.run_all --only http_load --only surge

Each benchmark runs as its own process, one after another, and prints Markdown; this writes
their output, the load average before each and the commit measured between the markers
``<!-- run_all:start -->`` and ``<!-- run_all:end -->`` of benchmarks/README.md (replacing
what a previous run wrote there). The HTTP ones put the bare Litestar endpoints (``GET
/_bench/bare``, ``POST /_bench/insert``) in the same run and server, so read their shares,
not their absolute figures: the machine is shared. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

README = Path(__file__).with_name("README.md")
START, END = "<!-- run_all:start -->", "<!-- run_all:end -->"
PAGES = ["/bench-2027/programme/", "/bench-2027/", "/bench-2027/sessions/session-3/"]
FEEDS = ["/bench-2027/programme.ics", "/bench-2027/schedule.json"]
API = [
    "/api/v1/conferences/bench-2027/sessions",
    "/api/v1/conferences/bench-2027/speakers",
    "/api/v1/conferences/bench-2027",
    "/api/v1/conferences/bench-2027/sessions/session-3",
]


def benchmarks(quick: bool) -> list[tuple[str, str, list[str]]]:
    """(name, title, arguments of ``python -m benchmarks.<name>``)."""
    seconds = "5" if quick else "10"
    runs = "10" if quick else "30"
    http = ["--workers", "2", "--seconds", seconds, "--connections", "64"]
    return [
        ("render_times", "Rendering, uncached, in process", ["--runs", runs]),
        ("page_times", "Public pages in process: a page-cache miss and the cache", ["--runs", runs]),
        ("http_load", "Cached pages and feeds over HTTP, uvicorn, no gzip", [*http, *PAGES, *FEEDS]),
        ("http_load", "Cached pages and feeds over HTTP, uvicorn, gzip", [*http, "--gzip", *PAGES, *FEEDS]),
        (
            "http_load",
            "Programme page on a page-cache miss over HTTP (each request another zone and language), gzip",
            [*http, "--gzip", "--viewer-misses", PAGES[0]],
        ),
        ("http_load", "Public API reads over HTTP, uvicorn, gzip", [*http, "--gzip", *API]),
        ("http_load", "Public API reads over HTTP, uvicorn, no gzip", [*http, *API]),
        (
            "http_load",
            "Cached pages over HTTP, granian, no gzip",
            [*http, "--server", "granian", *PAGES[:1], *FEEDS[:1]],
        ),
        ("http_load", "Cached pages over HTTP, granian, gzip", [*http, "--server", "granian", "--gzip", *PAGES[:1]]),
        (
            "registration_load",
            "Registrations on PostgreSQL, 64 clients",
            ["--database", "postgresql", "--workers", "2", "--seconds", "10" if quick else "30", "--connections", "64"],
        ),
        (
            "surge",
            "Surge: ten attempts a seat, as fast as 64 clients go, with a real mail worker",
            ["--seats", "200" if quick else "500", "--attempts", "2000" if quick else "5000"],
        ),
        (
            "schedule_builder",
            "Schedule builder (organisers)",
            ["--database", "both", "--runs", "10" if quick else "20"],
        ),
        (
            "audience",
            "Audience pages with 10,000 registrations",
            ["--database", "both", "--runs", "5" if quick else "10"],
        ),
        ("message_send", "A message to 10,000 attendees", ["--database", "both", "--runs", "1" if quick else "3"]),
    ]


def markdown(output: str) -> str:
    """The scripts' output, with a blank line before and after each table so that it renders."""
    lines: list[str] = []
    for line in output.splitlines():
        if lines and lines[-1] and line.startswith("|") != lines[-1].startswith("|"):
            lines.append("")
        lines.append(line)
    return "\n".join(lines)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True, text=True, check=False, cwd=README.parent,
    ).stdout.strip() or "unknown"  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", action="append", default=[], help="a benchmark's module name (repeatable)")
    arguments = parser.parse_args()
    started = datetime.now(UTC)
    sections = [
        f"Written by `python -m benchmarks.run_all{' --quick' if arguments.quick else ''}` on "
        f"{started:%Y-%m-%d %H:%M} UTC, commit `{commit()}`, {os.cpu_count()} cores. Load average "
        "(1, 5, 15 min) before each benchmark, as the machine is shared."
    ]
    for name, title, args in benchmarks(arguments.quick):
        if arguments.only and name not in arguments.only:
            continue
        load = load_average()
        print(f"== {title} (load {load})", file=sys.stderr)
        began = time.monotonic()
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-m", f"benchmarks.{name}", *args], capture_output=True, text=True, check=False
        )
        output = markdown(done.stdout.strip() or done.stderr.strip()[-2000:])
        print(output, file=sys.stderr)
        sections.append(
            f"#### {title}\n\n`python -m benchmarks.{name} {' '.join(args)}` — load {load}, "
            f"{time.monotonic() - began:.0f} s{'' if done.returncode == 0 else f', FAILED ({done.returncode})'}\n\n"
            + output
        )
    text = README.read_text()
    block = START + "\n\n" + "\n\n".join(sections) + "\n\n" + END
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip() + "\n\n## Latest full run\n\n" + block + "\n"
    README.write_text(text)
    print(f"written to {README}", file=sys.stderr)


if __name__ == "__main__":
    main()
