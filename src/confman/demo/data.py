"""The demo: "The Revolutionary Alternative to Capitalism's Climate Disaster".

The announcement gives 14 November on a Sunday and no year; the demo takes the next
such date, so that its registration is open. Its programme keeps the announced
titles, completes the cut-off "Marxism, …" and gives every listed speaker a slot at
a waking hour in their own zone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.changes.schemas import ReleaseCreate
from confman.changes.services import ReleaseService
from confman.conferences.schemas import ConferenceCreate, StreamCreate, TrackCreate
from confman.conferences.services import ConferenceService, StreamService, TrackService
from confman.conferences.versioning import record_programme_change, record_session_change
from confman.db.models import Conference, ConferenceSession, RegistrationSettings, Stream, User
from confman.demo.news import load_demo_news
from confman.lib.timezones import get_zone
from confman.programme.schemas import SessionCreate
from confman.programme.services import SessionService
from confman.registration.schemas import Question
from confman.speakers.schemas import SpeakerCreate
from confman.speakers.services import SpeakerService

DEMO_SLUG = "climate-2027"
ZONE = "Europe/London"


def demo_date(today: date) -> date:
    """The next 14 November (from ``today`` on) that falls on a Sunday."""
    year = today.year if today <= date(today.year, 11, 14) else today.year + 1
    while date(year, 11, 14).weekday() != 6:
        year += 1
    return date(year, 11, 14)


CONFERENCE = {
    "title": {
        "en": "The Revolutionary Alternative to Capitalism's Climate Disaster",
        "es": "La alternativa revolucionaria al desastre climático del capitalismo",
        "fr": "L'alternative révolutionnaire au désastre climatique du capitalisme",
        "ru": "Революционная альтернатива климатической катастрофе капитализма",
    },
    "description": {
        "en": "An online conference on the climate crisis, why capitalism cannot solve it, "
        "and the movements that can. Speakers join from Brazil to Australia.",
        "es": "Una conferencia en línea sobre la crisis climática, por qué el capitalismo no puede "
        "resolverla y los movimientos que sí pueden. Ponentes desde Brasil hasta Australia.",
        "fr": "Une conférence en ligne sur la crise climatique, pourquoi le capitalisme ne peut pas "
        "la résoudre et les mouvements qui le peuvent. Des intervenants du Brésil à l'Australie.",
        "ru": "Онлайн-конференция о климатическом кризисе, о том, почему капитализм не может его "
        "решить, и о движениях, которые могут. Докладчики из Бразилии, Австралии и других стран.",
    },
}

# slug, name, ISO country, zone (given where the country spans several)
SPEAKERS: list[tuple[str, str, str, str | None]] = [
    ("sabrina-fernandez", "Sabrina Fernandez", "BR", "America/Sao_Paulo"),
    ("alex-callinicos", "Alex Callinicos", "GB", None),
    ("ozdes-ozbay", "Özdeş Özbay", "TR", None),
    ("john-molyneux", "John Molyneux", "IE", None),
    ("gyekye-tanoh", "Gyekye Tanoh", "GH", None),
    ("michelle-robidoux", "Michelle Robidoux", "CA", "America/Toronto"),
    ("amy-leather", "Amy Leather", "GB", None),
    ("erima-dall", "Erima Dall", "AU", "Australia/Sydney"),
    ("martin-empson", "Martin Empson", "GB", None),
]

# slug, name, colour (the timetable's stripes and legend)
TRACKS = [
    ("plenary", {"en": "Plenary", "es": "Plenaria", "fr": "Plénière", "ru": "Пленарное заседание"}, "#1f6f8b"),
    ("debate", {"en": "Debate", "es": "Debate", "fr": "Débat", "ru": "Дискуссия"}, "#c2571a"),
]
# The header band and links (brand.css picks readable ink and link shades from it).
ACCENT_COLOR = "#2e6b3f"

STREAMS = [
    ("main-hall", "Main hall", "https://example.org/meet/climate-main-hall-4f9c2a"),
    ("room-2", "Room 2", "https://example.org/meet/climate-room-2-b71e05"),
]

# slug, local start, local end, stream, track, kind, title, abstract, [(speaker, role)]
SESSIONS: list[dict[str, Any]] = [
    {
        "slug": "climate-chaos-in-the-pacific",
        "at": (time(9, 0), time(10, 0)),
        "stream": "main-hall",
        "track": "plenary",
        "kind": "keynote",
        "title": {
            "en": "Fire and Flood: Climate Chaos in Australia and the Pacific",
            "es": "Fuego e inundación: el caos climático en Australia y el Pacífico",
        },
        "abstract": "From the Black Summer fires to drowned Pacific islands: what the climate crisis already "
        "means for millions, and who is fighting back.",
        "speakers": [("erima-dall", "speaker"), ("amy-leather", "chair")],
    },
    {
        "slug": "limits-of-cop26",
        "at": (time(10, 30), time(12, 0)),
        "stream": "main-hall",
        "track": "plenary",
        "kind": "talk",
        "title": {
            "en": "The Limits of COP26 and Capitalist Solutions",
            "es": "Los límites de la COP26 y las soluciones capitalistas",
            "fr": "Les limites de la COP26 et des solutions capitalistes",
            "ru": "Пределы COP26 и капиталистических решений",
        },
        "abstract": "Why summit pledges, carbon markets and green growth keep failing, and what a "
        "system-change answer to the climate emergency looks like.",
        "speakers": [("alex-callinicos", "speaker"), ("sabrina-fernandez", "speaker"), ("martin-empson", "chair")],
    },
    {
        "slug": "marxism-nature-metabolic-rift",
        "at": (time(13, 0), time(14, 30)),
        "stream": "main-hall",
        "track": "debate",
        "kind": "talk",
        "title": {
            "en": "Marxism, Nature and the Metabolic Rift",
            "fr": "Marxisme, nature et rupture métabolique",
            "ru": "Марксизм, природа и метаболический разрыв",
        },
        "abstract": "Marx's account of the rift between capitalism and the natural world, and why it "
        "matters for the movement today.",
        "speakers": [("john-molyneux", "speaker"), ("martin-empson", "speaker")],
    },
    {
        "slug": "climate-justice-global-south",
        "at": (time(13, 0), time(14, 30)),
        "stream": "room-2",
        "track": "debate",
        "kind": "panel",
        "title": {
            "en": "Climate Justice and the Global South",
            "es": "Justicia climática y el Sur global",
        },
        "abstract": "Debt, extraction and resistance: the view from Ghana, Turkey and beyond.",
        "speakers": [("gyekye-tanoh", "speaker"), ("ozdes-ozbay", "speaker"), ("amy-leather", "moderator")],
    },
    {
        "slug": "workers-power-just-transition",
        "at": (time(15, 0), time(16, 30)),
        "stream": "main-hall",
        "track": "plenary",
        "kind": "discussion",
        "title": {
            "en": "Workers' Power and a Just Transition",
            "fr": "Le pouvoir des travailleurs et une transition juste",
        },
        "abstract": "Pipelines, jobs and unions: how organised workers can force the break with fossil fuels.",
        "speakers": [("michelle-robidoux", "speaker"), ("amy-leather", "speaker")],
    },
]


DEMO_RELEASE_NOTE = {
    "en": "The first programme.",
    "es": "El primer programa.",
    "fr": "Le premier programme.",
    "ru": "Первая программа.",
}


async def load_demo(db: AsyncSession, owner: User | None, today: date) -> Conference:
    """Create the demo conference through the same services as the API; flushes, never commits."""
    day = demo_date(today)
    conference = await ConferenceService(db).create(
        ConferenceCreate(
            slug=DEMO_SLUG,
            title=CONFERENCE["title"],
            description=CONFERENCE["description"],
            timezone=ZONE,
            default_language="en",
            languages=["en", "es", "fr", "ru"],
            status="published",
            starts_on=day,
            ends_on=day,
            accent_color=ACCENT_COLOR,
        ),
        owner,
    )
    for slug, name, color in TRACKS:
        await TrackService(db).create(conference, TrackCreate(slug=slug, name=name, color=color))
    for position, (slug, stream_name, meeting_url) in enumerate(STREAMS):
        await StreamService(db).create(
            conference,
            StreamCreate(slug=slug, name=stream_name, meeting_url=meeting_url, position=position),
        )
    for slug, speaker_name, country, zone in SPEAKERS:
        await SpeakerService(db).create(
            conference, SpeakerCreate(slug=slug, name=speaker_name, country=country, timezone=zone)
        )
    zone_info = get_zone(ZONE)
    for entry in SESSIONS:
        start, end = entry["at"]
        await SessionService(db).create(
            conference,
            SessionCreate.model_validate(
                {
                    "slug": entry["slug"],
                    "title": entry["title"],
                    "abstract": {"en": entry["abstract"]},
                    "kind": entry["kind"],
                    "track": entry["track"],
                    "stream": entry["stream"],
                    "starts_at": datetime.combine(day, start, zone_info),
                    "ends_at": datetime.combine(day, end, zone_info),
                    "status": "confirmed",
                    "speakers": [{"speaker": speaker, "role": role} for speaker, role in entry["speakers"]],
                }
            ),
        )
    db.add(demo_registration_settings(conference))
    await load_demo_news(db, conference, ZONE, today)
    await db.flush()
    # The programme as announced: release 1.0 (nobody is registered yet, so no e-mail leaves).
    await ReleaseService(db, base_url="").release(
        conference, ReleaseCreate(name="1.0", note=DEMO_RELEASE_NOTE), released_by="demo"
    )
    return conference


def demo_registration_settings(conference: Conference) -> RegistrationSettings:
    """Open registration (DESIGN.md): 500 seats, a waiting list, double opt-in, two questions."""
    questions = [
        Question.model_validate(question).model_dump(mode="json")
        for question in (
            {
                "key": "interest",
                "kind": "single_choice",
                "label": {"en": "What brings you here?", "es": "¿Qué te trae aquí?", "fr": "Qu’est-ce qui vous amène ?",
                          "ru": "Что привело вас сюда?"},
                "required": True,
                "choices": [
                    {"key": "activist", "label": {"en": "Climate activism", "es": "Activismo climático",
                                                  "fr": "Militantisme climatique", "ru": "Климатический активизм"}},
                    {"key": "trade-union", "label": {"en": "Trade union work", "es": "Trabajo sindical",
                                                     "fr": "Action syndicale", "ru": "Профсоюзная работа"}},
                    {"key": "study", "label": {"en": "Study and research", "es": "Estudio e investigación",
                                               "fr": "Études et recherche", "ru": "Учёба и исследования"}},
                ],
            },
            {
                "key": "first-time",
                "kind": "yes_no",
                "label": {"en": "Is this your first conference with us?",
                          "es": "¿Es tu primera conferencia con nosotros?",
                          "fr": "Est-ce votre première conférence avec nous ?",
                          "ru": "Это ваша первая конференция с нами?"},
            },
        )
    ]  # fmt: skip
    return RegistrationSettings(
        conference_id=conference.id,
        capacity=500,
        waitlist=True,
        double_opt_in=True,
        privacy_text={
            "en": "We keep your name, e-mail address, country and answers to run this conference and delete them "
            "three months after it ends. We never share them.",
            "es": "Guardamos tu nombre, correo, país y respuestas para organizar esta conferencia y los borramos "
            "tres meses después. Nunca los compartimos.",
            "fr": "Nous gardons votre nom, votre adresse, votre pays et vos réponses pour organiser cette conférence "
            "et les effaçons trois mois après. Nous ne les partageons jamais.",
            "ru": "Мы храним ваше имя, адрес, страну и ответы для проведения конференции и удаляем их через три "
            "месяца после неё. Мы никому их не передаём.",
        },
        questions=questions,
    )


async def demo_exists(db: AsyncSession) -> bool:
    return await db.scalar(select(Conference.id).where(Conference.slug == DEMO_SLUG)) is not None


# Where `confman demo --live` sends joiners: a page of the demo itself, so that the whole
# attendee journey works without leaving the machine (and no real meeting is ever opened).
def demo_meeting_url(base_url: str, stream: str) -> str:
    return f"{base_url.rstrip('/')}/_dev/meeting/{stream}"


async def shift_demo_live(db: AsyncSession, now: datetime, base_url: str, opens_in: timedelta) -> ConferenceSession:
    """Move the demo programme so that its first session's join window opens ``opens_in``
    from ``now`` (0: open now), keeping every session's length and the gaps between them.
    The streams' meeting URLs become the demo's own meeting page. Returns the first session."""
    conference = await db.scalar(select(Conference).where(Conference.slug == DEMO_SLUG))
    if conference is None:
        raise LookupError("the demo conference is not loaded")
    sessions = list(
        await db.scalars(
            select(ConferenceSession)
            .where(ConferenceSession.conference_id == conference.id)
            .order_by(ConferenceSession.starts_at, ConferenceSession.slug)
        )
    )
    first = sessions[0]
    # The join window opens 15 minutes before the start (the default, and the demo's).
    target = now.replace(microsecond=0) + opens_in + timedelta(minutes=15)
    delta = target - first.starts_at
    zone = get_zone(conference.timezone)
    for session in sessions:
        session.starts_at += delta
        session.ends_at += delta
        await record_session_change(db, session)
    conference.starts_on = min(now.astimezone(zone).date(), sessions[0].starts_at.astimezone(zone).date())
    conference.ends_on = max(session.ends_at.astimezone(zone).date() for session in sessions)
    for stream in await db.scalars(select(Stream).where(Stream.conference_id == conference.id)):
        stream.meeting_url = demo_meeting_url(base_url, stream.slug)
    await db.flush()
    await record_programme_change(db, conference)
    return first
