"""The API's documentation page at ``/schema/swagger``, served from our own origin.

Litestar's Swagger plugin loads Swagger UI from a CDN and starts it with an inline script: our
CSP (``script-src 'self'``) allowed neither, and offline the page was blank. This page loads the
vendored ``swagger-ui-dist`` (``static/vendor/``) and starts it from ``static/api-docs.js``.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

from confman.lib.templating import static_url

SWAGGER_UI = "vendor/swagger-ui-dist-5.35.0"


class SelfHostedSwagger(OpenAPIRenderPlugin):
    def __init__(self) -> None:
        super().__init__(path="/swagger")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = escape(str(openapi_schema["info"]["title"]))
        schema_url = escape(self.get_openapi_json_route(request))
        return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} API</title>
  <link rel="icon" href="{static_url("favicon.svg")}" type="image/svg+xml">
  <link rel="stylesheet" href="{static_url(SWAGGER_UI + "/swagger-ui.css")}">
  <script src="{static_url(SWAGGER_UI + "/swagger-ui-bundle.js")}" defer></script>
  <script src="{static_url("api-docs.js")}" defer></script>
</head>
<body>
  <main id="swagger-ui" data-openapi="{schema_url}"><p>The API's operations load here
  (JavaScript needed); the document itself is <a href="{schema_url}">{schema_url}</a>.</p></main>
</body>
</html>
""".encode()
