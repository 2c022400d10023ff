"""What the changes domain serves: the releases API and the public changelog (page and Atom)."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from confman.changes.api import ReleaseController
from confman.changes.pages import changes_atom, changes_page
from confman.settings import Settings


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    return [ReleaseController, changes_page, changes_atom]
