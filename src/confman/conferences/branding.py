"""A conference's logo: an upload checked and re-encoded as speakers' photos are
(``lib/images``), kept as the conference's ``StoredFile`` with ``purpose = "logo"``, one at a
time. Its colours and embedding origins are plain values (``lib/branding``)."""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.conferences.versioning import record_programme_change
from confman.db.models import Conference, StoredFile
from confman.db.models.web import LOGO
from confman.lib.images import PreparedImage, prepare_image

# The logo ----------------------------------------------------------------------------------


def prepare_logo(data: bytes) -> PreparedImage:
    """The logo to keep from an upload, or ``FieldError("logo", code, …)`` (as speakers' photos)."""
    return prepare_image(data, LOGO)


async def logo_of(db: AsyncSession, conference: Conference) -> StoredFile | None:
    stored: StoredFile | None = await db.scalar(
        select(StoredFile).where(StoredFile.conference_id == conference.id, StoredFile.purpose == LOGO).limit(1)
    )
    return stored


async def set_logo(db: AsyncSession, conference: Conference, logo: PreparedImage | bytes) -> StoredFile:
    """Give ``conference`` the logo (an upload is prepared first: refused before anything is written)."""
    prepared = logo if isinstance(logo, PreparedImage) else prepare_logo(logo)
    await db.execute(delete(StoredFile).where(StoredFile.conference_id == conference.id, StoredFile.purpose == LOGO))
    stored = StoredFile(
        conference_id=conference.id,
        content_type=prepared.content_type,
        data=prepared.data,
        width=prepared.width,
        height=prepared.height,
        sha256=hashlib.sha256(prepared.data).hexdigest(),
        purpose=LOGO,
    )
    db.add(stored)
    await db.flush()
    await record_programme_change(db, conference)
    return stored


async def remove_logo(db: AsyncSession, conference: Conference) -> bool:
    """Remove the logo; False if there was none."""
    result = await db.execute(
        delete(StoredFile).where(StoredFile.conference_id == conference.id, StoredFile.purpose == LOGO)
    )
    if not getattr(result, "rowcount", 0):
        return False
    await record_programme_change(db, conference)
    return True
