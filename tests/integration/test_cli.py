"""The `confman` command against real databases, and `confman demo` as a real server."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

from confman.app import create_app
from confman.cli import main
from confman.demo.data import demo_date
from confman.settings import Settings
from tests.factories import truncate_all
from tests.paths import SCHEMAS

DEMO_SPEAKERS = [
    ("Alex Callinicos", "GB"),
    ("Amy Leather", "GB"),
    ("Erima Dall", "AU"),
    ("Gyekye Tanoh", "GH"),
    ("John Molyneux", "IE"),
    ("Martin Empson", "GB"),
    ("Michelle Robidoux", "CA"),
    ("Sabrina Fernandez", "BR"),
    ("Özdeş Özbay", "TR"),
]


@pytest.fixture
def empty_database(database_url: str) -> str:
    asyncio.run(truncate_all(Settings(database_url=database_url)))
    return database_url


def invoke(database_url: str, *args: str) -> str:
    result = CliRunner().invoke(main, list(args), env={"CONFMAN_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    return result.output


def test_the_demos_printed_login_signs_in_at_orga_login(empty_database: str) -> None:
    output = invoke(empty_database, "demo", "--no-serve")
    assert "organiser pages:   http://127.0.0.1:8000/orga/login" in output
    email, password = re.search(r"organiser login:   (\S+) / (\S+)", output).groups()  # type: ignore[union-attr]
    with TestClient(create_app(Settings(database_url=empty_database))) as client:
        form = client.get("/orga/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        answer = client.post(
            "/orga/login", data={"email": email, "password": password, "_csrf_token": token}, follow_redirects=False
        )
        assert answer.status_code == 303
        home = client.get("/orga/")
        assert "/orga/climate-2027/" in home.text
    again = invoke(empty_database, "demo", "--no-serve")
    assert "password shown on the first run" in again


def test_demo_loads_the_announced_conference(empty_database: str) -> None:
    output = invoke(empty_database, "demo", "--no-serve")
    invoke(empty_database, "demo", "--no-serve")  # a second start adds nothing

    assert "organiser token:   cm_" in output
    with TestClient(create_app(Settings(database_url=empty_database))) as client:
        conference = client.get("/api/v1/conferences").json()
        speakers = client.get("/api/v1/conferences/climate-2027/speakers").json()
        sessions = client.get("/api/v1/conferences/climate-2027/sessions").json()
        streams = client.get("/api/v1/conferences/climate-2027/streams").text

    assert len(conference) == 1
    assert conference[0]["title"]["en"] == "The Revolutionary Alternative to Capitalism's Climate Disaster"
    assert sorted(conference[0]["title"]) == ["en", "es", "fr", "ru"]
    assert sorted(conference[0]["description"]) == ["en", "es", "fr", "ru"]
    assert conference[0]["timezone"] == "Europe/London"
    assert conference[0]["status"] == "published"
    assert conference[0]["starts_on"] == demo_date(date.today()).isoformat()
    assert sorted((s["name"], s["country"]) for s in speakers) == DEMO_SPEAKERS
    titles = [s["title"]["en"] for s in sessions]
    assert "The Limits of COP26 and Capitalist Solutions" in titles
    assert any(title.startswith("Marxism, ") for title in titles)
    # Every listed speaker has a slot, every session is in an online stream.
    assert {s["slug"] for s in speakers} == {p["slug"] for s in sessions for p in s["speakers"]}
    assert all(s["stream"] in {"main-hall", "room-2"} for s in sessions)
    assert "example.org/meet" not in streams


def test_user_and_token_commands_give_a_working_token(empty_database: str) -> None:
    invoke(empty_database, "user", "create", "--email", "Ada@Example.org", "--name", "Ada", "--password", "x" * 12)
    token = invoke(empty_database, "token", "create", "--email", "ada@example.org").strip()

    with TestClient(create_app(Settings(database_url=empty_database))) as client:
        answer = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {token}"})

    assert answer.status_code == 200
    assert [t["name"] for t in answer.json()] == ["cli"]


def test_token_create_for_unknown_account_fails_cleanly(empty_database: str) -> None:
    result = CliRunner().invoke(
        main, ["token", "create", "--email", "nobody@example.org"], env={"CONFMAN_DATABASE_URL": empty_database}
    )
    assert result.exit_code == 1
    assert "no organiser account nobody@example.org" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_demo_command_serves_the_conference_over_http(tmp_path: Path, database_url: str) -> None:
    # The README's first command, as a real server process on its own SQLite file.
    port = _free_port()
    env = {
        **os.environ,
        "CONFMAN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.sqlite3'}",
        # Never the checkout's mailbox/, which another xdist worker's demo could share.
        "CONFMAN_MAILBOX_DIR": str(tmp_path / "mailbox"),
    }
    log = tmp_path / "demo.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "confman", "demo", "--port", str(port)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                home = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "demo server did not start in 60 s"
                time.sleep(0.2)
        speakers = httpx.get(f"http://127.0.0.1:{port}/api/v1/conferences/climate-2027/speakers", timeout=5)
    finally:
        server.terminate()
        server.wait(timeout=15)

    assert home.status_code == 200
    assert "The Revolutionary Alternative to Capitalism&#39;s Climate Disaster" in home.text
    assert sorted((s["name"], s["country"]) for s in speakers.json()) == DEMO_SPEAKERS


def test_export_then_import_into_empty_database_is_lossless(empty_database: str, tmp_path: Path) -> None:
    invoke(empty_database, "demo", "--no-serve")
    first = tmp_path / "first.json"
    invoke(empty_database, "export", "climate-2027", "-o", str(first))
    asyncio.run(truncate_all(Settings(database_url=empty_database)))

    invoke(empty_database, "user", "create", "--email", "ada@example.org", "--name", "Ada", "--password", "y" * 12)
    assert invoke(empty_database, "import", str(first), "--owner", "ada@example.org") == "imported climate-2027\n"
    second = invoke(empty_database, "export", "climate-2027")

    assert second == first.read_text(encoding="utf-8")
    assert "https://example.org/meet/climate-main-hall-4f9c2a" in second  # a full, private backup


def test_import_of_broken_file_names_the_path_and_writes_nothing(empty_database: str, tmp_path: Path) -> None:
    invoke(empty_database, "demo", "--no-serve")
    exported = tmp_path / "demo.json"
    invoke(empty_database, "export", "climate-2027", "-o", str(exported))
    asyncio.run(truncate_all(Settings(database_url=empty_database)))
    broken = exported.read_text(encoding="utf-8").replace('"speaker": "amy-leather"', '"speaker": "nobody"', 1)
    exported.write_text(broken, encoding="utf-8")

    result = CliRunner().invoke(main, ["import", str(exported)], env={"CONFMAN_DATABASE_URL": empty_database})

    assert result.exit_code == 1
    assert "speakers[1].speaker: no speaker 'nobody' in this file" in result.output
    with TestClient(create_app(Settings(database_url=empty_database))) as client:
        assert client.get("/api/v1/conferences").json() == []


def test_import_frab_schedule_from_pretalx_into_existing_conference(empty_database: str, tmp_path: Path) -> None:
    example = SCHEMAS / "examples" / "pretalx-democon.json"
    with TestClient(create_app(Settings(database_url=empty_database))) as client:
        invoke(empty_database, "user", "create", "--email", "ada@example.org", "--name", "Ada", "--password", "z" * 12)
        token = invoke(empty_database, "token", "create", "--email", "ada@example.org").strip()
        schedule = json.loads(example.read_text())["schedule"]["conference"]
        days = [day["date"] for day in schedule["days"]]
        events = sum(len(room) for day in schedule["days"] for room in day["rooms"].values())
        created = client.post(
            "/api/v1/conferences",
            json={
                "slug": "democon",
                "title": {"en": "DemoCon"},
                "timezone": "Europe/Berlin",
                "default_language": "en",
                "starts_on": days[0],
                "ends_on": days[-1],
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 201, created.text

        output = invoke(empty_database, "import", "--format", "frab", str(example), "--conference", "democon")
        sessions = client.get("/api/v1/conferences/democon/sessions", headers={"Authorization": f"Bearer {token}"})

    assert output == f"imported {events} sessions into democon\n"
    assert len(sessions.json()) == events


def test_the_live_demo_keeps_its_moved_programme_out_of_the_plain_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default database (./confman.sqlite3), as a newcomer runs it.
    monkeypatch.chdir(tmp_path)
    env: dict[str, str | None] = {"CONFMAN_DATABASE_URL": None, "CONFMAN_MAILBOX_DIR": str(tmp_path / "mailbox")}

    def demo(*args: str) -> str:
        result = CliRunner().invoke(main, ["demo", "--no-serve", *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    def first_token(output: str) -> str:
        return re.search(r"organiser token:   (\S+)", output).group(1)  # type: ignore[union-attr]

    first = demo()
    live = demo("--live")
    second = demo()

    assert "(database: sqlite+aiosqlite:///confman.sqlite3)" in first
    assert "(database: sqlite+aiosqlite:///confman-live.sqlite3)" in live
    plain = Settings(database_url="sqlite+aiosqlite:///confman.sqlite3")
    with TestClient(create_app(plain)) as client:
        sessions = client.get("/api/v1/conferences/climate-2027/sessions").json()
        # Still the announced date: the live demo moved its own copy to today.
        assert {s["starts_at"][:10] for s in sessions} == {demo_date(date.today()).isoformat()}
        # Each start revokes the token it printed before: one live demo token at a time.
        old, new = first_token(first), first_token(second)
        members = "/api/v1/conferences/climate-2027/members"
        assert client.get(members, headers={"Authorization": f"Bearer {old}"}).status_code == 401
        assert client.get(members, headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_run_with_workers_keeps_each_worker_through_a_start_on_a_busy_machine(tmp_path: Path) -> None:
    # Every core busy while two workers import and build the app: each must start once, not be
    # killed by the supervisor's health check and restarted (uvicorn's 5 s default did that).
    database = f"sqlite+aiosqlite:///{tmp_path / 'run.sqlite3'}"
    env = {**os.environ, "CONFMAN_DATABASE_URL": database, "CONFMAN_MAIL_WORKER_EMBEDDED": "false"}
    subprocess.run([sys.executable, "-m", "confman", "db", "upgrade"], env=env, check=True, capture_output=True)
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range((os.cpu_count() or 2) + 1)]
    port = _free_port()
    log = tmp_path / "run.log"
    try:
        with log.open("wb") as log_file:
            server = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "confman", "run", "--port", str(port), "--workers", "2"],
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
            try:
                deadline = time.monotonic() + 120
                answered = 0
                while answered < 20:
                    assert server.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, log.read_text()
                    try:
                        answered += (
                            httpx.get(f"http://127.0.0.1:{port}/api/v1/conferences", timeout=5).status_code == 200
                        )
                    except httpx.HTTPError:
                        time.sleep(0.2)
            finally:
                server.terminate()
                server.wait(30)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    output = log.read_text()
    assert output.count("Started server process") == 2, output
    assert "not ready in time" not in output
    assert "died" not in output


def test_import_frab_creates_the_conference_when_asked(empty_database: str) -> None:
    example = SCHEMAS / "examples" / "pretalx-democon.json"
    block = json.loads(example.read_text())["schedule"]["conference"]
    events = sum(len(room) for day in block["days"] for room in day["rooms"].values())
    invoke(empty_database, "user", "create", "--email", "ada@example.org", "--name", "Ada", "--password", "z" * 12)
    command = ["import", "--format", "frab", str(example), "--conference", "democon"]

    # Without --create, the error says what is missing and how to get it.
    refused = CliRunner().invoke(main, command, env={"CONFMAN_DATABASE_URL": empty_database})
    output = invoke(empty_database, *command, "--create", "--owner", "ada@example.org")

    assert refused.exit_code == 1
    assert "democon (add --create to make it from the file's conference block)" in refused.output
    assert output == f"created democon (a draft) and imported {events} sessions into democon\n"
    token = invoke(empty_database, "token", "create", "--email", "ada@example.org").strip()
    with TestClient(create_app(Settings(database_url=empty_database))) as client:
        conference = client.get("/api/v1/conferences/democon", headers={"Authorization": f"Bearer {token}"}).json()
        sessions = client.get("/api/v1/conferences/democon/sessions", headers={"Authorization": f"Bearer {token}"})
    assert conference["title"] == {conference["default_language"]: block["title"]}
    assert (conference["status"], conference["starts_on"]) == ("draft", block["days"][0]["date"])
    assert len(sessions.json()) == events


def test_run_with_granian_serves_every_worker_logs_no_token_and_stops_cleanly(tmp_path: Path) -> None:
    # `confman run --server granian`: the app's lifespan (the embedded mail worker) in each worker,
    # the access log with the private token cut out, and a clean exit on SIGTERM.
    database = f"sqlite+aiosqlite:///{tmp_path / 'run.sqlite3'}"
    env = {**os.environ, "CONFMAN_DATABASE_URL": database}
    subprocess.run([sys.executable, "-m", "confman", "db", "upgrade"], env=env, check=True, capture_output=True)
    port = _free_port()
    log = tmp_path / "run.log"
    secret = "m_Sx9kQ2vZp0aW3nE7rT5yU1iO8lK4jH6gF2dS0aP9qW"
    with log.open("wb") as log_file:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "confman", "run", "--server", "granian", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120
            answered = 0
            while answered < 20:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                try:
                    answered += httpx.get(f"http://127.0.0.1:{port}/api/v1/conferences", timeout=5).status_code == 200
                except httpx.HTTPError:
                    time.sleep(0.2)
            assert httpx.get(f"http://127.0.0.1:{port}/me/{secret}/", timeout=5).status_code == 404
            assert httpx.get(f"http://127.0.0.1:{port}/static/no-such-file.css", timeout=5).status_code == 404
        finally:
            server.terminate()
            status = server.wait(30)
    output = log.read_text()
    assert status == 0, output
    assert output.count("Spawning worker-") == 2, output
    assert "/me/[token]" in output
    assert secret not in output
    assert "Traceback" not in output
    assert "Unexpected exit" not in output
