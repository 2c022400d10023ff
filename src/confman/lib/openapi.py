"""OpenAPI pieces shared by the API handlers: the error answers each operation may give, and
the request bodies' schemas as pydantic validates them.

Most error answers are declared by the handlers (``raises=READ_ERRORS`` and the like); two come
from the app itself whatever the handler, so the document adds them to every operation they can
meet (:func:`document_app_errors`): 415 for a JSON body sent as another type (``lib/requests``)
and 503 with ``Retry-After`` for a database out of reach (``lib/errors``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Reference,
    RequestBody,
    Schema,
)
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition
from pydantic import BaseModel

from confman.lib.errors import RETRY_AFTER_SECONDS, ConflictError
from confman.lib.validation import COMPONENT, COMPONENTS

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator

READ_ERRORS = [NotFoundException, NotAuthorizedException]
WRITE_ERRORS = [ValidationException, NotAuthorizedException, NotFoundException, ConflictError]
OWNER_ERRORS = [*WRITE_ERRORS, PermissionDeniedException]


@dataclass
class ErrorAnswer:
    status_code: int
    detail: str


def query_values(known: Iterable[str]) -> dict[str, Any]:
    """A query parameter's values as its filter reads them: one of ``known``, or empty for none."""
    return {"enum": ["", *sorted(known)]}


# Operations behind a rate limit (registration/routes.py) say so.
RATE_LIMITED = {
    429: ResponseSpec(
        data_container=ErrorAnswer,
        description="Too many requests from this client in the last minute: wait as long as Retry-After says.",
        generate_examples=False,
    )
}


def error_answer(status_code: int, description: str, example: dict[str, Any]) -> OpenAPIResponse:
    """An error answer in the shape of every other (``lib/errors``), as Litestar documents ``raises``."""
    schema = Schema(
        type=OpenAPIType.OBJECT,
        required=["detail", "status_code"],
        properties={
            "status_code": Schema(type=OpenAPIType.INTEGER),
            "detail": Schema(type=OpenAPIType.STRING),
            "extra": Schema(
                type=[OpenAPIType.NULL, OpenAPIType.OBJECT, OpenAPIType.ARRAY], additional_properties=Schema()
            ),
        },
        examples=[{"status_code": status_code, **example}],
    )
    return OpenAPIResponse(description=description, content={"application/json": OpenAPIMediaType(schema=schema)})


# A JSON body sent as another type (lib/requests.JsonCheckedRequest): any web page may send
# text/plain from a visitor's browser without a CORS preflight.
UNSUPPORTED_MEDIA_TYPE_ANSWER = error_answer(
    415,
    "The body is not sent as application/json (or a +json type).",
    {
        "detail": "Content-Type must be application/json",
        "extra": [{"key": "Content-Type", "message": "must be application/json"}],
    },
)
# The database out of reach or out of connections (lib/errors.database_unavailable_handler).
UNAVAILABLE_ANSWER = error_answer(
    503,
    "The database is unreachable or out of connections; nothing was written. Try again after Retry-After seconds.",
    {"detail": "The database is unavailable; try again shortly."},
)
UNAVAILABLE_ANSWER.headers = {
    "Retry-After": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.INTEGER, minimum=0, examples=[RETRY_AFTER_SECONDS]),
        description="Seconds to wait before trying again.",
        required=True,
    )
}
_OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def document_app_errors(document: OpenAPI) -> None:
    """Add the answers the app gives whatever the handler: 415 to every operation that takes a
    JSON body, 503 to every operation. What a handler documents itself stays as it is."""
    for path_item in (document.paths or {}).values():
        for method in _OPERATIONS:
            operation = getattr(path_item, method)
            if operation is None:
                continue
            responses = dict(operation.responses or {})
            body = operation.request_body
            if isinstance(body, RequestBody) and "application/json" in body.content:
                responses.setdefault("415", UNSUPPORTED_MEDIA_TYPE_ANSWER)
            responses.setdefault("503", UNAVAILABLE_ANSWER)
            operation.responses = dict(sorted(responses.items()))


class _DocumentWithAppErrors(OpenAPI):
    """The document, completed by :func:`document_app_errors` as it is written out: Litestar builds
    the paths after the config made the document, and writes it (``to_schema``) once per app."""

    def to_schema(self) -> dict[str, Any]:
        document_app_errors(self)
        return super().to_schema()


@dataclass
class ApiDocumentConfig(OpenAPIConfig):
    """Litestar's OpenAPI config, whose document also names the app's own error answers."""

    def to_openapi_schema(self) -> OpenAPI:
        built = super().to_openapi_schema()
        return _DocumentWithAppErrors(**{item.name: getattr(built, item.name) for item in fields(built) if item.init})


class StrictInputSchemas(OpenAPISchemaPlugin):
    """Request bodies documented as pydantic validates them.

    Litestar's own pydantic plugin reads a model's fields itself and drops what it does not
    know: constraints inside ``X | None``, ``extra="forbid"``, ``json_schema_extra`` and
    ``WithJsonSchema`` on a nested type. Input models (those that forbid extra fields) are
    documented from pydantic's own JSON schema instead, in validation mode, so the document
    says what the validators accept: the constraints are declared once, on the annotated types
    of ``lib/validation``. Nested definitions are inlined; titles are kept for the models only.
    """

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return isinstance(value, type) and issubclass(value, BaseModel) and value.model_config.get("extra") == "forbid"

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        model: type[BaseModel] = field_definition.annotation
        document = model.model_json_schema(mode="validation")
        definitions = document.pop("$defs", {})
        schema = schema_creator.schema_registry.get_schema_for_field_definition(field_definition)
        built = _schema(_inline(document, definitions), schema_creator, top=True)
        for name in (item.name for item in fields(Schema)):
            setattr(schema, name, getattr(built, name))
        schema.title = model.__name__
        return schema


_ALIASES = {item.metadata.get("alias", item.name): item.name for item in fields(Schema)}
_ONE_SCHEMA = {"items", "not", "propertyNames", "contains", "additionalProperties"}
_SCHEMA_LISTS = {"anyOf", "oneOf", "allOf", "prefixItems"}


def _inline(value: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        reference = value.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/$defs/"):
            rest = {key: item for key, item in value.items() if key != "$ref"}
            return _inline({**definitions[reference.removeprefix("#/$defs/")], **rest}, definitions)
        return {key: _inline(item, definitions) for key, item in value.items()}
    if isinstance(value, list):
        return [_inline(item, definitions) for item in value]
    return value


def _schema(value: dict[str, Any], creator: SchemaCreator, *, top: bool = False) -> Schema:
    """A JSON schema (a dict) as Litestar's ``Schema``: what the document's writer serialises."""
    arguments: dict[str, Any] = {}
    for key, item in value.items():
        name = _ALIASES.get(key)
        if name is None or (key == "title" and not top):
            continue
        if key == "properties":
            item = {prop: _sub_schema(sub, creator) for prop, sub in item.items()}
        elif key in _SCHEMA_LISTS:
            item = [_sub_schema(sub, creator) for sub in item]
        elif key in _ONE_SCHEMA and isinstance(item, dict):
            item = _sub_schema(item, creator)
        elif key == "type":
            item = [OpenAPIType(one) for one in item] if isinstance(item, list) else OpenAPIType(item)
        arguments[name] = item
    return Schema(**arguments)


_COMPONENT_TYPES: dict[str, type] = {}


def _sub_schema(value: dict[str, Any], creator: SchemaCreator) -> Schema | Reference:
    """A nested schema, or a reference to the component its type names (``COMPONENT``), with
    what the field adds to it (a description, a default) beside the reference."""
    name = value.get(COMPONENT)
    if not isinstance(name, str):
        return _schema(value, creator)
    canonical = COMPONENTS[name]
    # The registry keys components by type: one stand-in type per name.
    stand_in = _COMPONENT_TYPES.setdefault(name, type(name, (), {"__module__": __name__}))
    field = FieldDefinition.from_annotation(stand_in)
    registered = creator.schema_registry.get_schema_for_field_definition(field)
    if registered.type is None:
        built = _schema(canonical, creator)
        for attribute in (item.name for item in fields(Schema)):
            setattr(registered, attribute, getattr(built, attribute))
        registered.title = name
    reference = creator.schema_registry.get_reference_for_field_definition(field)
    assert reference is not None  # registered just above
    added = {key: item for key, item in value.items() if key not in (COMPONENT, "title") and canonical.get(key) != item}
    if not added:
        return reference
    wrapper = _schema(added, creator)
    wrapper.all_of = [reference]
    return wrapper
