"""/orga/{conf}/news/: write an announcement with a fieldset per language and a preview,
refusals with nothing written, publish and pin with one button, and send it to attendees with
the count shown on the button: all without JavaScript, every form with its CSRF token."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from confman.db.models import Announcement, OutboxMail
from confman.settings import Settings
from tests.factories import (
    Organiser,
    conference_payload,
    database,
    post_ok,
    put_registration_settings,
    registration_payload,
)
from tests.orga import csrf_token, post_form, sign_in

Client = AsyncTestClient[Litestar]
PAGE = "/orga/climate-2027/news/"
NEW = PAGE + "new"


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "slug": "hubs",
        "title.en": "Host a local hub",
        "body.en": "Watch **together**.",
        "title.ru": "Организуйте площадку",
        "body.ru": "Смотрите **вместе**.",
        "status": "draft",
        "publish_at": "",
    }
    data.update(overrides)
    return data


async def _count(settings: Settings, model: Any, *where: Any) -> int:
    async with database(settings) as db:
        return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_write_preview_publish_pin_and_send(client: Client, organiser: Organiser, settings: Settings) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await put_registration_settings(client, organiser, "climate-2027", capacity=10, double_opt_in=False)
    for user, language in (("ana", "ru"), ("tom", "en")):
        answer = await client.post(
            "/api/v1/conferences/climate-2027/registrations",
            json=registration_payload(email=f"{user}@example.org", language=language),
        )
        assert answer.status_code == 201, answer.text
    await sign_in(client, organiser.email)
    listing = await client.get(PAGE)
    assert listing.status_code == 200
    assert 'href="/orga/climate-2027/news/"' in listing.text  # the section in the frame

    form = await client.get(NEW)
    for language in ("en", "es", "fr", "ru"):
        assert f'id="language-{language}"' in form.text
    preview = await post_form(client, NEW, NEW, {**_form(), "action": "preview"})
    assert preview.status_code == 200
    assert "Смотрите <strong>вместе</strong>." in preview.text
    assert await _count(settings, Announcement) == 0

    refused = await post_form(client, NEW, NEW, {**_form(**{"body.en": "<script>x()</script>"}), "action": "save"})
    assert refused.status_code == 400
    assert 'id="body.en-error"' in refused.text
    assert "HTML tags are not allowed" in refused.text
    missing = await post_form(client, NEW, NEW, {**_form(**{"title.ru": ""}), "action": "save"})
    assert missing.status_code == 400
    assert 'id="title.ru-error"' in missing.text
    assert await _count(settings, Announcement) == 0

    saved = await post_form(client, NEW, NEW, {**_form(), "action": "save"})
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == PAGE + "hubs/"
    duplicate = await post_form(client, NEW, NEW, {**_form(), "action": "save"})
    assert duplicate.status_code == 409
    assert (await client.get("/climate-2027/news/hubs/")).status_code == 404  # a draft

    edit = await client.get(PAGE + "hubs/")
    assert "Send to all attendees (confirmed and waiting): 2 attendees" in edit.text
    assert 'id="send-all" disabled' in edit.text  # a draft cannot be sent

    for action in ("publish", "pin"):
        done = await post_form(client, PAGE, PAGE + "hubs/state", {"action": action})
        assert done.status_code == 303
    public = await client.get("/climate-2027/news/hubs/?lang=ru")
    assert public.status_code == 200
    assert "Организуйте площадку" in public.text
    listing = await client.get(PAGE + "?lang=en")  # the public page remembered Russian
    assert "Pinned" in listing.text
    assert "Published" in listing.text

    edit = await client.get(PAGE + "hubs/")
    stale = await client.post(
        PAGE + "hubs/send",
        data={"audience": "all", "expected_recipients": "3", "_csrf_token": csrf_token(edit.text)},
    )
    assert stale.status_code == 409
    assert await _count(settings, OutboxMail, OutboxMail.kind == "attendee_message") == 0
    sent = await client.post(
        PAGE + "hubs/send",
        data={"audience": "all", "expected_recipients": "2", "_csrf_token": csrf_token(edit.text)},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    after = await client.get(sent.headers["location"])
    assert "Sent to 2 attendees." in after.text
    assert "Sent to all attendees (confirmed and waiting)." in after.text
    again = await client.post(
        PAGE + "hubs/send",
        data={"audience": "confirmed", "expected_recipients": "2", "_csrf_token": csrf_token(after.text)},
    )
    assert again.status_code == 409
    assert await _count(settings, OutboxMail, OutboxMail.kind == "attendee_message") == 2

    # Without the form token nothing happens.
    forged = await client.post(PAGE + "hubs/state", data={"action": "unpublish"}, follow_redirects=False)
    assert forged.status_code == 403
    assert (await client.get("/climate-2027/news/hubs/")).status_code == 200
    deleted = await post_form(client, PAGE + "hubs/", PAGE + "hubs/delete", {"confirm": "on"})
    assert deleted.status_code == 303
    assert await _count(settings, Announcement) == 0
