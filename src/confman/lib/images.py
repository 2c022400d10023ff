"""Uploaded images (speakers' photos, conferences' logos) checked by their content, resized,
stripped of metadata and encoded again from their pixels.

Nothing of the uploaded file is kept but its pixels: the image is decoded, turned upright
by its EXIF orientation, made at most 800×800 and encoded again, which leaves EXIF (GPS),
XMP, ICC and comments behind. SVG is refused (it is a document that can carry script), as is
anything else that is not JPEG, PNG or WebP by its bytes, whatever its name or type says.
Refusals are ``FieldError(field, f"{field}_{reason}", …)``; a file over the size limit
answers 413.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE
from PIL import Image, ImageOps, UnidentifiedImageError

from confman.lib.errors import FieldError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# More pixels than any camera photo of a person needs; a bomb declares far more.
MAX_PIXELS = 40_000_000
MAX_SIDE = 800
JPEG_QUALITY = 85
# By content: Pillow's format names of what we accept.
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})

# Reasons; the code is ``{field}_{reason}`` (``photo_too_large``, ``logo_not_an_image``).
TOO_LARGE = "too_large"
NOT_AN_IMAGE = "not_an_image"
TOO_MANY_PIXELS = "too_many_pixels"
EMPTY = "empty"


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """An image ready to keep: re-encoded from its pixels, at most 800×800."""

    data: bytes
    content_type: str
    width: int
    height: int


def prepare_image(data: bytes, field: str) -> PreparedImage:
    """The image to keep from an upload, or ``FieldError(field, code, …)``.

    Runs in the caller's thread on purpose: the bomb check turns Pillow's warning into an
    error with ``warnings.catch_warnings``, which is not safe across threads."""

    def refuse(reason: str, message: str) -> FieldError:
        status = HTTP_413_REQUEST_ENTITY_TOO_LARGE if reason == TOO_LARGE else None
        return FieldError(field, f"{field}_{reason}", message, status_code=status)

    if not data:
        raise refuse(EMPTY, "the file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise refuse(TOO_LARGE, "the image is larger than 5 MB")
    with warnings.catch_warnings():
        # Pillow warns (and later raises) above its own limit; we refuse at ours, before decoding.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=sorted(ACCEPTED_FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise refuse(TOO_MANY_PIXELS, "the image declares too many pixels") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise refuse(NOT_AN_IMAGE, "the file is not a JPEG, PNG or WebP image") from None
        with image:
            if image.format not in ACCEPTED_FORMATS:
                raise refuse(NOT_AN_IMAGE, "the file is not a JPEG, PNG or WebP image")
            width, height = image.size
            # The header's size, read before any pixel is decoded.
            if width * height > MAX_PIXELS or width <= 0 or height <= 0:
                raise refuse(TOO_MANY_PIXELS, "the image declares too many pixels")
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
                raise refuse(TOO_MANY_PIXELS, "the image declares too many pixels") from None
            except (OSError, ValueError, SyntaxError, EOFError):
                raise refuse(NOT_AN_IMAGE, "the file is not a JPEG, PNG or WebP image") from None
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
    return PreparedImage(out.getvalue(), content_type, clean.width, clean.height)


def check_prepared(data: bytes, content_type: str, field: str) -> tuple[int, int]:
    """The size of an image this module prepared before (an exported logo), checked without
    encoding it again, so that a re-import keeps its bytes: at most 5 MB and 800×800, and by
    its bytes of ``content_type``. ValueError otherwise."""
    formats = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
    expected = formats.get(content_type)
    if expected is None or not data or len(data) > MAX_UPLOAD_BYTES:
        raise ValueError(f"{field}: not a JPEG, PNG or WebP image of at most 5 MB")
    try:
        with Image.open(io.BytesIO(data), formats=[expected]) as image:
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ValueError(f"{field}: the data is not a {content_type} image") from None
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise ValueError(f"{field}: larger than {MAX_SIDE}×{MAX_SIDE}")
    return width, height
