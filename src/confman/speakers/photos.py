"""Speakers' photos: an upload checked by its content, resized, stripped of metadata and kept
in the database (``StoredFile``) so that every app server can serve it.

Nothing of the uploaded file is kept but its pixels: the image is decoded, turned upright
by its EXIF orientation, made at most 800×800 and encoded again, which leaves EXIF (GPS),
XMP, ICC and comments behind. Refusals are ``FieldError("photo", code, …)`` with the codes
below; pages name them in the organiser's language.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.conferences.versioning import record_programme_change
from confman.db.models import Conference, Speaker, StoredFile
from confman.lib.errors import FieldError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# More pixels than any camera photo of a person needs; a bomb declares far more.
MAX_PIXELS = 40_000_000
MAX_SIDE = 800
JPEG_QUALITY = 85
# By content: Pillow's format names of what we accept.
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})

PHOTO_TOO_LARGE = "photo_too_large"
PHOTO_NOT_AN_IMAGE = "photo_not_an_image"
PHOTO_TOO_MANY_PIXELS = "photo_too_many_pixels"
PHOTO_EMPTY = "photo_empty"


def _refuse(code: str, message: str) -> FieldError:
    return FieldError("photo", code, message)


@dataclass(frozen=True, slots=True)
class PreparedPhoto:
    """A photo ready to keep: re-encoded from its pixels, at most 800×800."""

    data: bytes
    content_type: str
    width: int
    height: int


def prepare_photo(data: bytes) -> PreparedPhoto:
    """The photo to keep from an upload, or ``FieldError("photo", code, …)``.

    Runs in the caller's thread on purpose: the bomb check turns Pillow's warning into an
    error with ``warnings.catch_warnings``, which is not safe across threads."""
    if not data:
        raise _refuse(PHOTO_EMPTY, "the file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refuse(PHOTO_TOO_LARGE, "the photo is larger than 5 MB")
    with warnings.catch_warnings():
        # Pillow warns (and later raises) above its own limit; we refuse at ours, before decoding.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=sorted(ACCEPTED_FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _refuse(PHOTO_TOO_MANY_PIXELS, "the image declares too many pixels") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise _refuse(PHOTO_NOT_AN_IMAGE, "the file is not a JPEG, PNG or WebP image") from None
        with image:
            if image.format not in ACCEPTED_FORMATS:
                raise _refuse(PHOTO_NOT_AN_IMAGE, "the file is not a JPEG, PNG or WebP image")
            width, height = image.size
            # The header's size, read before any pixel is decoded.
            if width * height > MAX_PIXELS or width <= 0 or height <= 0:
                raise _refuse(PHOTO_TOO_MANY_PIXELS, "the image declares too many pixels")
            try:
                # A JPEG can be decoded at a fraction of its size, which spares memory.
                image.draft("RGB", (MAX_SIDE * 2, MAX_SIDE * 2))
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
                has_alpha = upright.mode in {"RGBA", "LA", "PA"} or (
                    upright.mode == "P" and "transparency" in upright.info
                )
                pixels = upright.convert("RGBA" if has_alpha else "RGB")
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise _refuse(PHOTO_TOO_MANY_PIXELS, "the image declares too many pixels") from None
            except (OSError, ValueError, SyntaxError, EOFError):
                raise _refuse(PHOTO_NOT_AN_IMAGE, "the file is not a JPEG, PNG or WebP image") from None
    # A fresh image from the pixels alone: no EXIF, XMP, ICC profile or comment can follow.
    clean = Image.new(pixels.mode, pixels.size)
    clean.paste(pixels)
    out = io.BytesIO()
    if has_alpha:
        clean.save(out, "WEBP", quality=JPEG_QUALITY, method=4)
        content_type = "image/webp"
    else:
        clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        content_type = "image/jpeg"
    return PreparedPhoto(out.getvalue(), content_type, clean.width, clean.height)


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
