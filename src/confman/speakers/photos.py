"""Speakers' photos: an upload checked by its content, resized, stripped of metadata and kept
in the database (``StoredFile``) so that every app server can serve it.

Nothing of the uploaded file is kept but its pixels: the image is decoded, turned upright
by its EXIF orientation, made at most 800×800 and encoded again, which leaves EXIF (GPS),
XMP, ICC and comments behind. Refusals are ``FieldError("photo", code, …)`` with the codes
below; pages name them in the organiser's language.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.conferences.versioning import record_programme_change
from confman.db.models import Conference, Speaker, StoredFile
from confman.lib import images

MAX_UPLOAD_BYTES = images.MAX_UPLOAD_BYTES
MAX_SIDE = images.MAX_SIDE

PHOTO_TOO_LARGE = f"photo_{images.TOO_LARGE}"
PHOTO_NOT_AN_IMAGE = f"photo_{images.NOT_AN_IMAGE}"
PHOTO_TOO_MANY_PIXELS = f"photo_{images.TOO_MANY_PIXELS}"
PHOTO_EMPTY = f"photo_{images.EMPTY}"

PreparedPhoto = images.PreparedImage


def prepare_photo(data: bytes) -> PreparedPhoto:
    """The photo to keep from an upload, or ``FieldError("photo", code, …)`` (``lib/images``)."""
    return images.prepare_image(data, "photo")


async def set_photo(
    db: AsyncSession, conference: Conference, speaker: Speaker, photo: PreparedPhoto | bytes
) -> StoredFile:
    """Give ``speaker`` the photo (an upload is prepared first: refused before anything is written)."""
    prepared = photo if isinstance(photo, PreparedPhoto) else prepare_photo(photo)
    old = speaker.photo_id
    stored = StoredFile(
        conference_id=conference.id,
        content_type=prepared.content_type,
        data=prepared.data,
        width=prepared.width,
        height=prepared.height,
        sha256=hashlib.sha256(prepared.data).hexdigest(),
    )
    db.add(stored)
    await db.flush()
    speaker.photo_id = stored.id
    await db.flush()
    if old is not None:
        await db.execute(delete(StoredFile).where(StoredFile.id == old))
    # Public pages show the photo: they change with it.
    await record_programme_change(db, conference)
    return stored


async def remove_photo(db: AsyncSession, conference: Conference, speaker: Speaker) -> None:
    old = speaker.photo_id
    if old is None:
        return
    speaker.photo_id = None
    await db.flush()
    await db.execute(delete(StoredFile).where(StoredFile.id == old))
    await record_programme_change(db, conference)


async def photo_versions(db: AsyncSession, conference: Conference) -> dict[int, str]:
    """Speaker id → their photo's SHA-256, for the speakers who have one (one query)."""
    rows = await db.execute(
        select(Speaker.id, StoredFile.sha256)
        .join(StoredFile, StoredFile.id == Speaker.photo_id)
        .where(Speaker.conference_id == conference.id)
    )
    return {int(speaker_id): str(sha) for speaker_id, sha in rows.tuples()}


async def photo_of(db: AsyncSession, speaker: Speaker) -> StoredFile | None:
    if speaker.photo_id is None:
        return None
    return await db.get(StoredFile, speaker.photo_id)
