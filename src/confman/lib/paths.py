"""Where the project's non-Python folders are (the repo root in a source checkout)."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]
TEMPLATES_DIR = PROJECT_ROOT / "templates"
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
# gettext catalogues ship inside the package, so an installed confman has its translations.
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
