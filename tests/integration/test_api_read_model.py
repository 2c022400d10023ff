"""The public API reads, served from the published read model, answer the very bytes the ORM
path answered: the reference below is that path (the services and ``*_read`` functions the
handlers used for everyone, and still use for organisers), encoded as Litestar encodes a
handler's return value. The conference is varied: Cyrillic, drafts, cancelled sessions,
unannounced speakers, photos, a logo, links, every field.

Then: ETag and 304, gzip, and organisers (a token) still get their own answers, drafts and
meeting URLs included, never the public's cached ones, nor the public theirs.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from litestar import Litestar
from litestar.serialization import encode_json, get_serializer
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import select

from confman.app import create_app
from confman.conferences.api import _media_name, conference_read, stream_read, track_read
from confman.conferences.branding import logo_of
from confman.conferences.services import ConferenceService, StreamService, TrackService
from confman.db.models import Conference
from confman.programme.api import session_read
from confman.programme.services import SessionService
from confman.settings import Settings
from confman.speakers.api import speaker_read
from confman.speakers.photos import photo_of, photo_versions
from confman.speakers.services import SpeakerService
from tests.factories import Organiser, conference_payload, database, post_ok, session_payload, speaker_payload

API = "/api/v1/conferences"
CONF = f"{API}/klimat-2027"


def _png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (90, 60), colour).save(out, "PNG")
    return out.getvalue()


async def build_conference(client: AsyncTestClient[Litestar], organiser: Organiser) -> None:
    await post_ok(client, organiser, API, conference_payload(
        slug="klimat-2027", timezone="Asia/Yekaterinburg", default_language="ru",
        title={"ru": "Климат и капитал", "en": "Climate and capital"},
        description={"ru": "Онлайн-конференция «без границ»", "en": "An online conference."},
        starts_on="2027-11-14", ends_on="2027-11-15", accent_color="#2A7F62",
        embed_origins=["https://example.org"],
    ))  # fmt: skip
    logo = await client.put(f"{CONF}/logo", content=_png("#123456"),
                            headers={**organiser.headers, "content-type": "image/png"})  # fmt: skip
    assert logo.status_code == 200, logo.text
    for slug, name, color in (
        ("zelyonyj", {"ru": "Зелёный путь", "en": "Green"}, "#2a7f62"),
        ("a-main", {"ru": "Главный", "en": "Main"}, None),
        ("b-labour", {"ru": "Труд"}, "#aa3300")
    ):  # fmt: skip
        await post_ok(client, organiser, f"{CONF}/tracks", {"slug": slug, "name": name, "color": color})
    await post_ok(client, organiser, f"{CONF}/streams",
                  {"slug": "room-b", "name": "Зал Б", "public_url": "https://video.example.org/b",
                   "meeting_url": "https://meet.example.org/secret-b"})  # fmt: skip
    await post_ok(client, organiser, f"{CONF}/streams", {"slug": "room-a", "name": "Room A"})
    ordered = await client.put(
        f"{CONF}/streams/order", json={"streams": ["room-b", "room-a"]}, headers=organiser.headers
    )
    assert ordered.status_code == 200, ordered.text
    speakers = [
        speaker_payload(slug="olga", name="Ольга Ёлкина", country="RU", timezone="Europe/Moscow",
                        bio={"ru": "Экономист, *марксист*.", "en": "Economist."},
                        links=[{"title": "Сайт", "url": "https://olga.example.org/?a=1&b=2"},
                               {"title": "Blog", "url": "https://blog.example.org"}]),
        speaker_payload(slug="alex", name="Alex Callinicos", country="GB"),
        speaker_payload(slug="zara", name="zara de la Cruz", country="MX", timezone="America/Mexico_City"),
        speaker_payload(slug="drafty", name="Drafty Draftson", country="DE"),  # only in a draft: unannounced
        speaker_payload(slug="idle", name="Aaron Idle", country="FR"),  # in no session: unannounced
        speaker_payload(slug="cancel", name="Cara Cancelled", country="BR"),  # only in a cancelled session
    ]  # fmt: skip
    for speaker in speakers:
        await post_ok(client, organiser, f"{CONF}/speakers", speaker)
    for slug, colour in (("olga", "#aa0000"), ("drafty", "#00aa00")):
        photo = await client.put(f"{CONF}/speakers/{slug}/photo", content=_png(colour),
                                 headers={**organiser.headers, "content-type": "image/png"})  # fmt: skip
        assert photo.status_code == 200, photo.text
    sessions = [
        session_payload(slug="otkrytie", title={"ru": "Открытие", "en": "Opening"}, kind="keynote",
                        abstract={"ru": "О «зелёном» капитализме."}, track="zelyonyj", stream="room-b",
                        starts_at="2027-11-14T09:00:00+05:00", ends_at="2027-11-14T10:00:00+05:00",
                        speakers=[{"speaker": "olga", "role": "speaker"}, {"speaker": "alex", "role": "chair"},
                                  {"speaker": "zara", "role": "moderator"}],
                        meeting_url="https://meet.example.org/secret-1"),
        # Same start: ordered by slug.
        session_payload(slug="a-parallel", title={"ru": "Параллельно", "en": "Parallel"}, language="en",
                        stream="room-a",
                        starts_at="2027-11-14T09:00:00+05:00", ends_at="2027-11-14T09:45:00+05:00",
                        speakers=[{"speaker": "zara"}], capacity=40, kind="workshop"),
        session_payload(slug="otmena", title={"ru": "Отменено"}, track="b-labour", status="cancelled",
                        starts_at="2027-11-15T12:00:00", ends_at="2027-11-15T13:30:00",
                        speakers=[{"speaker": "cancel"}, {"speaker": "alex"}]),
        session_payload(slug="chernovik", title={"ru": "Черновик"}, status="draft",
                        starts_at="2027-11-14T11:00:00+05:00", ends_at="2027-11-14T12:00:00+05:00",
                        speakers=[{"speaker": "drafty"}, {"speaker": "olga"}]),
        session_payload(slug="pereryv", title={"ru": "Перерыв"}, kind="break",
                        starts_at="2027-11-14T10:00:00+05:00", ends_at="2027-11-14T10:20:00+05:00"),
    ]  # fmt: skip
    for session in sessions:
        await post_ok(client, organiser, f"{CONF}/sessions", session)
    # A later change: revision 2 and a new changed_at for one session.
    patched = await client.patch(f"{CONF}/sessions/otkrytie", json={"capacity": 100}, headers=organiser.headers)
    assert patched.status_code == 200, patched.text


async def reference_bodies(app: Litestar, settings: Settings) -> dict[str, bytes]:
    """Path → the body the ORM path answers the public (no token), encoded as Litestar does."""
    serializer = get_serializer(app.type_encoders)

    def encoded(value: Any) -> bytes:
        return encode_json(value, serializer)

    app_settings = app.dependencies["settings"].dependency()
    bodies: dict[str, bytes] = {}
    async with database(settings) as db:
        service = ConferenceService(db)
        access = await service.access("klimat-2027", None)
        conference = access.conference
        logo = (await db.execute(select(Conference).where(Conference.id == conference.id))).scalar_one()
        stored = await logo_of(db, logo)
        bodies[CONF] = encoded(conference_read(access, app_settings, _media_name(stored)))
        sessions = await SessionService(db).list(conference, public_only=True)
        bodies[f"{CONF}/sessions"] = encoded(
            [session_read(conference, s, app_settings, organiser=False) for s in sessions]
        )
        for s in sessions:
            bodies[f"{CONF}/sessions/{s.slug}"] = encoded(session_read(conference, s, app_settings, organiser=False))
        speakers = SpeakerService(db)
        slugs = await speakers.session_slugs(conference, public_only=True)
        photos = await photo_versions(db, conference)
        announced = [s for s in await speakers.list(conference) if s.id in slugs]
        bodies[f"{CONF}/speakers"] = encoded([speaker_read(s, slugs[s.id], photo=photos.get(s.id)) for s in announced])
        for s in announced:
            photo = await photo_of(db, s)
            bodies[f"{CONF}/speakers/{s.slug}"] = encoded(
                speaker_read(s, slugs[s.id], photo=photo.sha256 if photo else None)
            )
        tracks = await TrackService(db).list(conference)
        bodies[f"{CONF}/tracks"] = encoded([track_read(t) for t in tracks])
        for t in tracks:
            bodies[f"{CONF}/tracks/{t.slug}"] = encoded(track_read(t))
        streams = await StreamService(db).list(conference)
        bodies[f"{CONF}/streams"] = encoded([stream_read(s, organiser=False) for s in streams])
        for s in streams:
            bodies[f"{CONF}/streams/{s.slug}"] = encoded(stream_read(s, organiser=False))
    return bodies


async def test_public_api_reads_answer_the_orm_paths_bytes(
    client: AsyncTestClient[Litestar], app: Litestar, organiser: Organiser, settings: Settings
) -> None:
    await build_conference(client, organiser)
    expected = await reference_bodies(app, settings)
    # Everything the walk covers: every public read of the conference, one by one and listed.
    assert len(expected) == 1 + 1 + 4 + 1 + 4 + 1 + 3 + 1 + 2, sorted(expected)
    assert b"chernovik" not in expected[f"{CONF}/sessions"]
    assert b"Drafty" not in expected[f"{CONF}/speakers"]
    assert b"Aaron" not in expected[f"{CONF}/speakers"]
    assert "Климат".encode() in expected[CONF]
    for round_ in ("miss", "hit"):
        for path, body in expected.items():
            answer = await client.get(path, headers={"accept-encoding": "identity"})
            assert answer.status_code == 200, (round_, path, answer.text)
            assert answer.content == body, (round_, path)
            assert answer.headers["content-type"] == "application/json"
    # Unannounced speakers and drafts: 404, as before.
    for path in (f"{CONF}/speakers/drafty", f"{CONF}/speakers/idle", f"{CONF}/sessions/chernovik"):
        assert (await client.get(path)).status_code == 404, path
    # The new path's validators: a revalidation is a 304; gzip decodes to the same bytes.
    sessions = await client.get(f"{CONF}/sessions", headers={"accept-encoding": "identity"})
    assert sessions.headers["vary"] == "Accept-Encoding, Authorization"
    again = await client.get(f"{CONF}/sessions", headers={"if-none-match": sessions.headers["etag"],
                                                          "accept-encoding": "identity"})  # fmt: skip
    assert (again.status_code, again.content) == (304, b"")
    zipped = await client.get(f"{CONF}/sessions", headers={"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == expected[f"{CONF}/sessions"]
    assert zipped.headers["etag"] != sessions.headers["etag"]


@pytest.mark.parametrize("organiser_first", [False, True])
async def test_organisers_and_the_public_never_get_each_others_answers(
    settings: Settings, organiser: Organiser, organiser_first: bool
) -> None:
    # The micro-cache on, as in production (the suite's apps run without it).
    app = create_app(settings.model_copy(update={"programme_cache_seconds": 60.0}))
    async with AsyncTestClient(app, base_url="http://testserver.local") as client:
        await build_conference(client, organiser)
        paths = (f"{CONF}/sessions", f"{CONF}/sessions/chernovik", f"{CONF}/speakers", f"{CONF}/speakers/drafty",
                 f"{CONF}/streams", CONF)  # fmt: skip
        for _ in range(2):
            answers = {}
            for who in ("organiser", "public") if organiser_first else ("public", "organiser"):
                headers = organiser.headers if who == "organiser" else {}
                answers[who] = {path: await client.get(path, headers=headers) for path in paths}
            organisers, public = answers["organiser"], answers["public"]
            assert all(answer.status_code == 200 for answer in organisers.values())
            assert b"chernovik" in organisers[f"{CONF}/sessions"].content
            assert b"secret-1" in organisers[f"{CONF}/sessions"].content
            assert b"Drafty" in organisers[f"{CONF}/speakers"].content
            assert b"secret-b" in organisers[f"{CONF}/streams"].content
            assert b'"role":"owner"' in organisers[CONF].content
            assert "etag" not in organisers[f"{CONF}/sessions"].headers
            assert public[f"{CONF}/sessions/chernovik"].status_code == 404
            assert public[f"{CONF}/speakers/drafty"].status_code == 404
            for answer in (public[f"{CONF}/sessions"], public[f"{CONF}/speakers"], public[f"{CONF}/streams"]):
                assert answer.status_code == 200
                assert b"chernovik" not in answer.content
                assert b"Drafty" not in answer.content
                assert b"secret" not in answer.content
            assert b'"role":null' in public[CONF].content
