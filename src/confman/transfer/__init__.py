"""Whole-conference export and import (the ``confman.conference/1`` file format)."""

from confman.transfer.services import TransferError, export_conference, import_conference

__all__ = ["TransferError", "export_conference", "import_conference"]
