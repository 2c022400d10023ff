"""Prometheus metrics of the process: requests and latency by route template, cache lookups.

The instruments are module-level (the registry names each once, and tests build many apps).
Under ``confman run`` every worker writes its values to files in ``PROMETHEUS_MULTIPROC_DIR``
(prometheus-client's multiprocess mode), and the metrics server (``serve_metrics``, on
``CONFMAN_METRICS_PORT``, in the supervising process) adds them up: one scrape sees every
worker. The figures that come from the database are a collector of their own (``ops/gauges.py``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess, values
from prometheus_client.exposition import start_http_server
from prometheus_client.registry import REGISTRY, Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "confman_http_requests_total",
    "HTTP requests answered, by route template (never the raw path), method and status class",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "confman_http_request_duration_seconds",
    "Time from the request to the last byte of its answer, by route template and method",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CACHE_LOOKUPS = Counter(
    "confman_cache_lookups_total",
    "Lookups in the per-worker caches: response (the micro-cache of whole public answers), page "
    "(rendered programme pages, feeds and exports); result hit or miss",
    ["cache", "result"],
)


def count_lookup(cache: str, hit: bool) -> None:
    CACHE_LOOKUPS.labels(cache, "hit" if hit else "miss").inc()


def status_class(status: int) -> str:
    return f"{status // 100}xx"


class RequestMetricsMiddleware:
    """Counts and times every routed HTTP request under its route template (``/api/v1/conferences/{conf}``),
    so private tokens in paths never become label values and the series stay few."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        except HTTPException as error:
            # Raised through here (a rate limit's 429, a 404): the app's handler answers it later.
            status[0] = error.status_code
            raise
        finally:
            route = scope.get("path_template") or "unrouted"
            method = scope["method"]
            REQUESTS.labels(route, method, status_class(status[0])).inc()
            LATENCY.labels(route, method).observe(time.perf_counter() - started)


def prepare_multiprocess_dir() -> tuple[Path, bool]:
    """The folder where this server's worker processes write their values, emptied: the one
    ``PROMETHEUS_MULTIPROC_DIR`` names, else a new temporary one (``True``: ours to remove).

    Set in the environment before the workers start, so each of them writes there; this
    process's own instruments were made before, so they are switched over too.
    """
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        owned = False
    else:
        folder = Path(tempfile.mkdtemp(prefix="confman-metrics-"))
        os.environ[MULTIPROC_ENV] = str(folder)
        owned = True
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    return folder, owned


def remove_multiprocess_dir(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def process_registry(*, multiprocess_workers: bool, extra: Iterable[Collector] = ()) -> CollectorRegistry:
    """What a scrape reads: every worker's files (multiprocess), else this process's registry;
    plus ``extra`` collectors (the database gauges)."""
    if multiprocess_workers:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
    for collector in extra:
        registry.register(collector)
    return registry


class _Forward(Collector):
    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterable[Any]:
        return self.source.collect()


def serve_metrics(host: str, port: int, registry: CollectorRegistry) -> threading.Thread:
    """The scrape endpoint (any path answers; Prometheus asks ``/metrics``) on its own port,
    in a daemon thread of the calling process."""
    _, thread = start_http_server(port, addr=host, registry=registry)
    return thread
