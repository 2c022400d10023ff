"""The organisers' speakers pages: the zone picker that asks, localised countries, photos."""

from __future__ import annotations

import io
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import func, select

from confman.db.models import Speaker, StoredFile
from confman.settings import Settings
from tests.factories import Organiser, conference_payload, database, post_ok, session_payload, speaker_payload
from tests.orga import csrf_token, sign_in

CONF = "climate-2027"
NEW = f"/orga/{CONF}/speakers/new"


async def _conference(client: AsyncTestClient[Litestar], organiser: Organiser, **overrides: Any) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload(**overrides))


async def _speakers(settings: Settings) -> list[tuple[str, str, str | None, str | None, int | None]]:
    async with database(settings) as db:
        rows = await db.execute(
            select(Speaker.slug, Speaker.name, Speaker.country, Speaker.timezone, Speaker.photo_id).order_by(
                Speaker.slug
            )
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def _files(settings: Settings) -> int:
    async with database(settings) as db:
        return int(await db.scalar(select(func.count()).select_from(StoredFile)) or 0)


async def _post(
    client: AsyncTestClient[Litestar], action: str, data: dict[str, Any], files: dict[str, Any] | None = None
) -> Any:
    page = await client.get(NEW)
    assert page.status_code == 200, page.text
    return await client.post(
        action, data={**data, "_csrf_token": csrf_token(page.text)}, files=files or {}, follow_redirects=False
    )


def _speaker(**overrides: Any) -> dict[str, Any]:
    return {"slug": "sabrina-fernandez", "name": "Sabrina Fernandez", "country": "BR", **overrides}


def _jpeg_with_gps(size: tuple[int, int] = (1600, 1200)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    gps = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    exif[0x8825] = gps  # GPSInfo
    exif[0x0112] = 6  # Orientation: rotated 90° clockwise
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (0, 100, 0)).save(out, "PNG")
    return out.getvalue()


def _bomb() -> bytes:
    """A tiny PNG whose header declares 20000 × 20000 pixels."""
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG", optimize=True)
    return out.getvalue()


async def _stored_photo(settings: Settings) -> Image.Image:
    async with database(settings) as db:
        data = await db.scalar(select(StoredFile.data))
    assert data is not None
    return Image.open(io.BytesIO(data))


async def test_brazilian_speaker_without_zone_is_asked_and_nothing_written(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    await sign_in(client, organiser.email)
    answer = await _post(client, NEW, _speaker())
    assert answer.status_code == 400
    assert "Brazil has several time zones: choose the speaker&#39;s." in answer.text
    assert 'id="timezone-error"' in answer.text
    assert '<option value="America/Sao_Paulo">' in answer.text
    assert "Europe/London" not in answer.text.split('id="zone-field"')[1].split("</div>")[0]
    assert await _speakers(settings) == []


async def test_brazilian_speaker_with_zone_is_saved(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    await sign_in(client, organiser.email)
    answer = await _post(client, NEW, _speaker(timezone="America/Sao_Paulo"))
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/orga/{CONF}/speakers/"
    assert await _speakers(settings) == [("sabrina-fernandez", "Sabrina Fernandez", "BR", "America/Sao_Paulo", None)]
    listing = await client.get(f"/orga/{CONF}/speakers/")
    assert "The speaker was added." in listing.text
    assert "Brazil" in listing.text
    assert "America/Sao_Paulo" in listing.text


async def test_update_zones_without_js_shows_the_countrys_zones_and_writes_nothing(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    await sign_in(client, organiser.email)
    answer = await _post(client, NEW, {**_speaker(country="AU"), "action": "zones"})
    assert answer.status_code == 200
    assert '<option value="Australia/Sydney">' in answer.text
    assert 'value="sabrina-fernandez"' in answer.text
    assert await _speakers(settings) == []


async def test_one_zone_country_preselects_its_zone(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    await sign_in(client, organiser.email)
    fragment = await client.get(f"/orga/{CONF}/speakers/zones?country=GB", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert '<option value="Europe/London" selected>' in fragment.text
    several = await client.get(f"/orga/{CONF}/speakers/zones?country=BR")
    assert " selected>" not in several.text
    assert '<option value="America/Manaus">' in several.text
    assert "required" in several.text
    page = await client.get(f"{NEW}?country=GB")
    assert '<option value="Europe/London" selected>' in page.text
    answer = await _post(client, NEW, _speaker(slug="alex", name="Alex Callinicos", country="GB"))
    assert answer.status_code == 303
    assert await _speakers(settings) == [("alex", "Alex Callinicos", "GB", "Europe/London", None)]


async def test_country_names_follow_the_organisers_language(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _conference(client, organiser)
    await sign_in(client, organiser.email)
    page = await client.get(f"{NEW}?lang=fr")
    assert '<option value="DE">Allemagne</option>' in page.text
    # In French alphabetical order, accents aside: Égypte among the E's, before Érythrée and Espagne.
    assert page.text.index(">Égypte<") < page.text.index(">Équateur<") < page.text.index(">Espagne<")
    assert page.text.index(">Allemagne<") < page.text.index(">Égypte<")


async def test_html_is_escaped_and_cyrillic_round_trips(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    await sign_in(client, organiser.email)
    name = "Евгения <script>alert(1)</script>"
    answer = await _post(
        client,
        NEW,
        _speaker(slug="evgenia", name=name, country="GB", **{"bio.ru": "Биография <b>жирно</b>"}),
    )
    assert answer.status_code == 303
    assert (await _speakers(settings))[0][1] == name
    listing = await client.get(f"/orga/{CONF}/speakers/")
    assert "<script>alert(1)</script>" not in listing.text
    assert "Евгения &lt;script&gt;alert(1)&lt;/script&gt;" in listing.text
    edit = await client.get(f"/orga/{CONF}/speakers/evgenia/edit")
    assert "Биография &lt;b&gt;жирно&lt;/b&gt;" in edit.text
    assert "<b>жирно</b>" not in edit.text


async def test_edit_and_delete_a_speaker(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    await sign_in(client, organiser.email)
    await _post(client, NEW, _speaker(timezone="America/Sao_Paulo"))
    edit = await client.get(f"/orga/{CONF}/speakers/sabrina-fernandez/edit")
    changed = await client.post(
        f"/orga/{CONF}/speakers/sabrina-fernandez/edit",
        data={
            "name": "Sabrina F.",
            "country": "BR",
            "timezone": "America/Manaus",
            "links[0].title": "Site",
            "links[0].url": "https://example.org/sabrina",
            "_csrf_token": csrf_token(edit.text),
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert await _speakers(settings) == [("sabrina-fernandez", "Sabrina F.", "BR", "America/Manaus", None)]
    bad = await client.post(
        f"/orga/{CONF}/speakers/sabrina-fernandez/edit",
        data={
            "name": "X",
            "country": "BR",
            "links[1].url": "javascript:alert(1)",
            "_csrf_token": csrf_token(edit.text),
        },
        follow_redirects=False,
    )
    assert bad.status_code == 400
    assert 'id="links[1].url-error"' in bad.text
    assert 'id="timezone-error"' in bad.text
    assert await _speakers(settings) == [("sabrina-fernandez", "Sabrina F.", "BR", "America/Manaus", None)]
    gone = await client.post(
        f"/orga/{CONF}/speakers/sabrina-fernandez/delete",
        data={"_csrf_token": csrf_token(edit.text)},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    assert await _speakers(settings) == []


async def test_photo_is_resized_and_stripped_of_metadata(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    await sign_in(client, organiser.email)
    answer = await _post(
        client,
        NEW,
        _speaker(timezone="America/Sao_Paulo"),
        files={"photo": ("me.jpg", _jpeg_with_gps(), "image/jpeg")},
    )
    assert answer.status_code == 303, answer.text
    photo = await _stored_photo(settings)
    assert photo.format == "JPEG"
    assert dict(photo.getexif()) == {}
    assert "exif" not in photo.info
    # Orientation 6 applied: the 1600×1200 landscape becomes an upright portrait.
    assert photo.size == (600, 800)


async def test_png_named_jpg_is_read_by_its_content(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    await sign_in(client, organiser.email)
    answer = await _post(
        client, NEW, _speaker(timezone="America/Sao_Paulo"), files={"photo": ("me.jpg", _png(), "image/jpeg")}
    )
    assert answer.status_code == 303
    assert (await _stored_photo(settings)).size == (300, 200)


async def test_text_named_jpg_is_refused_and_nothing_written(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    await sign_in(client, organiser.email)
    answer = await _post(
        client,
        NEW,
        _speaker(timezone="America/Sao_Paulo"),
        files={"photo": ("me.jpg", b"hello, not an image\n" * 10, "image/jpeg")},
    )
    assert answer.status_code == 400
    assert '<p class="field-error" id="photo-error">The photo must be a JPEG, PNG or WebP image.</p>' in answer.text
    assert await _speakers(settings) == []
    assert await _files(settings) == 0


async def test_upload_over_5_mb_is_refused(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    await sign_in(client, organiser.email)
    answer = await _post(
        client,
        NEW,
        _speaker(timezone="America/Sao_Paulo"),
        files={"photo": ("big.jpg", b"\xff" * (6 * 1024 * 1024), "image/jpeg")},
    )
    assert answer.status_code == 413
    assert "The photo is larger than 5 MB. Choose a smaller file." in answer.text
    assert await _speakers(settings) == []
    assert await _files(settings) == 0


async def test_decompression_bomb_is_refused(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    await sign_in(client, organiser.email)
    bomb = _bomb()
    assert len(bomb) < 1024 * 1024
    answer = await _post(
        client, NEW, _speaker(timezone="America/Sao_Paulo"), files={"photo": ("bomb.png", bomb, "image/png")}
    )
    assert answer.status_code == 400
    assert "The image has too many pixels (at most 40 megapixels)." in answer.text
    assert await _speakers(settings) == []
    assert await _files(settings) == 0


async def _announced_speaker_with_photo(
    client: AsyncTestClient[Litestar], organiser: Organiser, **conference: Any
) -> None:
    await _conference(client, organiser, **conference)
    await post_ok(client, organiser, f"/api/v1/conferences/{CONF}/speakers", speaker_payload())
    await post_ok(
        client,
        organiser,
        f"/api/v1/conferences/{CONF}/sessions",
        session_payload(status="confirmed", speakers=[{"speaker": "alex-callinicos"}]),
    )
    await sign_in(client, organiser.email)
    edit = await client.get(f"/orga/{CONF}/speakers/alex-callinicos/edit")
    answer = await client.post(
        f"/orga/{CONF}/speakers/alex-callinicos/edit",
        data={"name": "Alex Callinicos", "country": "GB", "_csrf_token": csrf_token(edit.text)},
        files={"photo": ("a.png", _png(), "image/png")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


async def test_public_photo_is_served_with_etag_and_shown(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _announced_speaker_with_photo(client, organiser)
    async with database(settings) as db:
        sha = await db.scalar(select(StoredFile.sha256))
    assert sha is not None
    # Signed in or not, the page and the photo are the same: look as the public does.
    client.cookies.clear()
    # DESIGN.md's address: /media/{hash}.{ext}, the same bytes forever.
    url = f"/media/{sha}.jpg"
    page = await client.get(f"/{CONF}/speakers/alex-callinicos/")
    assert f'src="{settings.base_url.rstrip("/")}{url}"' in page.text
    assert f'src="{settings.base_url.rstrip("/")}{url}"' in (await client.get(f"/{CONF}/speakers/")).text
    photo = await client.get(url)
    assert photo.status_code == 200
    assert photo.headers["content-type"] == "image/jpeg"
    assert photo.headers["etag"] == f'"{sha}"'
    assert photo.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert Image.open(io.BytesIO(photo.content)).size == (300, 200)
    again = await client.get(url, headers={"If-None-Match": f'"{sha}"'})
    assert again.status_code == 304
    # The speaker's own photo address answers the same, revalidated (it follows a new photo).
    current = await client.get(f"/{CONF}/speakers/alex-callinicos/photo")
    assert current.content == photo.content
    assert current.headers["cache-control"] == "public, no-cache"
    # Another type, a name that is no hash, a hash of nothing stored: not found.
    for wrong in (f"/media/{sha}.png", "/media/../etc/passwd", f"/media/{'0' * 64}.jpg", f"/media/{sha}"):
        assert (await client.get(wrong)).status_code == 404, wrong


async def test_photo_of_draft_conference_is_not_public(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _announced_speaker_with_photo(client, organiser, status="draft")
    # The organiser sees it on their own pages.
    assert (await client.get(f"/orga/{CONF}/speakers/alex-callinicos/photo")).status_code == 200
    client.cookies.clear()
    assert (await client.get(f"/{CONF}/speakers/alex-callinicos/photo")).status_code == 404
    assert (await client.get(f"/orga/{CONF}/speakers/alex-callinicos/photo", follow_redirects=False)).status_code == 303
    async with database(settings) as db:
        sha = await db.scalar(select(StoredFile.sha256))
    assert (await client.get(f"/media/{sha}.jpg")).status_code == 404


async def test_api_warns_about_a_speaker_without_zone(client: AsyncTestClient[Litestar], organiser: Organiser) -> None:
    await _conference(client, organiser)
    created = await client.post(
        f"/api/v1/conferences/{CONF}/speakers",
        json=speaker_payload(slug="sabrina", name="Sabrina Fernandez", country="BR"),
        headers=organiser.headers,
    )
    assert created.status_code == 201
    body = created.json()
    assert body["timezone"] is None
    assert [w["code"] for w in body["warnings"]] == ["speaker_without_zone"]
    assert "Brazil has several time zones" in body["warnings"][0]["message"]
    listed = await client.get(f"/api/v1/conferences/{CONF}/speakers", headers=organiser.headers)
    assert [w["code"] for w in listed.json()[0]["warnings"]] == ["speaker_without_zone"]
    # Announced (in a session), Sabrina is public, and her warnings stay the organisers'.
    await post_ok(
        client, organiser, f"/api/v1/conferences/{CONF}/sessions", session_payload(speakers=[{"speaker": "sabrina"}])
    )
    public = await client.get(f"/api/v1/conferences/{CONF}/speakers")
    assert [(s["slug"], s["warnings"]) for s in public.json()] == [("sabrina", [])]
    fixed = await client.patch(
        f"/api/v1/conferences/{CONF}/speakers/sabrina",
        json={"timezone": "America/Sao_Paulo"},
        headers=organiser.headers,
    )
    assert fixed.json()["warnings"] == []


async def test_non_member_gets_404(
    client: AsyncTestClient[Litestar], organiser: Organiser, other_organiser: Organiser
) -> None:
    await _conference(client, organiser, status="draft")
    await post_ok(client, organiser, f"/api/v1/conferences/{CONF}/speakers", speaker_payload())
    await sign_in(client, other_organiser.email)
    for path in ("speakers/", "speakers/new", "speakers/alex-callinicos/edit", "speakers/zones?country=BR"):
        assert (await client.get(f"/orga/{CONF}/{path}")).status_code == 404, path


async def test_country_whose_zones_keep_one_time_is_not_asked(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    await sign_in(client, organiser.email)
    # Germany has two zones in the databases (Berlin, Büsingen) that keep the same time.
    germany = await client.get(f"/orga/{CONF}/speakers/zones?country=DE")
    assert '<option value="Europe/Berlin" selected>' in germany.text
    assert "required" not in germany.text
    # Spain's Canaries keep another time: asked.
    spain = await client.get(f"/orga/{CONF}/speakers/zones?country=ES")
    assert " selected>" not in spain.text
    assert "Spain has several time zones: choose the speaker&#39;s." in spain.text
    answer = await _post(client, NEW, _speaker(slug="de", name="Rosa", country="DE"))
    assert answer.status_code == 303
    api = await client.post(
        f"/api/v1/conferences/{CONF}/speakers",
        json=speaker_payload(slug="de-api", name="Karl", country="DE"),
        headers=organiser.headers,
    )
    assert api.json()["timezone"] == "Europe/Berlin"
    assert api.json()["warnings"] == []
    assert [row[3] for row in await _speakers(settings)] == ["Europe/Berlin", "Europe/Berlin"]


async def test_list_flags_speakers_without_zone(client: AsyncTestClient[Litestar], organiser: Organiser) -> None:
    await _conference(client, organiser)
    await post_ok(
        client, organiser, f"/api/v1/conferences/{CONF}/speakers", speaker_payload(slug="s", name="S", country="BR")
    )
    await post_ok(client, organiser, f"/api/v1/conferences/{CONF}/speakers", speaker_payload())
    await sign_in(client, organiser.email)
    listing = await client.get(f"/orga/{CONF}/speakers/")
    assert listing.text.count("no time zone") == 1
    assert "Europe/London" in listing.text
    edit = await client.get(f"/orga/{CONF}/speakers/s/edit")
    assert "Brazil has several time zones, choose the speaker&#39;s." in edit.text


async def test_photo_of_unannounced_speaker_is_not_public(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _announced_speaker_with_photo(client, organiser)
    gone = await client.delete(
        f"/api/v1/conferences/{CONF}/sessions/{session_payload()['slug']}", headers=organiser.headers
    )
    assert gone.status_code == 204
    client.cookies.clear()
    assert (await client.get(f"/{CONF}/speakers/alex-callinicos/photo")).status_code == 404


async def test_remove_photo_and_delete_speaker_delete_the_file(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _announced_speaker_with_photo(client, organiser)
    assert await _files(settings) == 1
    edit = await client.get(f"/orga/{CONF}/speakers/alex-callinicos/edit")
    assert f'src="/orga/{CONF}/speakers/alex-callinicos/photo?v=' in edit.text
    answer = await client.post(
        f"/orga/{CONF}/speakers/alex-callinicos/edit",
        data={"name": "Alex Callinicos", "country": "GB", "remove_photo": "on", "_csrf_token": csrf_token(edit.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert await _files(settings) == 0
    assert (await _speakers(settings))[0][4] is None
    # A new photo, then the speaker removed: the photo goes with them.
    await client.post(
        f"/orga/{CONF}/speakers/alex-callinicos/edit",
        data={"name": "Alex Callinicos", "country": "GB", "_csrf_token": csrf_token(edit.text)},
        files={"photo": ("a.webp", _png(), "image/webp")},
    )
    assert await _files(settings) == 1
    await client.post(f"/orga/{CONF}/speakers/alex-callinicos/delete", data={"_csrf_token": csrf_token(edit.text)})
    assert await _speakers(settings) == []
    assert await _files(settings) == 0
