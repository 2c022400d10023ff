"""The speakers' routes: their public pages (and ``.ics`` files) and their API."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from confman.settings import Settings
from confman.speakers.api import SpeakerController
from confman.speakers.pages import media_file, speaker_page, speaker_photo, speakers_page


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    return [speakers_page, speaker_page, speaker_photo, media_file, SpeakerController]
