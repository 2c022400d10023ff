"""The one declarative base every confman model derives from.

advanced-alchemy's ``IdentityAuditBase`` gives an identity primary key, UTC-aware
``created_at``/``updated_at`` columns and a metadata object with named constraints,
so Alembic migrations get stable constraint names on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from advanced_alchemy.base import IdentityAuditBase
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB

Base = IdentityAuditBase

__all__ = ["GUID", "Base", "DateTimeUTC", "JsonB"]
