"""registration/ in parts: which part may import which, the size of every module, and the
submit's bounded memory of conferences."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path

import confman
from confman.db.models import ConferenceStatus
from confman.registration.rules import DEFAULTS, SubmitTarget
from confman.registration.submit import SubmitTargets

SRC = Path(confman.__file__).parent
REGISTRATION = SRC / "registration"


def confman_imports(module: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("confman"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("confman"))
    return found


def test_the_parts_of_registration_import_one_way() -> None:
    """rules <- queries <- notices <- placement <- submit <- services: no part imports a later one."""
    order = ["rules", "queries", "notices", "placement", "submit", "services"]
    for index, part in enumerate(order):
        later = {f"confman.registration.{name}" for name in order[index + 1 :]}
        assert confman_imports(REGISTRATION / f"{part}.py") & later == set(), part


def test_no_module_in_src_is_over_600_lines() -> None:
    sizes = {str(path.relative_to(SRC)): len(path.read_text().splitlines()) for path in SRC.rglob("*.py")}
    assert {path: lines for path, lines in sizes.items() if lines > 600} == {}


def target(slug: str) -> SubmitTarget:
    return SubmitTarget(
        id=1, slug=slug, status=ConferenceStatus.PUBLISHED, timezone="UTC", ends_on=date(2027, 11, 14),
        languages=["en"], updated_at=datetime(2026, 12, 3, tzinfo=UTC),
    )  # fmt: skip


def test_submit_targets_forget_the_oldest_beyond_their_size() -> None:
    targets = SubmitTargets(size=2)

    for slug in ("a", "b", "c"):
        targets.remember(slug, target(slug), DEFAULTS)

    assert (len(targets), targets.get("a"), targets.get("c")) == (2, None, (target("c"), DEFAULTS))
