"""The demo conference's two announcements, published side by side in English, Spanish, French
and Russian as the organisation behind the conference publishes its statements."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import Conference
from confman.lib.timezones import get_zone
from confman.news.schemas import AnnouncementCreate
from confman.news.services import NewsService

SPEAKERS = (
    "Sabrina Fernandez, Alex Callinicos, Özdeş Özbay, John Molyneux, Gyekye Tanoh, Michelle Robidoux, "
    "Amy Leather, Erima Dall"
)

REGISTRATION_OPEN = {
    "title": {
        "en": "Registration is open",
        "es": "Inscripciones abiertas",
        "fr": "Les inscriptions sont ouvertes",
        "ru": "Регистрация открыта",
    },
    "body": {
        "en": (
            "Registration for **The Revolutionary Alternative to Capitalism's Climate Disaster** is now open. "
            "The conference is online, on Sunday 14 November, and free to attend.\n\n"
            "COP26 showed once again that governments and corporations will not make the change the planet "
            "needs. Floods, fires and droughts already hit working people hardest, from Brazil to Australia. "
            "This conference brings together activists and socialists from across the world to discuss why "
            "capitalism cannot solve the climate crisis, and how our movements can.\n\n"
            f"Speakers include {SPEAKERS} and Martin Empson.\n\n"
            "Every session is shown in your own time zone. Register once and you will receive a personal link "
            "to join each session. The pages, the programme and these announcements are available in English, "
            "Spanish, French and Russian."
        ),
        "es": (
            "Ya están abiertas las inscripciones para **La alternativa revolucionaria al desastre climático del "
            "capitalismo**. La conferencia es en línea, el domingo 14 de noviembre, y la participación es "
            "gratuita.\n\n"
            "La COP26 demostró una vez más que los gobiernos y las grandes empresas no harán el cambio que el "
            "planeta necesita. Las inundaciones, los incendios y las sequías ya golpean con más fuerza a la "
            "clase trabajadora, de Brasil a Australia. Esta conferencia reúne a activistas y socialistas de "
            "todo el mundo para debatir por qué el capitalismo no puede resolver la crisis climática y cómo "
            "pueden hacerlo nuestros movimientos.\n\n"
            f"Entre los ponentes están {SPEAKERS} y Martin Empson.\n\n"
            "Cada sesión se muestra en tu propia zona horaria. Inscríbete una sola vez y recibirás un enlace "
            "personal para entrar en cada sesión. Las páginas, el programa y estos anuncios están disponibles "
            "en español, inglés, francés y ruso."
        ),
        "fr": (
            "Les inscriptions à **L'alternative révolutionnaire au désastre climatique du capitalisme** sont "
            "ouvertes. La conférence a lieu en ligne le dimanche 14 novembre, et la participation est "
            "gratuite.\n\n"
            "La COP26 a montré une fois de plus que les gouvernements et les grandes entreprises "
            "n'apporteront pas le changement dont la planète a besoin. Inondations, incendies et sécheresses "
            "frappent déjà d'abord les travailleuses et les travailleurs, du Brésil à l'Australie. Cette "
            "conférence réunit des militantes et militants socialistes du monde entier pour débattre des "
            "raisons pour lesquelles le capitalisme ne peut pas résoudre la crise climatique, et de la manière "
            "dont nos mouvements le peuvent.\n\n"
            f"Parmi les intervenants : {SPEAKERS} et Martin Empson.\n\n"
            "Chaque session s'affiche dans votre propre fuseau horaire. Inscrivez-vous une seule fois : vous "
            "recevrez un lien personnel pour rejoindre chaque session. Les pages, le programme et ces annonces "
            "existent en français, en anglais, en espagnol et en russe."
        ),
        "ru": (
            "Открыта регистрация на конференцию **«Революционная альтернатива климатической катастрофе "
            "капитализма»**. Конференция пройдёт онлайн в воскресенье, 14 ноября; участие бесплатное.\n\n"
            "COP26 в очередной раз показала, что правительства и корпорации не осуществят тех перемен, "
            "которые нужны планете. Наводнения, пожары и засухи уже сильнее всего бьют по трудящимся — от "
            "Бразилии до Австралии. Конференция собирает активистов и социалистов со всего мира, чтобы "
            "обсудить, почему капитализм не способен решить климатический кризис и как это могут сделать наши "
            "движения.\n\n"
            f"Среди докладчиков — {SPEAKERS} и Martin Empson.\n\n"
            "Каждая сессия показана в вашем часовом поясе. Зарегистрируйтесь один раз — и вы получите личную "
            "ссылку для входа на каждую сессию. Страницы, программа и эти объявления доступны на русском, "
            "английском, испанском и французском языках."
        ),
    },
}

PROGRAMME_AND_HUBS = {
    "title": {
        "en": "The programme is published: host a local hub",
        "es": "Programa publicado: organiza un punto de encuentro local",
        "fr": "Le programme est publié : organisez un point de rencontre local",
        "ru": "Программа опубликована: организуйте местную площадку",
    },
    "body": {
        "en": (
            "The full programme is now online. Sessions run across the day so that speakers and participants "
            "from Brasília to Sydney can take part at a waking hour: look for the sessions that suit your time "
            "zone, and add them to your calendar with one click.\n\n"
            "We are also calling for **local hubs**. A hub is a group that meets in one place (a union office, "
            "a community centre, a campus, a living room) to follow the sessions together on a shared screen "
            "and discuss them afterwards. Hubs make an online conference a meeting of movements rather than "
            "of screens.\n\n"
            "To host a hub:\n\n"
            "1. Register, and ask your friends, comrades and colleagues to register too.\n"
            "2. Find a room with a good connection and a projector or a large screen.\n"
            "3. Choose the sessions you will show, and plan a discussion after each one."
        ),
        "es": (
            "El programa completo ya está en línea. Las sesiones se reparten a lo largo del día para que "
            "ponentes y participantes, de Brasilia a Sídney, puedan intervenir a una hora razonable: busca las "
            "sesiones que mejor se adapten a tu zona horaria y añádelas a tu calendario con un clic.\n\n"
            "También hacemos un llamamiento a organizar **puntos de encuentro locales**. Un punto de encuentro "
            "es un grupo que se reúne en un mismo lugar (un local sindical, un centro vecinal, un campus, una "
            "casa) para seguir juntos las sesiones en una pantalla compartida y debatirlas después. Los puntos "
            "de encuentro convierten una conferencia en línea en un encuentro de movimientos, y no solo de "
            "pantallas.\n\n"
            "Para organizar un punto de encuentro:\n\n"
            "1. Inscríbete y anima a tus amistades, compañeras, compañeros y colegas a inscribirse también.\n"
            "2. Busca una sala con buena conexión y un proyector o una pantalla grande.\n"
            "3. Elige las sesiones que vais a proyectar y prepara un debate después de cada una."
        ),
        "fr": (
            "Le programme complet est en ligne. Les sessions s'étalent sur toute la journée pour que les "
            "intervenants et les participants, de Brasília à Sydney, puissent y prendre part à une heure "
            "raisonnable : repérez les sessions qui conviennent à votre fuseau horaire et ajoutez-les à votre "
            "agenda en un clic.\n\n"
            "Nous lançons aussi un appel à organiser des **points de rencontre locaux**. Un point de rencontre, "
            "c'est un groupe qui se retrouve dans un même lieu (un local syndical, une maison de quartier, un "
            "campus, un salon) pour suivre ensemble les sessions sur un écran partagé, puis en discuter. Ces "
            "points de rencontre font d'une conférence en ligne une rencontre de mouvements, et non "
            "d'écrans.\n\n"
            "Pour organiser un point de rencontre :\n\n"
            "1. Inscrivez-vous, et invitez vos amis, camarades et collègues à s'inscrire aussi.\n"
            "2. Trouvez une salle avec une bonne connexion et un vidéoprojecteur ou un grand écran.\n"
            "3. Choisissez les sessions que vous diffuserez et prévoyez une discussion après chacune."
        ),
        "ru": (
            "Полная программа уже опубликована. Сессии распределены по всему дню, чтобы докладчики и "
            "участники — от Бразилиа до Сиднея — могли присоединиться в удобное время: выберите сессии, "
            "подходящие для вашего часового пояса, и добавьте их в свой календарь одним щелчком.\n\n"
            "Мы также призываем организовывать **местные площадки**. Площадка — это группа, которая "
            "собирается в одном месте (в помещении профсоюза, в местном центре, в университете или у кого-то "
            "дома), чтобы вместе смотреть сессии на общем экране и затем обсуждать их. Благодаря таким "
            "площадкам онлайн-конференция становится встречей движений, а не экранов.\n\n"
            "Как организовать площадку:\n\n"
            "1. Зарегистрируйтесь и предложите друзьям, товарищам и коллегам тоже зарегистрироваться.\n"
            "2. Найдите помещение с хорошим интернетом и проектором или большим экраном.\n"
            "3. Выберите сессии, которые вы будете показывать, и запланируйте обсуждение после каждой из них."
        ),
    },
}


async def load_demo_news(db: AsyncSession, conference: Conference, zone: str, today: date) -> None:
    """Both announcements, published in the recent past (the first pinned), through the service."""
    service = NewsService(db)
    for slug, texts, days_ago, pinned in (
        ("registration-open", REGISTRATION_OPEN, 10, True),
        ("programme-and-local-hubs", PROGRAMME_AND_HUBS, 2, False),
    ):
        await service.create(
            conference,
            AnnouncementCreate(
                slug=slug,
                title=texts["title"],
                body=texts["body"],
                status="published",
                publish_at=datetime.combine(today - timedelta(days=days_ago), time(10), get_zone(zone)),
                pinned=pinned,
            ),
        )
