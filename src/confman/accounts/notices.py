"""What accounts tell organisers by e-mail: a password reset link, an invitation to a
conference, and that an owner added them to one. Each is an outbox row written in the
transaction of the request that asked for it (``confman.mail.outbox.enqueue``); the worker
renders it with the wording registered here and empties its context (the one-time link)
once the mail server has it. Links are never logged: only the e-mail's Message-ID is.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import Conference, OutboxMail
from confman.lib.i18n import ui_language
from confman.lib.templating import gettext_callables
from confman.lib.translations import pick
from confman.mail.messages import Link, MailContent, RenderRequest, greeting, register
from confman.mail.outbox import enqueue


class Kind(enum.StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105 - an e-mail kind, not a password
    INVITATION = "invitation"
    MEMBER_ADDED = "member_added"


def _url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def password_reset_url(base_url: str, token: str) -> str:
    return _url(base_url, f"/orga/password/reset/{token}")


def invitation_url(base_url: str, token: str) -> str:
    return _url(base_url, f"/orga/invitation/{token}")


def conference_orga_url(base_url: str, slug: str) -> str:
    return _url(base_url, f"/orga/{slug}/")


def queue(
    db: AsyncSession,
    kind: Kind,
    *,
    recipient: str,
    language: str,
    base_url: str,
    context: dict[str, Any],
    conference_id: int | None = None,
) -> OutboxMail:
    return enqueue(
        db,
        kind=kind.value,
        recipient=recipient,
        language=ui_language(language),
        conference_id=conference_id,
        registration_id=None,
        context=context,
        base_url=base_url,
    )


async def _conference_title(request: RenderRequest) -> str:
    conference_id = request.mail.conference_id
    conference = await request.db.get(Conference, conference_id) if conference_id is not None else None
    if conference is None:
        raise LookupError(f"the e-mail's conference {conference_id} is gone")
    return pick(conference.title, request.mail.language, conference.default_language)[0]


@register(*Kind)
async def account_mail(request: RenderRequest) -> MailContent:
    mail = request.mail
    language = ui_language(mail.language)
    _ = gettext_callables(language)["_"]
    context = mail.context
    name = str(context.get("name", ""))
    if mail.kind == Kind.PASSWORD_RESET:
        return MailContent(
            language=language,
            subject=_("Set a new password"),
            greeting=greeting(language, name),
            paragraphs=[
                _("Someone, probably you, asked to set a new password for your organiser account."),
                _("The link below works once, for one hour. If you did not ask for it, ignore this e-mail."),
            ],
            action=Link(_("Set a new password"), str(context.get("url", ""))),
        )
    title = await _conference_title(request)
    roles = {"owner": _("owner"), "organiser": _("organiser")}
    role = roles.get(str(context.get("role")), str(context.get("role", "")))
    inviter = str(context.get("inviter", ""))
    if mail.kind == Kind.INVITATION:
        return MailContent(
            language=language,
            subject=_("Invitation: %(title)s", title=title),
            greeting=greeting(language, ""),
            paragraphs=[
                _(
                    "%(inviter)s invites you to organise %(title)s as %(role)s.",
                    inviter=inviter,
                    title=title,
                    role=role,
                ),
                _("Open the link below to choose your name and password. It works once, for seven days."),
            ],
            action=Link(_("Accept the invitation"), str(context.get("url", ""))),
        )
    return MailContent(
        language=language,
        subject=_("You now organise %(title)s", title=title),
        greeting=greeting(language, name),
        paragraphs=[_("%(inviter)s added you to %(title)s as %(role)s.", inviter=inviter, title=title, role=role)],
        action=Link(_("Open the conference"), str(context.get("url", ""))),
    )
