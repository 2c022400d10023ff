"""An uploaded file in an API request: the raw body (``Content-Type: image/…``) or one part of
a ``multipart/form-data`` body. What the file is gets decided by its bytes (``lib/images``),
never by the types the client declares."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from confman.lib.errors import FieldError

# Room for the multipart framing around the largest accepted image.
MULTIPART_ALLOWANCE = 256 * 1024

ImageBody = Annotated[
    bytes,
    Body(
        media_type="image/*",
        description="The image (JPEG, PNG or WebP, at most 5 MB) as the body, or as a "
        "multipart/form-data part; SVG is refused.",
    ),
]


async def uploaded_bytes(request: Request[Any, Any, Any], body: bytes, field: str) -> bytes:
    """The file's bytes: the part named ``field`` (else the first file) of a multipart body,
    or else the body itself."""
    if request.content_type[0] != RequestEncodingType.MULTI_PART:
        return body
    form = await request.form()
    upload = form.get(field)
    if not isinstance(upload, UploadFile):
        upload = next((value for value in form.values() if isinstance(value, UploadFile)), None)
    if upload is None:
        raise FieldError(field, f"{field}_empty", "the form has no file")
    return await upload.read()
