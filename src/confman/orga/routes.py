"""The organisers' routes: every page under /orga/, behind the sign-in session and CSRF.

On this router ``current_user`` is the session's organiser (the API's is the bearer
token's), so ``conference_access`` and ``organiser`` work here as they do in the API. Not
signed in: to the sign-in page. Not a member: the same 404 as a conference that does not
exist. A member who is not an owner, on an owner's page: 403.
"""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.types import ControllerRouterHandler

from confman.lib.csrf import form_csrf
from confman.lib.templating import PageRenderer
from confman.orga import (
    account,
    attendance,
    audit_log,
    conferences,
    members,
    messages,
    news,
    reach,
    registration,
    registration_detail,
    registrations,
    releases,
    schedule,
    sessions,
    signin,
    speakers,
    streams,
    tokens,
    tracks,
    webhooks,
)
from confman.orga import branding as conference_branding
from confman.orga import settings as conference_settings
from confman.orga.frame import forbidden_handler, to_login
from confman.orga.session import provide_session_user, session_config
from confman.settings import Settings

# Every organiser page module's handlers; each area adds its own here.
HANDLERS: list[ControllerRouterHandler] = [
    signin.login_page,
    signin.login_submit,
    signin.logout,
    conferences.conference_list,
    conferences.conference_create,
    conferences.conference_overview,
    conferences.conference_publish,
    tokens.token_list,
    tokens.token_create,
    tokens.token_revoke,
    *account.HANDLERS,
    *members.HANDLERS,
    *webhooks.HANDLERS,
    audit_log.audit_page,
    *conference_settings.HANDLERS,
    *conference_branding.HANDLERS,
    *registration.HANDLERS,
    tracks.track_list,
    tracks.track_create,
    tracks.track_edit,
    tracks.track_update,
    tracks.track_order,
    tracks.track_delete_confirm,
    tracks.track_delete,
    tracks.orga_tracks_css,
    streams.stream_list,
    streams.stream_create,
    streams.stream_edit,
    streams.stream_update,
    streams.stream_order,
    streams.stream_reveal,
    streams.stream_delete_confirm,
    streams.stream_delete,
    *speakers.HANDLERS,
    *sessions.HANDLERS,
    schedule.schedule_page,
    schedule.schedule_move,
    schedule.schedule_undo,
    schedule.schedule_redo,
    *releases.HANDLERS,
    *registrations.HANDLERS,
    *registration_detail.HANDLERS,
    *attendance.HANDLERS,
    *messages.HANDLERS,
    *news.HANDLERS,
    *reach.HANDLERS,
]


def routes(settings: Settings, renderer: PageRenderer | None = None) -> list[ControllerRouterHandler]:
    return [
        Router(
            path="/orga",
            route_handlers=HANDLERS,
            dependencies={"current_user": Provide(provide_session_user)},
            middleware=[session_config(settings).middleware, form_csrf(settings.secret_key)],
            exception_handlers={
                NotAuthorizedException: to_login,
                PermissionDeniedException: forbidden_handler(renderer or PageRenderer()),
            },
            include_in_schema=False,
        )
    ]
