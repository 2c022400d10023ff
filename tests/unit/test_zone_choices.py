"""The zone picker's list: places from zone.tab (no old names), grouped, in the viewer's language."""

from __future__ import annotations

import re

import lxml.html

from confman.lib.timezones import canonical_zone, canonical_zones, known_zones
from confman.lib.zone_choices import zone_label, zone_options


def test_zone_options_are_canonical_places_grouped_and_localised() -> None:
    tree = lxml.html.fromstring(f"<select>{zone_options('en')}</select>")
    values = tree.xpath("//option/@value")
    assert len(values) == len(set(values)) == len(canonical_zones())
    assert "UTC" in values
    assert "Europe/Kyiv" in values
    assert "America/Sao_Paulo" in values
    for alias in ("US/Pacific", "Etc/GMT+3", "Europe/Kiev", "Asia/Calcutta", "GB"):
        assert alias in known_zones()
        assert alias not in values
    assert set(values) <= known_zones()
    groups = tree.xpath("//optgroup/@label")
    assert groups == ["UTC", "Africa", "Americas", "Antarctica", "Asia", "Europe", "Oceania"]
    europe = tree.xpath("//optgroup[@label='Europe']/option/text()")
    assert "Kyiv (Ukraine)" in europe
    assert europe == sorted(europe, key=str.casefold)
    assert zone_label("Europe/Kyiv", "ru") == "Киев (Украина)"
    assert zone_label("America/Sao_Paulo", "fr") == "São Paulo (Brésil)"
    assert zone_label("America/Argentina/Cordoba", "fr") == "Córdoba (Argentine)"
    assert re.search(
        r'<optgroup label="Европа">.*<option value="Europe/Kyiv">Киев \(Украина\)</option>', zone_options("ru")
    )
    # The zones shown first are not repeated.
    assert 'value="Europe/London"' not in zone_options("en", ("Europe/London",))
    # Old names are read as the place listed.
    assert canonical_zone("US/Pacific") == "America/Los_Angeles"
    assert canonical_zone("Europe/Kiev") == "Europe/Kyiv"
    assert canonical_zone("Etc/UTC") == "UTC"
    assert canonical_zone("Europe/Amsterdam") == "Europe/Amsterdam"
