"""XML documents we serve (schedule.xml, Atom feeds): always well-formed XML 1.0."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

# Characters XML 1.0 does not allow. ElementTree writes any character; input refuses these,
# but data stored before that rule (or imported) must not make a whole document unreadable.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_bytes(root: ET.Element, *, indent: str | None = " ") -> bytes:
    """``root`` as a UTF-8 document with an XML declaration, invalid characters replaced by U+FFFD."""
    if indent is not None:
        ET.indent(root, space=indent)
    document = XML_INVALID.sub("\ufffd", ET.tostring(root, encoding="unicode"))
    return b"<?xml version='1.0' encoding='utf-8'?>\n" + document.encode() + b"\n"
