"""/orga/{conf}/settings/logo: the conference's logo, uploaded, previewed and removed on the
settings page (its own form: the file travels as multipart, the other settings do not).

The upload goes through the API's ``conferences.branding.set_logo``: checked by its bytes,
re-encoded, SVG refused. A refusal shows the settings page again with the reason.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException

from confman.accounts.auth import AuthenticatedUser
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.conferences.branding import logo_of, remove_logo, set_logo
from confman.db.transactions import DbSession
from confman.lib import images
from confman.lib.errors import FieldError, FormRejected
from confman.lib.i18n import N_
from confman.orga import settings as conference_settings
from confman.orga.frame import NO_STORE, conference_path, see_other
from confman.orga.session import flash
from confman.settings import AppSettings

LOGO_MESSAGES: dict[str, str] = {
    f"logo_{images.TOO_LARGE}": N_("The logo is larger than 5 MB. Choose a smaller file."),
    f"logo_{images.NOT_AN_IMAGE}": N_("The logo must be a JPEG, PNG or WebP image (SVG is not accepted)."),
    f"logo_{images.TOO_MANY_PIXELS}": N_("The image has too many pixels (at most 40 megapixels)."),
    f"logo_{images.EMPTY}": N_("Choose an image file for the logo."),
}


@post(
    "/{conf:str}/settings/logo",
    name="orga:settings-logo",
    opt=ORGANISER,
    status_code=303,
    request_max_body_size=images.MAX_UPLOAD_BYTES + 256 * 1024,
)
async def logo_save(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    conference = conference_access.conference
    form = await request.form()
    if form.get("action") == "remove":
        await remove_logo(db_session, conference)
        flash(request, N_("The logo was removed."))
        return see_other(conference_path(conference.slug, "settings/"))
    upload = form.get("logo")
    # The page is prepared before anything changes (a refusal rolls the request back).
    context = await conference_settings.settings_context(request, settings, organiser, conference_access, db_session)
    try:
        data = await upload.read(images.MAX_UPLOAD_BYTES + 1) if isinstance(upload, UploadFile) else b""
        await set_logo(db_session, conference, data)
    except FieldError as error:
        context["errors"] = {"logo": LOGO_MESSAGES.get(error.code, LOGO_MESSAGES[f"logo_{images.NOT_AN_IMAGE}"])}
        raise FormRejected(conference_settings.TEMPLATE, context, 400, NO_STORE) from None
    flash(request, N_("The logo was saved."))
    return see_other(conference_path(conference.slug, "settings/"))


@get("/{conf:str}/settings/logo", name="orga:settings-logo-preview", opt=ORGANISER)
async def logo_file(
    conference_access: ConferenceAccessDependency, organiser: AuthenticatedUser, db_session: DbSession
) -> Response[bytes]:
    """The logo for organisers, drafts included."""
    stored = await logo_of(db_session, conference_access.conference)
    if stored is None:
        raise HTTPException(status_code=404, detail="No logo")
    return Response(
        stored.data,
        media_type=stored.content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


HANDLERS = [logo_save, logo_file]
