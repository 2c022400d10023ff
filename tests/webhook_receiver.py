"""A real HTTP receiver for webhook tests: http.server in a thread on 127.0.0.1, recording
every request (headers, body, what it answered) in arrival order."""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    """``answer(received_so_far_for_this_id, path) -> status``; ``delay``: up to that many seconds."""

    port: int = 0
    answer: Callable[[int, str], int] = lambda seen, path: 200
    delay: float = 0.0
    # Every answer waits at least this long (an endpoint too slow to answer).
    delay_at_least: float = 0.0
    big_body: bool = False
    requests: list[Received] = field(default_factory=list)
    # Set as soon as a request has arrived (before any delay): a delivery in flight.
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def __post_init__(self) -> None:
        if not self.port:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self.port = probe.getsockname()[1]

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                receiver.arrived.set()
                if receiver.delay_at_least:
                    time.sleep(receiver.delay_at_least)
                if receiver.delay:
                    time.sleep(random.uniform(0, receiver.delay))  # noqa: S311 - test jitter
                headers = {name.lower(): value for name, value in self.headers.items()}
                with receiver.lock:
                    seen = sum(1 for r in receiver.requests if r.headers.get("webhook-id") == headers.get("webhook-id"))
                    status = receiver.answer(seen, self.path)
                    receiver.requests.append(Received(self.path, headers, body, status))
                payload = b"x" * (100 * 1024) if receiver.big_body else b"ok"
                self.send_response(status)
                if 300 <= status < 400:  # a redirect to another path of this receiver
                    self.send_header("location", receiver.url("/elsewhere"))
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                # The deliverer may have given up waiting (a timeout test).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def successes(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if 200 <= r.status < 300]
