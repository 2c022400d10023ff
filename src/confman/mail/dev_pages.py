"""The local mailbox in the browser (development and the demo only, never in production):
every e-mail the embedded worker wrote to ``CONFMAN_MAILBOX_DIR``, so a newcomer can follow
the whole registration flow without a mail server."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from anyio import Path as AsyncPath
from litestar import Request, Response, get
from litestar.params import FromPath
from markupsafe import Markup, escape

from confman.lib.errors import not_found
from confman.settings import AppSettings
from confman.site.serve import HTML, PageRendererDependency, html_response, page_context

_NAME = re.compile(r"^[0-9a-f]{32}\.eml$")
_URL = re.compile(r"https?://[^\s<>\"]+")
# The e-mail's own HTML, shown as sent: inline styles allowed, nothing else.
_HTML_PART_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; sandbox"


async def _read(folder: Path, name: str) -> EmailMessage:
    if not _NAME.fullmatch(name):
        raise not_found("No such e-mail")
    path = AsyncPath(folder) / name
    if not await path.is_file():
        raise not_found("No such e-mail")
    message = message_from_bytes(await path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _linkified(text: str) -> Markup:
    parts: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        parts.append(str(escape(text[last : match.start()])))
        url = escape(match.group(0))
        parts.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))  # noqa: S704 - every piece is escaped above


PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@get("/_dev/mailbox/", name="dev_mailbox", include_in_schema=False)
async def dev_mailbox(
    request: Request[Any, Any, Any], settings: AppSettings, page_renderer: PageRendererDependency
) -> Response[bytes]:
    folder = AsyncPath(settings.mailbox_dir)
    mails = []
    if await folder.is_dir():
        found = [path async for path in folder.glob("*.eml")]
        dated = [(await path.stat(), path) for path in found]
        for _, path in sorted(dated, key=lambda item: item[0].st_mtime, reverse=True)[:200]:
            message = message_from_bytes(await path.read_bytes(), policy=policy.default)
            mails.append(
                {
                    "name": path.name,
                    "subject": str(message["Subject"]),
                    "to": str(message["To"]),
                    "date": str(message["Date"]),
                }
            )
    context = {**page_context(request, base_url=settings.base_url), "mails": mails, "mail": None}
    return html_response(page_renderer, "dev/mailbox.html", context, headers=PRIVATE)


@get("/_dev/mailbox/{name:str}", name="dev_mailbox_message", include_in_schema=False)
async def dev_mailbox_message(
    request: Request[Any, Any, Any], name: FromPath[str], settings: AppSettings, page_renderer: PageRendererDependency
) -> Response[bytes]:
    message = await _read(settings.mailbox_dir, name)
    text = message.get_body(("plain",))
    mail = {
        "name": name,
        "subject": str(message["Subject"]),
        "to": str(message["To"]),
        "date": str(message["Date"]),
        "message_id": str(message["Message-ID"]),
        "text": _linkified(text.get_content() if isinstance(text, EmailMessage) else ""),
        "attachments": [part.get_filename() for part in message.iter_attachments()],
        "has_html": message.get_body(("html",)) is not None,
    }
    context = {**page_context(request, base_url=settings.base_url), "mails": [], "mail": mail}
    return html_response(page_renderer, "dev/mailbox.html", context, headers=PRIVATE)


@get("/_dev/mailbox/{name:str}/html", name="dev_mailbox_html", include_in_schema=False)
async def dev_mailbox_html(name: FromPath[str], settings: AppSettings) -> Response[str]:
    message = await _read(settings.mailbox_dir, name)
    html = message.get_body(("html",))
    if not isinstance(html, EmailMessage):
        raise not_found("No HTML part")
    return Response(
        str(html.get_content()),
        media_type=HTML,
        headers={"Content-Security-Policy": _HTML_PART_POLICY, **PRIVATE},
    )


@get("/_dev/meeting/{stream:str}", name="dev_meeting", include_in_schema=False)
async def dev_meeting(
    request: Request[Any, Any, Any], stream: FromPath[str], settings: AppSettings, page_renderer: PageRendererDependency
) -> Response[bytes]:
    """The demo's stand-in for a video meeting (``confman demo --live`` points the streams here)."""
    context = {**page_context(request, base_url=settings.base_url), "stream": stream[:64]}
    return html_response(page_renderer, "dev/meeting.html", context, headers=PRIVATE)


DEV_HANDLERS = [dev_mailbox, dev_mailbox_message, dev_mailbox_html, dev_meeting]
