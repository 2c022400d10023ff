"""/api/v1/conferences/{conf}/releases: the programme's releases and the changes not yet released."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody

from confman.accounts.auth import BEARER, CurrentUser
from confman.changes.schemas import ChangeRead, ReleaseCreate, ReleaseRead, ReleasesRead
from confman.changes.services import ReleaseHistory, ReleaseService, frab_version
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.db.models import ProgrammeChange, ProgrammeRelease
from confman.db.transactions import DbSession
from confman.lib.openapi import READ_ERRORS, WRITE_ERRORS
from confman.settings import AppSettings


def change_read(change: ProgrammeChange) -> ChangeRead:
    return ChangeRead(
        session=change.session_slug,
        kind=change.kind,
        before=change.before,
        after=change.after,
        changed_at=change.changed_at,
    )


def release_read(release: ProgrammeRelease, changes: list[ProgrammeChange]) -> ReleaseRead:
    return ReleaseRead(
        id=release.id,
        name=release.name,
        note=release.note,
        programme_version=release.programme_version,
        change_count=release.change_count,
        released_at=release.released_at,
        released_by=release.released_by_name,
        changes=[change_read(change) for change in changes],
    )


def releases_read(history: ReleaseHistory, programme_version: int) -> ReleasesRead:
    latest = history.releases[0].name if history.releases else None
    return ReleasesRead(
        releases=[release_read(release, history.changes.get(release.id, [])) for release in history.releases],
        unreleased=[change_read(change) for change in history.unreleased],
        frab_version=frab_version(latest, programme_version, bool(history.unreleased)),
    )


class ReleaseController(Controller):
    path = "/api/v1/conferences/{conf:str}/releases"
    tags = ["Releases"]

    @get("/", summary="The programme's releases (newest first) and the changes not yet released", opt=ORGANISER,
         security=BEARER, raises=READ_ERRORS)  # fmt: skip
    async def list_releases(
        self, conference_access: ConferenceAccessDependency, db_session: DbSession, settings: AppSettings
    ) -> ReleasesRead:
        conference = conference_access.conference
        history = await ReleaseService(db_session, settings.base_url).history(conference.id)
        return releases_read(history, conference.programme_version)

    @post(
        "/",
        summary="Release the changes since the last release",
        description="Groups every change not yet released under `name` (unique in the conference: 409 `duplicate` "
        "otherwise), raises the programme version, emits `programme.released` and e-mails each attendee and "
        "speaker whose sessions moved or were cancelled, once. Nothing to release: 409 naming `changes` "
        "(`no_changes`), and nothing is written.",
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def create_release(
        self,
        conference_access: ConferenceAccessDependency,
        data: JSONBody[ReleaseCreate],
        db_session: DbSession,
        settings: AppSettings,
        current_user: CurrentUser,
    ) -> ReleaseRead:
        service = ReleaseService(db_session, settings.base_url)
        released_by = (current_user.name or current_user.email) if current_user else ""
        release = await service.release(conference_access.conference, data, released_by=released_by)
        history = await service.history(conference_access.conference.id)
        return release_read(release, history.changes.get(release.id, []))
