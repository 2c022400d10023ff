"""Meeting URLs are secret: no public answer, no attendee page or feed, no e-mail ever carries one.

A conference around *now* (two streams, a session with its own room, a workshop with seats,
a cancelled and a draft session) gets distinct unguessable meeting URLs and recording URLs
everywhere. Then everything the public can reach is crawled: the seeded pages in every
conference language and in another zone, every feed, export and public API answer, the
OpenAPI document, 404 pages, and every same-origin link found on the way (breadth first).
The registered attendee's own page, personal feed and e-mails are crawled as well: they
carry join links, never meeting URLs.

The join link (``/join/{token}/{session}``) is the one place allowed to reveal a meeting URL,
and only as the 302 ``Location`` of a session whose window is open, exactly that session's
URL. A recording URL is shown only on the gate of its session once it has ended.
"""

from __future__ import annotations

import re
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
import lxml.html
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from confman.db.models import OutboxMail
from confman.settings import Settings
from confman.worker import MailWorker
from tests.factories import (
    Organiser,
    conference_payload,
    database,
    outbox,
    post_ok,
    put_registration_settings,
    registration_payload,
)

Client = AsyncTestClient[Litestar]
BASE = "http://testserver.local"
SLUG = "climate-2027"
CONF = f"/api/v1/conferences/{SLUG}"
LANGUAGES = ("en", "es", "fr", "ru")
MARKERS = ("SECRET-", "REC-")
# A crawl that finds more than this is following a link that multiplies (a bug in itself).
MAX_FETCHES = 3000
# An absolute same-origin URL anywhere in a body (JSON, XML, iCalendar, e-mail text).
_ABSOLUTE = re.compile(r"(?:https?|webcal)://testserver\.local(?:/[^\s\"'<>\\)]*)?")


def secret() -> str:
    return f"https://meet.example.org/SECRET-{uuid.uuid4().hex}"


def recording() -> str:
    return f"https://video.example.org/REC-{uuid.uuid4().hex}?part=1"


@dataclass
class Secrets:
    meeting: dict[str, str] = field(default_factory=dict)  # stream:<slug> or session slug -> URL
    recording: dict[str, str] = field(default_factory=dict)  # session slug -> URL

    def all_meeting(self) -> list[str]:
        return list(self.meeting.values())


@dataclass
class Answer:
    url: str
    status: int
    headers: list[tuple[str, str]]
    text: str


def _normalised(text: str) -> str:
    """The text with iCalendar line folding undone (a URL may be split over two lines)."""
    return text.replace("\r\n ", "").replace("\r\n\t", "").replace("\n ", "").replace("\n\t", "")


def leaks(answer_text: str, needles: list[str]) -> list[str]:
    """Which of ``needles`` (URLs, also HTML-escaped or by their random part alone) appear in
    ``answer_text``, compared case-insensitively, with iCalendar folding and JSON's ``\\/`` undone."""
    unfolded = _normalised(answer_text)
    haystack = "\n".join((answer_text, unfolded, unfolded.replace("\\/", "/"))).lower()
    found = []
    for needle in needles:
        variants = {needle, needle.replace("&", "&amp;")}
        if "/SECRET-" in needle or "/REC-" in needle:
            variants.add(needle.rsplit("-", 1)[1].split("?")[0])  # the random part alone
        if any(variant.lower() in haystack for variant in variants):
            found.append(needle)
    return found


def answer_text(response: httpx.Response) -> str:
    return response.content.decode("utf-8", errors="replace")


def headers_text(response: httpx.Response) -> list[tuple[str, str]]:
    return list(response.headers.multi_items())


def local_path(url: str) -> str | None:
    """The path and query of a same-origin URL (webcal:// too), or None for another site."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https", "webcal", ""} or parts.netloc not in {"testserver.local", ""}:
        return None
    if not parts.path.startswith("/"):
        return None
    return urlunsplit(("", "", parts.path, parts.query, ""))


def links_in(path: str, response: httpx.Response) -> set[str]:
    """Same-origin links of an answer: href and src of HTML, and any absolute URL in any body."""
    found: set[str] = set()
    text = answer_text(response)
    for match in _ABSOLUTE.findall(_normalised(text)):
        found.add(match.rstrip(".,;"))
    if response.headers.get("content-type", "").startswith("text/html") and text.strip():
        tree = lxml.html.fromstring(text)
        for element in tree.iter():
            for name in ("href", "src"):
                value = element.get(name)
                if value and not value.startswith(("#", "mailto:", "data:", "javascript:")):
                    found.add(urljoin(BASE + path, value))
    location = response.headers.get("location")
    if location:
        found.add(urljoin(BASE + path, location))
    return {p for p in (local_path(url) for url in found) if p is not None}


def with_query(path: str, query: str) -> str:
    return path + ("&" if "?" in path else "?") + query


# --- the conference -----------------------------------------------------------------------------


def _session(slug: str, starts: datetime, minutes: int, secrets_: Secrets, **extra: Any) -> dict[str, Any]:
    secrets_.recording[slug] = recording()
    return {
        "slug": slug,
        "title": {"en": f"Session {slug}", "es": f"Sesión {slug}", "ru": f"Сессия {slug}"},
        "abstract": {"en": f"What *{slug}* is about."},
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=minutes)).isoformat(),
        "status": "confirmed",
        "recording_url": secrets_.recording[slug],
        **extra,
    }


async def build(client: Client, organiser: Organiser) -> Secrets:
    """Sessions around now (join windows open 15 minutes before the start):

    - ``now`` (stream main): open; ``own-room`` (stream side, its own URL): open;
    - ``workshop`` (no stream, its own URL, 2 seats): open; ``soon`` (side), ``shortly`` (main): early;
    - ``over`` (main): ended; ``called-off`` (its own URL): cancelled; ``hidden`` (its own URL): draft.
    """
    secrets_ = Secrets()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    today = now.date()
    await post_ok(
        client,
        organiser,
        "/api/v1/conferences",
        conference_payload(
            starts_on=str(today - timedelta(days=1)), ends_on=str(today + timedelta(days=1)), timezone="UTC"
        ),
    )
    await post_ok(client, organiser, f"{CONF}/tracks", {"slug": "plenary", "name": {"en": "Plenary"}})
    for slug, name in (("main", "Main hall"), ("side", "Side room")):
        secrets_.meeting[f"stream:{slug}"] = secret()
        await post_ok(
            client,
            organiser,
            f"{CONF}/streams",
            {
                "slug": slug,
                "name": name,
                "meeting_url": secrets_.meeting[f"stream:{slug}"],
                "public_url": f"https://live.example.org/{slug}",
            },
        )
    for slug, name, country in (("ana-lima", "Ana Lima", "BR"), ("kofi-mensah", "Kofi Mensah", "GH")):
        await post_ok(client, organiser, f"{CONF}/speakers", {"slug": slug, "name": name, "country": country})
    speakers = [{"speaker": "ana-lima"}, {"speaker": "kofi-mensah", "role": "chair"}]
    for slug in ("own-room", "workshop", "called-off", "hidden"):
        secrets_.meeting[slug] = secret()
    bodies = [
        _session("now", now - timedelta(minutes=5), 60, secrets_, stream="main", track="plenary", speakers=speakers),
        _session(
            "own-room",
            now - timedelta(minutes=5),
            60,
            secrets_,
            stream="side",
            meeting_url=secrets_.meeting["own-room"],
            speakers=[{"speaker": "kofi-mensah"}],
        ),
        _session(
            "workshop",
            now - timedelta(minutes=5),
            60,
            secrets_,
            kind="workshop",
            capacity=2,
            meeting_url=secrets_.meeting["workshop"],
            speakers=[{"speaker": "ana-lima"}],
        ),
        _session("soon", now + timedelta(hours=2), 60, secrets_, stream="side", speakers=speakers),
        # Its reminder e-mail (with the join link) is due now; its window opens in 15 minutes.
        _session("shortly", now + timedelta(minutes=30), 30, secrets_, stream="main"),
        _session("over", now - timedelta(hours=3), 60, secrets_, stream="main", speakers=[{"speaker": "ana-lima"}]),
        _session(
            "called-off",
            now - timedelta(minutes=5),
            60,
            secrets_,
            stream="main",
            status="cancelled",
            meeting_url=secrets_.meeting["called-off"],
            speakers=[{"speaker": "kofi-mensah"}],
        ),
        _session(
            "hidden",
            now + timedelta(hours=1),
            60,
            secrets_,
            stream="side",
            status="draft",
            meeting_url=secrets_.meeting["hidden"],
            speakers=[{"speaker": "ana-lima"}],
        ),
    ]
    for body in bodies:
        await post_ok(client, organiser, f"{CONF}/sessions", body)
    await put_registration_settings(client, organiser, SLUG, double_opt_in=False)
    return secrets_


# Where each session's open join link must lead (the session's own URL, else its stream's).
def expected_meeting(secrets_: Secrets) -> dict[str, str]:
    return {
        "now": secrets_.meeting["stream:main"],
        "own-room": secrets_.meeting["own-room"],
        "workshop": secrets_.meeting["workshop"],
    }


PUBLIC_SESSIONS = ("now", "own-room", "workshop", "soon", "shortly", "over", "called-off")
SPEAKERS = ("ana-lima", "kofi-mensah")


def public_seeds() -> list[str]:
    pages = [
        "/",
        f"/{SLUG}/",
        f"/{SLUG}/programme/",
        f"/{SLUG}/speakers/",
        f"/{SLUG}/register/",
        *[f"/{SLUG}/sessions/{s}/" for s in (*PUBLIC_SESSIONS, "hidden")],
        *[f"/{SLUG}/speakers/{s}/" for s in SPEAKERS],
    ]
    variants = [
        *pages,
        *[with_query(p, f"lang={language}") for p in pages for language in LANGUAGES],
        *[with_query(p, "tz=Asia/Tokyo") for p in pages],
        *[with_query(p, "lang=ru&tz=Pacific/Auckland") for p in pages],
    ]
    files = [
        f"/{SLUG}/programme.ics",
        f"/{SLUG}/schedule.json",
        f"/{SLUG}/schedule.xml",
        *[f"/{SLUG}/sessions/{s}.ics" for s in (*PUBLIC_SESSIONS, "hidden")],
        *[f"/{SLUG}/speakers/{s}.ics" for s in SPEAKERS],
    ]
    api = [
        "/api/v1/conferences",
        "/api/v1/conferences/",
        CONF,
        f"{CONF}/sessions",
        *[f"{CONF}/sessions/{s}" for s in (*PUBLIC_SESSIONS, "hidden")],
        f"{CONF}/speakers",
        *[f"{CONF}/speakers/{s}" for s in SPEAKERS],
        f"{CONF}/streams",
        f"{CONF}/streams/main",
        f"{CONF}/streams/side",
        f"{CONF}/tracks",
        f"{CONF}/tracks/plenary",
        f"{CONF}/registration-settings",
        f"{CONF}/attendance",
        f"{CONF}/sessions/now/attendance",
        f"{CONF}/members",
        "/schema/openapi.json",
        "/schema/openapi.yaml",
        "/schema/swagger",
    ]
    missing = [
        "/no-such-page",
        "/no-such-conference/",
        f"/{SLUG}/sessions/no-such-session/",
        f"/{SLUG}/speakers/no-such-speaker/",
        f"/{SLUG}/sessions/no-such-session.ics",
        f"{CONF}/sessions/no-such-session",
        "/me/m_no-such-token/",
        "/me/f_no-such-token/calendar.ics",
        "/_dev/mailbox/",
    ]
    return [*variants, *files, *api, *missing]


# --- crawling -----------------------------------------------------------------------------------


@dataclass
class Crawl:
    answers: dict[str, Answer] = field(default_factory=dict)
    join_links: set[str] = field(default_factory=set)


async def crawl(client: Client, seeds: list[str], crawl_state: Crawl, *, follow: bool = True) -> None:
    """Breadth first over every same-origin link, GET only; /join/ links are only collected.
    Without ``follow``: the seeds alone."""
    queue = deque(seeds)
    while queue:
        path = queue.popleft()
        if path.startswith("/join/"):
            crawl_state.join_links.add(path)
            continue
        if path in crawl_state.answers:
            continue
        assert len(crawl_state.answers) < MAX_FETCHES, f"the crawl keeps finding new links (last: {path})"
        response = await client.get(path)
        assert response.status_code < 500, (path, response.status_code, response.text[:500])
        crawl_state.answers[path] = Answer(path, response.status_code, headers_text(response), answer_text(response))
        for link in sorted(links_in(path, response)) if follow else []:
            if link not in crawl_state.answers:
                queue.append(link)


def assert_nothing_leaks(answers: list[Answer], needles: list[str], what: str) -> None:
    problems = []
    for answer in answers:
        in_body = leaks(answer.text, needles)
        in_headers = leaks("\n".join(f"{k}: {v}" for k, v in answer.headers), needles)
        if in_body or in_headers:
            problems.append((answer.url, answer.status, in_body, in_headers))
    assert not problems, f"{what} reveal secret URLs: {problems}"


def assert_no_markers(answers: list[Answer], what: str) -> None:
    bad = [
        (answer.url, marker)
        for answer in answers
        for marker in MARKERS
        if marker.lower() in (answer.text + "\n" + repr(answer.headers)).lower()
    ]
    assert not bad, f"{what} carry a secret marker: {bad}"


async def register_rosa(client: Client, settings: Settings) -> tuple[httpx.Response, str]:
    """Register as the public does (JSON API) and return the answer and the attendee page path."""
    response = await client.post(
        f"{CONF}/registrations",
        json=registration_payload(email="rosa@example.org", language="en", timezone="Asia/Tokyo"),
    )
    assert response.status_code in {200, 201, 202}, response.text
    mails = [m for m in await outbox(settings) if m.recipient == "rosa@example.org" and "manage_url" in m.context]
    assert mails, "no e-mail with the attendee page"
    url: str = mails[-1].context["manage_url"]
    assert url.startswith(f"{BASE}/me/"), url
    return response, url.removeprefix(BASE)


def csrf_of(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


async def test_meeting_urls_reach_only_the_join_redirect(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    client.follow_redirects = False
    secrets_ = await build(client, organiser)
    meeting_urls = secrets_.all_meeting()
    recording_urls = list(secrets_.recording.values())
    assert len(set(meeting_urls)) == 6
    assert len(set(recording_urls)) == 8

    # The organiser's own view has them (else the crawl below would prove nothing).
    organiser_view = await client.get(f"{CONF}/sessions/own-room", headers=organiser.headers)
    assert organiser_view.json()["meeting_url"] == secrets_.meeting["own-room"]
    assert organiser_view.json()["recording_url"] == secrets_.recording["own-room"]
    # ... and the detector sees them there (also without the marker, by their random part).
    assert leaks(organiser_view.text, meeting_urls) == [secrets_.meeting["own-room"]]
    assert leaks(organiser_view.text.replace("SECRET-", "x-"), meeting_urls) == [secrets_.meeting["own-room"]]
    client.cookies.clear()

    # 1. The public: no cookies, no token.
    public = Crawl()
    await crawl(client, public_seeds(), public)
    assert public.join_links == set(), "public pages link to the join gate"
    statuses = {path: a.status for path, a in public.answers.items()}
    for path in (f"/{SLUG}/programme/", f"/{SLUG}/sessions/now/", f"/{SLUG}/programme.ics", f"{CONF}/sessions"):
        assert statuses[path] == 200, (path, statuses[path])
    for path in (f"/{SLUG}/sessions/hidden/", f"{CONF}/sessions/hidden", "/no-such-page", "/_dev/mailbox/"):
        assert statuses[path] == 404, (path, statuses[path])
    # The crawl reached beyond the seeds (links found on the pages were followed).
    assert len(public.answers) > len(set(public_seeds()))
    public_answers = list(public.answers.values())
    assert_nothing_leaks(public_answers, meeting_urls + recording_urls, "public answers")
    assert_no_markers(public_answers, "public answers")

    # 2. The attendee: the registration answer, their page, its links, their feed.
    registered, page_path = await register_rosa(client, settings)
    registration_answer = Answer(
        "POST registrations", registered.status_code, headers_text(registered), registered.text
    )
    page = await client.get(page_path)
    assert page.status_code == 200, page.text
    # Take a workshop seat, so that the workshop's join link opens too.
    taken = await client.post(f"{page_path}seats/workshop", data={"_csrf_token": csrf_of(page.text), "action": "take"})
    assert taken.status_code == 303, taken.text
    seat_answer = Answer("POST seat", taken.status_code, headers_text(taken), taken.text)

    private = Crawl(answers=dict(public.answers))
    private_seeds = [page_path, *[with_query(page_path, f"lang={language}") for language in LANGUAGES]]
    private_seeds.append(with_query(page_path, "tz=America/Sao_Paulo"))
    await crawl(client, private_seeds, private)
    attendee_answers = [a for path, a in private.answers.items() if path not in public.answers]
    feeds = [a.url for a in attendee_answers if a.url.startswith("/me/") and a.url.endswith("/calendar.ics")]
    assert len(feeds) == 1, feeds
    assert private.answers[feeds[0]].status == 200
    assert "BEGIN:VEVENT" in private.answers[feeds[0]].text
    assert private.answers[page_path].status == 200
    assert_nothing_leaks(
        [*attendee_answers, registration_answer, seat_answer], meeting_urls + recording_urls, "attendee answers"
    )
    assert_no_markers([*attendee_answers, registration_answer, seat_answer], "attendee answers")

    # 3. The join gate: the page and feed link the joinable sessions; only open ones redirect.
    join_token = {path.split("/")[2] for path in private.join_links}
    assert len(join_token) == 1, private.join_links
    token = join_token.pop()
    linked = {path.rsplit("/", 1)[1] for path in private.join_links}
    assert linked == {"now", "own-room", "workshop", "soon", "shortly", "over"}, linked
    gate_paths = {slug: f"/join/{token}/{slug}" for slug in (*sorted(linked), "called-off", "hidden", "nope")}
    gates = {slug: await client.get(path) for slug, path in gate_paths.items()}
    client.cookies.clear()
    gates_without_cookies = {slug: await client.get(path) for slug, path in gate_paths.items()}

    for answers in (gates, gates_without_cookies):
        assert {slug: r.status_code for slug, r in answers.items()} == {
            "now": 302, "own-room": 302, "workshop": 302, "soon": 200, "shortly": 200, "over": 410,
            "called-off": 410, "hidden": 404, "nope": 404,
        }  # fmt: skip
        for slug, meeting in expected_meeting(secrets_).items():
            redirect = answers[slug]
            assert redirect.headers["location"] == meeting, slug
            others = [url for url in meeting_urls if url != meeting] + recording_urls
            body_and_other_headers = Answer(
                slug,
                redirect.status_code,
                [(k, v) for k, v in headers_text(redirect) if k != "location"],
                answer_text(redirect),
            )
            assert_nothing_leaks([body_and_other_headers], meeting_urls + recording_urls, f"the {slug} redirect")
            assert_nothing_leaks([Answer(slug, 302, headers_text(redirect), "")], others, f"the {slug} redirect")
        gate_pages = [
            Answer(slug, r.status_code, headers_text(r), answer_text(r))
            for slug, r in answers.items()
            if slug not in expected_meeting(secrets_)
        ]
        assert_nothing_leaks(gate_pages, meeting_urls, "gate pages")
        # Only the ended session's gate offers its own recording.
        over = next(page for page in gate_pages if page.url == "over")
        assert "Watch the recording" in over.text
        assert secrets_.recording["over"].replace("&", "&amp;") in over.text
        assert_nothing_leaks(gate_pages, [u for s, u in secrets_.recording.items() if s != "over"], "gate pages")
        assert_nothing_leaks([p for p in gate_pages if p.url != "over"], [secrets_.recording["over"]], "gate pages")

    # 4. The e-mails (confirmation and reminders, as the worker writes them): join links only.
    worker = MailWorker(settings)
    try:
        await worker.queue_reminders()
        while await worker.run_once():
            pass
    finally:
        await worker.close()
    mails = sorted(settings.mailbox_dir.glob("*.eml"))
    assert mails, "the worker wrote no e-mail"
    mail_answers = []
    for path in mails:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        parts = [
            part.get_content() for part in message.walk() if not part.is_multipart() and part.get_content_maintype()
        ]
        text = "\n".join(p if isinstance(p, str) else p.decode("utf-8", "replace") for p in parts)
        mail_answers.append(Answer(path.name, 0, list(message.items()), text))
    async with database(settings) as db:
        contexts = [repr((m.kind, m.context)) for m in await db.scalars(select(OutboxMail))]
    mail_answers += [Answer("outbox", 0, [], context) for context in contexts]
    assert {"confirmed", "reminder"} <= {m.kind for m in await outbox(settings)}
    assert any("/join/" in answer.text for answer in mail_answers), "the e-mails carry no join link"
    assert_nothing_leaks(mail_answers, meeting_urls + recording_urls, "e-mails")
    assert_no_markers(mail_answers, "e-mails")

    # 5. Nothing changed for the public after registering, joining and mailing: the seeds again.
    again = Crawl()
    await crawl(client, public_seeds(), again, follow=False)
    assert again.join_links == set()
    assert_nothing_leaks(list(again.answers.values()), meeting_urls + recording_urls, "public answers (again)")
