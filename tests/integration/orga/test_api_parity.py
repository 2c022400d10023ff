"""Every organiser operation of the API has an organiser page that does the same.

The list is taken from the app: a new API operation fails this test until it is named here,
with the /orga/ route (by name) that does it in the browser, or with the issue that will.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute

# (method, path) of the API -> the organiser pages' route names doing the same.
PAGES: dict[tuple[str, str], tuple[str, ...]] = {
    ("POST", "/api/v1/tokens"): ("orga:token-create", "orga:login-submit"),
    ("GET", "/api/v1/tokens"): ("orga:tokens",),
    ("DELETE", "/api/v1/tokens/{token_id}"): ("orga:token-revoke",),
    ("GET", "/api/v1/conferences"): ("orga:conferences",),
    ("POST", "/api/v1/conferences"): ("orga:conference-create",),
    ("GET", "/api/v1/conferences/{conf}"): ("orga:overview", "orga:settings"),
    ("PATCH", "/api/v1/conferences/{conf}"): ("orga:settings-save", "orga:publish"),
    ("DELETE", "/api/v1/conferences/{conf}"): ("orga:conference-delete",),
    ("GET", "/api/v1/conferences/{conf}/members"): ("orga:members",),
    ("POST", "/api/v1/conferences/{conf}/members"): ("orga:member-invite", "orga:member-role"),
    ("DELETE", "/api/v1/conferences/{conf}/members/{member_id}"): ("orga:member-remove",),
    ("GET", "/api/v1/conferences/{conf}/tracks"): ("orga:tracks",),
    ("POST", "/api/v1/conferences/{conf}/tracks"): ("orga:track-create",),
    ("GET", "/api/v1/conferences/{conf}/tracks/{track}"): ("orga:track",),
    ("PATCH", "/api/v1/conferences/{conf}/tracks/{track}"): ("orga:track-update",),
    ("DELETE", "/api/v1/conferences/{conf}/tracks/{track}"): ("orga:track-delete",),
    ("PUT", "/api/v1/conferences/{conf}/tracks/order"): ("orga:track-order",),
    ("GET", "/api/v1/conferences/{conf}/streams"): ("orga:streams",),
    ("POST", "/api/v1/conferences/{conf}/streams"): ("orga:stream-create",),
    ("GET", "/api/v1/conferences/{conf}/streams/{stream}"): ("orga:stream", "orga:stream-reveal"),
    ("PATCH", "/api/v1/conferences/{conf}/streams/{stream}"): ("orga:stream-update",),
    ("DELETE", "/api/v1/conferences/{conf}/streams/{stream}"): ("orga:stream-delete",),
    ("PUT", "/api/v1/conferences/{conf}/streams/order"): ("orga:stream-order",),
    ("GET", "/api/v1/conferences/{conf}/speakers"): ("orga:speakers",),
    ("POST", "/api/v1/conferences/{conf}/speakers"): ("orga:speaker-create",),
    ("GET", "/api/v1/conferences/{conf}/speakers/{speaker}"): ("orga:speaker-edit",),
    ("PATCH", "/api/v1/conferences/{conf}/speakers/{speaker}"): ("orga:speaker-update",),
    ("DELETE", "/api/v1/conferences/{conf}/speakers/{speaker}"): ("orga:speaker-delete",),
    ("PUT", "/api/v1/conferences/{conf}/speakers/{speaker}/photo"): ("orga:speaker-update",),
    ("DELETE", "/api/v1/conferences/{conf}/speakers/{speaker}/photo"): ("orga:speaker-update",),
    ("PUT", "/api/v1/conferences/{conf}/logo"): ("orga:settings-logo",),
    ("DELETE", "/api/v1/conferences/{conf}/logo"): ("orga:settings-logo",),
    ("GET", "/api/v1/conferences/{conf}/sessions"): ("orga:sessions", "orga:schedule"),
    ("POST", "/api/v1/conferences/{conf}/sessions"): ("orga:session-create",),
    ("POST", "/api/v1/conferences/{conf}/sessions/status"): ("orga:sessions-status",),
    ("GET", "/api/v1/conferences/{conf}/sessions/{session}"): ("orga:session-edit",),
    ("PATCH", "/api/v1/conferences/{conf}/sessions/{session}"): ("orga:session-update", "orga:schedule-move"),
    ("DELETE", "/api/v1/conferences/{conf}/sessions/{session}"): ("orga:session-delete",),
    ("PUT", "/api/v1/conferences/{conf}/sessions/{session}/speakers"): ("orga:session-update",),
    ("GET", "/api/v1/conferences/{conf}/registration-settings"): ("orga:registration",),
    ("PUT", "/api/v1/conferences/{conf}/registration-settings"): ("orga:registration-save", "orga:question-save"),
    ("PATCH", "/api/v1/conferences/{conf}/registration-settings"): ("orga:registration-save", "orga:question-save"),
    ("GET", "/api/v1/conferences/{conf}/registrations"): ("orga:registrations",),
    ("GET", "/api/v1/conferences/{conf}/registrations/export.csv"): ("orga:registrations-csv",),
    ("GET", "/api/v1/conferences/{conf}/registrations/counts"): ("orga:registrations",),
    ("GET", "/api/v1/conferences/{conf}/registrations/{registration_id}"): ("orga:registration-detail",),
    ("PATCH", "/api/v1/conferences/{conf}/registrations/{registration_id}"): ("orga:registration-status",),
    ("POST", "/api/v1/conferences/{conf}/registrations/{registration_id}/resend"): ("orga:registration-resend",),
    ("GET", "/api/v1/conferences/{conf}/attendance"): ("orga:attendance",),
    ("GET", "/api/v1/conferences/{conf}/announcements"): ("orga:news",),
    ("POST", "/api/v1/conferences/{conf}/announcements"): ("orga:news-create",),
    ("GET", "/api/v1/conferences/{conf}/announcements/{announcement}"): ("orga:news-edit",),
    ("PATCH", "/api/v1/conferences/{conf}/announcements/{announcement}"): ("orga:news-update", "orga:news-state"),
    ("DELETE", "/api/v1/conferences/{conf}/announcements/{announcement}"): ("orga:news-delete",),
    ("GET", "/api/v1/conferences/{conf}/announcements/{announcement}/recipients"): ("orga:news-edit",),
    ("POST", "/api/v1/conferences/{conf}/announcements/{announcement}/send"): ("orga:news-send",),
    ("GET", "/api/v1/conferences/{conf}/releases"): ("orga:releases",),
    ("POST", "/api/v1/conferences/{conf}/releases"): ("orga:release-create",),
    ("GET", "/api/v1/conferences/{conf}/sessions/{session}/attendance"): ("orga:session-attendance",),
    ("GET", "/api/v1/conferences/{conf}/webhooks"): ("orga:webhooks",),
    ("POST", "/api/v1/conferences/{conf}/webhooks"): ("orga:webhook-create",),
    ("GET", "/api/v1/conferences/{conf}/webhooks/{webhook_id}"): ("orga:webhook",),
    ("PATCH", "/api/v1/conferences/{conf}/webhooks/{webhook_id}"): ("orga:webhook-enable",),
    ("DELETE", "/api/v1/conferences/{conf}/webhooks/{webhook_id}"): ("orga:webhook-delete",),
    ("POST", "/api/v1/conferences/{conf}/webhooks/{webhook_id}/secret"): ("orga:webhook-secret",),
    ("GET", "/api/v1/conferences/{conf}/webhooks/{webhook_id}/deliveries"): ("orga:webhook",),
    ("POST", "/api/v1/conferences/{conf}/webhooks/{webhook_id}/deliveries/{delivery_id}/replay"): (
        "orga:webhook-replay",
    ),
}
# The attendees' own operations, which no organiser does.
ATTENDEES = {
    ("POST", "/api/v1/conferences/{conf}/registrations"),
    ("POST", "/api/v1/conferences/{conf}/registrations/confirm"),
    ("POST", "/api/v1/conferences/{conf}/registrations/cancel"),
}


def _operations(app: Litestar, prefix: str) -> dict[tuple[str, str], str]:
    found = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(prefix):
            continue
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        for handler in route.route_handlers:
            for method in handler.http_methods - {"OPTIONS", "HEAD"}:
                found[(method, path)] = handler.name or ""
    return found


def test_every_organiser_operation_of_the_api_has_its_page(app: Litestar) -> None:
    api = set(_operations(app, "/api/"))
    assert api == set(PAGES) | ATTENDEES, "name the organiser page of each new API operation"
    pages = set(_operations(app, "/orga").values())
    missing = {op: names for op, names in PAGES.items() if not set(names) <= pages}
    assert missing == {}


async def test_session_slugs_that_name_pages_are_refused(client: Any, organiser: Any) -> None:
    from tests.factories import conference_payload, post_ok, session_payload

    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    for slug in ("status", "new"):
        answer = await client.post(
            "/api/v1/conferences/climate-2027/sessions", json=session_payload(slug=slug), headers=organiser.headers
        )
        assert answer.status_code == 400
        assert answer.json()["extra"][0]["key"] == "slug"
