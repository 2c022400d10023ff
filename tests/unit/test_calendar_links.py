import uuid
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

from confman.db.models import SessionKind
from confman.published.model import PublicConference, PublicSession
from confman.site.calendar_links import programme_calendar_links, session_calendar_links

MOMENT = datetime(2027, 11, 1, tzinfo=UTC)


def _conference() -> PublicConference:
    return PublicConference(
        id=1,
        slug="climate-2027",
        title={"en": "Climate"},
        description={},
        timezone="Europe/London",
        default_language="en",
        languages=("en", "ru"),
        starts_on=date(2027, 11, 14),
        ends_on=date(2027, 11, 14),
        version=1,
        changed_at=MOMENT,
        guid=uuid.uuid4(),
    )


def _session() -> PublicSession:
    return PublicSession(
        guid=uuid.uuid4(),
        slug="limits-of-cop26",
        title={"en": "Limits, & more", "ru": "Пределы"},
        abstract={"en": "Why summits fail."},
        kind=SessionKind.TALK,
        language="en",
        track=None,
        stream=None,
        starts_at=datetime(2027, 11, 14, 10, 30, tzinfo=UTC),
        ends_at=datetime(2027, 11, 14, 12, 0, tzinfo=UTC),
        cancelled=False,
        capacity=None,
        revision=0,
        changed_at=MOMENT,
        created_at=MOMENT,
        id=1,
    )


def test_session_calendar_links_cover_every_kind_of_calendar() -> None:
    links = session_calendar_links("https://confman.example", _conference(), _session(), "ru")

    # Read in Russian, a language of the conference's content: the feed keeps it.
    assert links.ics == "https://confman.example/climate-2027/sessions/limits-of-cop26.ics?lang=ru"
    assert links.webcal == "webcal://confman.example/climate-2027/sessions/limits-of-cop26.ics?lang=ru"
    google = parse_qs(urlsplit(links.google or "").query)
    assert google["text"] == ["Пределы"]
    assert google["dates"] == ["20271114T103000Z/20271114T120000Z"]
    assert google["ctz"] == ["Europe/London"]
    outlook = parse_qs(urlsplit(links.outlook or "").query)
    assert outlook["startdt"] == ["2027-11-14T10:30:00Z"]
    assert outlook["enddt"] == ["2027-11-14T12:00:00Z"]
    assert outlook["location"] == ["https://confman.example/climate-2027/sessions/limits-of-cop26/"]


def test_programme_calendar_links_subscribe_by_webcal() -> None:
    links = programme_calendar_links("https://confman.example", _conference())

    assert links.webcal == "webcal://confman.example/climate-2027/programme.ics"
    assert links.google is None
