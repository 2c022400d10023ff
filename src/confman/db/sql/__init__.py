"""The database's functions, one ``.sql`` file per function and version.

``<function>.v<version>.sql`` holds one ``CREATE OR REPLACE FUNCTION`` statement. A migration
loads the versions it introduced (never "the latest"), so replaying an old migration builds the
old function, and a downgrade restores the version before. A file, once a migration loads it,
never changes: a new behaviour is a new version and a new migration.

Besides the rule itself, the files define what PostgreSQL tells the application at COMMIT
(``confman_place_on_commit.v3``): the names below are that contract.
"""

from __future__ import annotations

from importlib.resources import files

# The notice a placement sends the committing client; its DETAIL is JSON:
# {"registration": <id>, "status": "confirmed" | "waitlisted", "position": <n> | null}.
PLACED_NOTICE = "confman.placed"
# The SQLSTATE of "the conference is full and has no waiting list" (class CF: confman's own).
FULL_SQLSTATE = "CF001"


def load_sql(name: str, version: int) -> str:
    """The statement that builds version ``version`` of the function ``name``."""
    return files(__package__).joinpath(f"{name}.v{version}.sql").read_text(encoding="utf-8")
