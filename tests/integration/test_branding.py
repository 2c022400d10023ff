"""A conference's branding (accent colour, logo), its embeddable programme and speakers' faces:
through the API, on the public pages and in their headers."""

from __future__ import annotations

import io
import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from confman.cli import unit_of_work
from confman.lib.branding import contrast
from confman.mail.messages import DEFAULT_ACCENT
from confman.settings import Settings
from confman.transfer.services import export_conference, import_conference
from tests.factories import (
    Organiser,
    conference_payload,
    post_ok,
    put_registration_settings,
    registration_payload,
    session_payload,
    speaker_payload,
)
from tests.mailserver import send_everything
from tests.orga import csrf_token, post_form, sign_in

Client = AsyncTestClient[Litestar]
CONF = "/api/v1/conferences/climate-2027"


def _png(size: tuple[int, int] = (120, 60), colour: str = "#2a7f62") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


async def _conference(client: Client, organiser: Organiser, **overrides: Any) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload(**overrides))


def _keys(response: Any) -> list[tuple[str, str | None]]:
    return [(e["key"], e.get("code")) for e in response.json().get("extra", [])]


async def test_accent_color_and_embed_origins_are_validated_by_field(client: Client, organiser: Organiser) -> None:
    await _conference(client, organiser)

    good = await client.patch(
        CONF,
        json={"accent_color": "#FFCC00", "embed_origins": ["https://Example.org/", "http://localhost:9000"]},
        headers=organiser.headers,
    )
    assert good.status_code == 200, good.text
    assert (good.json()["accent_color"], good.json()["embed_origins"]) == (
        "#ffcc00",
        ["https://example.org", "http://localhost:9000"],
    )
    bad_cases = [
        ({"accent_color": "yellow"}, "accent_color"),
        ({"accent_color": "#ffcc0"}, "accent_color"),
        ({"embed_origins": ["http://example.org"]}, "embed_origins"),
        ({"embed_origins": ["https://example.org/page"]}, "embed_origins"),
        ({"embed_origins": ["https://example.org; script-src *"]}, "embed_origins"),
        ({"embed_origins": [f"https://site{n}.example.org" for n in range(11)]}, "embed_origins"),
        ({"embed_origins": None}, "embed_origins"),
    ]
    for body, field in bad_cases:
        response = await client.patch(CONF, json=body, headers=organiser.headers)
        assert response.status_code == 400, (body, response.text)
        assert any(key.startswith(field) for key, _ in _keys(response)), (body, response.text)
    reset = await client.patch(CONF, json={"accent_color": None}, headers=organiser.headers)
    assert reset.json()["accent_color"] is None
    assert (await client.get(CONF)).json()["embed_origins"] == ["https://example.org", "http://localhost:9000"]


async def test_logo_upload_checks_the_bytes_and_serves_the_logo_in_the_header(
    client: Client, organiser: Organiser
) -> None:
    await _conference(client, organiser)
    refused = [
        (b"just some text", "image/png", 400, "logo_not_an_image"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml", 400,
         "logo_not_an_image"),
        (b"", "image/png", 400, "logo_empty"),
        (b"\x89PNG" + b"\0" * (5 * 1024 * 1024), "image/png", 413, "logo_too_large"),
    ]  # fmt: skip
    for body, kind, status, code in refused:
        response = await client.put(f"{CONF}/logo", content=body, headers={**organiser.headers, "Content-Type": kind})
        assert response.status_code == status, (code, response.text)
        assert _keys(response) == [("logo", code)]
    assert (await client.get(CONF)).json()["logo_url"] is None

    raw = await client.put(f"{CONF}/logo", content=_png(), headers={**organiser.headers, "Content-Type": "image/png"})
    assert raw.status_code == 200, raw.text
    multipart = await client.put(
        f"{CONF}/logo", files={"logo": ("logo.png", _png(colour="#112233"), "image/png")}, headers=organiser.headers
    )
    assert multipart.status_code == 200, multipart.text
    logo_url = multipart.json()["logo_url"]
    assert logo_url != raw.json()["logo_url"]
    assert re.fullmatch(r"http://testserver\.local/media/[0-9a-f]{64}\.jpg", logo_url)

    served = await client.get(logo_url)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert "max-age=31536000" in served.headers["cache-control"]
    assert (await client.get(raw.json()["logo_url"])).status_code == 404  # the old one is gone
    page = (await client.get("/climate-2027/")).text
    assert f'<img class="brand-logo" src="{logo_url}" alt="" width="40" height="40">' in page

    assert (await client.delete(f"{CONF}/logo", headers=organiser.headers)).status_code == 204
    assert (await client.get(logo_url)).status_code == 404
    assert "brand-logo" not in (await client.get("/climate-2027/")).text
    assert (await client.delete(f"{CONF}/logo", headers=organiser.headers)).status_code == 404
    assert (await client.put(f"{CONF}/logo", content=_png(), headers={"Content-Type": "image/png"})).status_code in {
        401,
        404,
    }


async def test_brand_stylesheet_sets_readable_accent_colours(client: Client, organiser: Organiser) -> None:
    await _conference(client, organiser)
    page = (await client.get("/climate-2027/")).text
    assert "/climate-2027/brand.css" not in page  # no accent: the site's colours

    await client.patch(CONF, json={"accent_color": "#ffcc00"}, headers=organiser.headers)
    version = (await client.get(CONF)).json()["programme_version"]
    page = (await client.get("/climate-2027/")).text
    assert f'href="/climate-2027/brand.css?v={version}"' in page
    css = await client.get(f"/climate-2027/brand.css?v={version}")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "max-age=31536000" in css.headers["cache-control"]
    values = dict(re.findall(r"--(accent[a-z-]*):(#[0-9a-f]{6})", css.text.split("@media")[0]))
    dark_link = re.search(
        r"@media \(prefers-color-scheme: dark\)\{body:not\(\.orga\)\{--accent-text:(#[0-9a-f]{6})", css.text
    )
    assert values["accent"] == "#ffcc00"
    assert values["accent-ink"] == "#000000"
    assert contrast(values["accent"], values["accent-ink"]) >= 4.5
    # Yellow is unreadable as a link on white: a darker shade of it is used instead.
    assert values["accent-text"] != "#ffcc00"
    for background in ("#ffffff", "#f4f5f8", "#eceef3"):  # site.css: --paper, --canvas, --tint
        assert contrast(values["accent-text"], background) >= 4.5
    assert dark_link is not None
    for background in ("#121419", "#1b1e25", "#262a33"):  # the same, dark
        assert contrast(dark_link.group(1), background) >= 4.5


async def test_embed_page_may_be_framed_only_by_the_listed_origins(client: Client, organiser: Organiser) -> None:
    await _conference(client, organiser)
    await post_ok(client, organiser, f"{CONF}/sessions", session_payload())

    closed = await client.get("/climate-2027/embed/programme/")
    assert closed.status_code == 200
    assert "frame-ancestors 'none'" in closed.headers["content-security-policy"]
    assert "The Limits of COP26" in closed.text
    assert '<base target="_blank">' in closed.text
    assert 'class="site-header"' not in closed.text
    assert 'class="site-footer"' not in closed.text

    await client.patch(
        CONF, json={"embed_origins": ["https://example.org", "https://www.example.net"]}, headers=organiser.headers
    )
    opened = await client.get("/climate-2027/embed/programme/")
    policy = opened.headers["content-security-policy"]
    assert "frame-ancestors https://example.org https://www.example.net" in policy
    assert "script-src 'self'" in policy
    assert "default-src 'none'" in policy
    assert "x-frame-options" not in opened.headers
    again = await client.get("/climate-2027/embed/programme/", headers={"If-None-Match": opened.headers["etag"]})
    assert again.status_code == 304
    assert "frame-ancestors https://example.org https://www.example.net" in again.headers["content-security-policy"]

    for other in ("/climate-2027/", "/climate-2027/programme/", "/"):
        response = await client.get(other)
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], other
        assert response.headers["x-frame-options"] == "DENY", other


async def test_speaker_photos_through_the_api_and_on_the_session_page(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser, accent_color="#0b5cad", embed_origins=["https://example.org"])
    await post_ok(client, organiser, f"{CONF}/speakers", speaker_payload())
    await post_ok(client, organiser, f"{CONF}/speakers", speaker_payload(slug="ozdes-ozbay", name="Özdeş Özbay"))
    await post_ok(
        client, organiser, f"{CONF}/sessions",
        session_payload(speakers=[{"speaker": "alex-callinicos"}, {"speaker": "ozdes-ozbay"}]),
    )  # fmt: skip
    photo_path = f"{CONF}/speakers/alex-callinicos/photo"

    refused = await client.put(
        photo_path, content=b"GIF89a no", headers={**organiser.headers, "Content-Type": "image/gif"}
    )
    assert (refused.status_code, _keys(refused)) == (400, [("photo", "photo_not_an_image")])
    stored = await client.put(
        photo_path, content=_png((900, 1200)), headers={**organiser.headers, "Content-Type": "image/png"}
    )
    assert stored.status_code == 200, stored.text
    sha = stored.json()["photo_sha256"]

    page = (await client.get("/climate-2027/sessions/limits-of-cop26/")).text
    assert (
        f'<img class="face" src="http://testserver.local/media/{sha}.jpg" alt="" width="48" height="48" '
        'loading="lazy" decoding="async">Alex Callinicos</a>'
    ) in page
    assert '<span class="face face-placeholder" data-initials="ÖÖ" aria-hidden="true"></span>Özdeş Özbay</a>' in page
    # The speakers' own pages and their list: the photo, or the initials in its place.
    initials = '<span class="speaker-photo face-placeholder speaker-initials" data-initials="ÖÖ" aria-hidden="true">'
    listing = (await client.get("/climate-2027/speakers/")).text
    assert f'<img class="speaker-photo" src="http://testserver.local/media/{sha}.jpg"' in listing
    assert initials in listing
    alex = (await client.get("/climate-2027/speakers/alex-callinicos/")).text
    assert f'<img src="http://testserver.local/media/{sha}.jpg" alt=""' in alex
    assert "speaker-initials" not in alex
    ozdes = (await client.get("/climate-2027/speakers/ozdes-ozbay/")).text
    assert initials.replace("<span", "<p") in ozdes

    assert (await client.delete(photo_path, headers=organiser.headers)).status_code == 204
    assert (await client.delete(photo_path, headers=organiser.headers)).status_code == 404
    page = (await client.get("/climate-2027/sessions/limits-of-cop26/")).text
    placeholder = '<span class="face face-placeholder" data-initials="AC" aria-hidden="true"></span>'
    assert f"{placeholder}Alex Callinicos</a>" in page
    schema = (await client.get("/schema/openapi.json")).json()
    assert {"put", "delete"} <= set(schema["paths"]["/api/v1/conferences/{conf}/speakers/{speaker}/photo"])
    assert {"put", "delete"} <= set(schema["paths"]["/api/v1/conferences/{conf}/logo"])

    # The export carries the branding, and an import gives the same file back.
    await client.put(f"{CONF}/logo", content=_png(), headers={**organiser.headers, "Content-Type": "image/png"})
    async with unit_of_work(settings) as db:
        exported = await export_conference(db, "climate-2027")
    assert exported["conference"]["accent_color"] == "#0b5cad"
    assert exported["conference"]["embed_origins"] == ["https://example.org"]
    assert exported["conference"]["logo"]["content_type"] == "image/jpeg"
    await client.delete(CONF, headers=organiser.headers)
    async with unit_of_work(settings) as db:
        await import_conference(db, exported)
    async with unit_of_work(settings) as db:
        assert await export_conference(db, "climate-2027") == exported


async def test_settings_page_edits_the_colour_origins_and_logo(client: Client, organiser: Organiser) -> None:
    await _conference(client, organiser)
    await sign_in(client, organiser.email)
    page = "/orga/climate-2027/settings/"

    refused = await post_form(client, page, page, {"accent_color": "red", "embed_origins": "http://example.org"})
    assert refused.status_code == 400
    assert 'id="accent_color-error"' in refused.text
    assert 'id="embed_origins-error"' in refused.text
    saved = await post_form(
        client,
        page,
        page,
        {"accent_color": "#A1161F", "embed_origins": "https://example.org\n\nhttps://b.example.net/"},
    )
    assert saved.status_code == 303, saved.text
    stored = (await client.get(CONF)).json()
    assert (stored["accent_color"], stored["embed_origins"]) == (
        "#a1161f",
        ["https://example.org", "https://b.example.net"],
    )
    form = await client.get(page)
    assert 'value="#a1161f"' in form.text
    assert "https://example.org\nhttps://b.example.net</textarea>" in form.text

    svg = b'<svg xmlns="http://www.w3.org/2000/svg"/>'
    token = csrf_token(form.text)
    rejected = await client.post(
        f"{page}logo", data={"_csrf_token": token}, files={"logo": ("logo.svg", svg, "image/svg+xml")}
    )
    assert rejected.status_code == 400
    assert 'id="logo-error"' in rejected.text
    uploaded = await client.post(
        f"{page}logo", data={"_csrf_token": token}, files={"logo": ("logo.png", _png(), "image/png")},
        follow_redirects=False,
    )  # fmt: skip
    assert uploaded.status_code == 303, uploaded.text
    shown = await client.get(page)
    preview = re.search(r'<img class="logo-preview" src="([^"]+)"', shown.text)
    assert preview is not None
    assert (await client.get(preview.group(1))).headers["content-type"] == "image/jpeg"
    assert (await client.get(CONF)).json()["logo_url"] is not None
    removed = await client.post(f"{page}logo", data={"_csrf_token": token, "action": "remove"}, follow_redirects=False)
    assert removed.status_code == 303
    assert (await client.get(CONF)).json()["logo_url"] is None


async def test_attendees_e_mails_wear_the_conferences_accent(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    """The e-mail's header and button in the accent with readable text on it, its links in a
    shade readable on white, as the pages show them; the site's own blue without an accent."""
    await _conference(client, organiser)
    await put_registration_settings(client, organiser, "climate-2027", double_opt_in=False)

    async def confirmation_html(address: str) -> str:
        response = await client.post(f"{CONF}/registrations", json=registration_payload(email=address))
        assert response.status_code == 201, response.text
        recorder = await send_everything(settings)
        with recorder.lock:
            message = next(m for m in recorder.messages if str(m["To"]) == address)
        html = message.get_body(("html",))
        assert html is not None
        return str(html.get_content())

    plain = await confirmation_html("plain@example.org")
    assert f"background: {DEFAULT_ACCENT};" in plain

    # A light accent: black text on it, and links in a darker shade of it.
    patched = await client.patch(CONF, json={"accent_color": "#FFCC00"}, headers=organiser.headers)
    assert patched.status_code == 200, patched.text
    html = await confirmation_html("yellow@example.org")
    assert DEFAULT_ACCENT not in html
    assert "background: #ffcc00;" in html
    assert "color: #000000;" in html
    links = set(re.findall(r'<a href="[^"]*" style="color: (#[0-9a-f]{6});', html))
    assert links, "the e-mail's links carry a colour"
    assert all(contrast(link, "#ffffff") >= 4.5 for link in links), links
