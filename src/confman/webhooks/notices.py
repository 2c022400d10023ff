"""What webhooks tell organisers by e-mail: an endpoint that kept failing was disabled. The
e-mail goes to each owner of the conference, through the outbox, in the transaction that
disables the endpoint (the delivery worker's). It names the endpoint's URL, never its secret."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import Conference, ConferenceMember, MemberRole, User
from confman.lib.i18n import ui_language
from confman.lib.templating import gettext_callables
from confman.lib.translations import pick
from confman.mail.messages import Link, MailContent, RenderRequest, greeting, register
from confman.mail.outbox import enqueue

DISABLED = "webhook_disabled"


async def tell_owners(db: AsyncSession, *, conference_id: int, url: str, failures: int, base_url: str) -> int:
    """Queue the "endpoint disabled" e-mail for every owner of the conference; how many."""
    conference = await db.get(Conference, conference_id)
    if conference is None:
        return 0
    owners = await db.execute(
        select(User.email, User.name)
        .join(ConferenceMember, ConferenceMember.user_id == User.id)
        .where(ConferenceMember.conference_id == conference_id, ConferenceMember.role == MemberRole.OWNER)
        .order_by(User.id)
    )
    count = 0
    for email, name in owners.tuples():
        enqueue(
            db,
            kind=DISABLED,
            recipient=email,
            language=ui_language(conference.default_language),
            conference_id=conference_id,
            registration_id=None,
            context={"name": name, "url": url, "failures": failures, "slug": conference.slug},
            base_url=base_url,
        )
        count += 1
    return count


@register(DISABLED)
async def disabled_mail(request: RenderRequest) -> MailContent:
    mail = request.mail
    language = ui_language(mail.language)
    _ = gettext_callables(language)["_"]
    conference = await request.db.get(Conference, mail.conference_id) if mail.conference_id is not None else None
    if conference is None:
        raise LookupError(f"the e-mail's conference {mail.conference_id} is gone")
    title = pick(conference.title, language, conference.default_language)[0]
    context = mail.context
    url = str(context.get("url", ""))
    return MailContent(
        language=language,
        subject=_("Webhook disabled: %(title)s", title=title),
        greeting=greeting(language, str(context.get("name", ""))),
        paragraphs=[
            _(
                "The webhook endpoint %(url)s of %(title)s failed %(failures)s times in a row, so it was disabled.",
                url=url,
                title=title,
                failures=context.get("failures", ""),
            ),
            _(
                "Its deliveries wait. Once the endpoint answers again, re-enable it (PATCH with "
                "enabled: true) and they are sent in order."
            ),
        ],
        action=Link(_("Open the conference"), request.base_url.rstrip("/") + f"/orga/{conference.slug}/"),
    )
