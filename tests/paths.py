"""Files the tests read from beside the repository."""

from __future__ import annotations

from pathlib import Path


def _schemas_dir() -> Path:
    """The nearest ``shared/schemas`` above the checkout: /work/main and /work/wt/<name> both find /work/shared."""
    checkout = Path(__file__).resolve().parents[1]
    for parent in checkout.parents:
        if (parent / "shared" / "schemas").is_dir():
            return parent / "shared" / "schemas"
    return checkout.parent / "shared" / "schemas"


# The C3VOC schedule schemas and examples (shared/schemas/README.md).
SCHEMAS = _schemas_dir()
