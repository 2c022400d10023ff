"""An uploaded file in an API request: the raw body (``Content-Type: image/…``) or one part of
a ``multipart/form-data`` body. What the file is gets decided by its bytes (``lib/images``),
never by the types the client declares.

Handlers read the body themselves (Litestar would parse a ``bytes`` parameter as JSON), so the
OpenAPI request body is declared by :class:`ImageUpload`, the routes' ``operation_class``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema

from confman.lib.errors import FieldError

# Room for the multipart framing around the largest accepted image.
MULTIPART_ALLOWANCE = 256 * 1024
_BINARY = Schema(type=OpenAPIType.STRING, format="binary")  # type: ignore[arg-type]


@dataclass
class ImageUpload(Operation):
    """An operation whose body is an image: raw, or the first file of a multipart form."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description="A JPEG, PNG or WebP image of at most 5 MB, as the body or as a multipart/form-data "
            "part; its type is decided by its bytes (SVG is refused).",
            content={
                **{kind: OpenAPIMediaType(schema=_BINARY) for kind in ("image/jpeg", "image/png", "image/webp")},
                "multipart/form-data": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.OBJECT, properties={"file": _BINARY})
                ),
            },
        )


async def uploaded_bytes(request: Request[Any, Any, Any], field: str) -> bytes:
    """The file's bytes: the part named ``field`` (else the first file) of a multipart body,
    or else the body itself."""
    if request.content_type[0] != RequestEncodingType.MULTI_PART:
        return await request.body()
    form = await request.form()
    upload = form.get(field)
    if not isinstance(upload, UploadFile):
        upload = next((value for value in form.values() if isinstance(value, UploadFile)), None)
    if upload is None:
        raise FieldError(field, f"{field}_empty", "the form has no file")
    return await upload.read()
