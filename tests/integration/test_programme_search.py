"""Programme search over HTTP (?q=, in the viewer's language) and the zone picker's old names."""

from __future__ import annotations

from typing import Any

import lxml.html
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import Organiser, conference_payload, post_ok, session_payload, speaker_payload

BASE = "/api/v1/conferences/climate-2027"
PAGE = "/climate-2027/programme/"


def marks(tree: Any) -> list[str]:
    return [node.text_content() for node in tree.cssselect(".search-hit mark")]


async def test_programme_search_in_two_languages_and_bad_queries(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await post_ok(
        client, organiser, f"{BASE}/speakers", speaker_payload(slug="ozdes", name="Özdeş Özbay", country="TR")
    )
    title = {"en": "Climate <Justice>", "ru": "Климатическая справедливость"}
    await post_ok(
        client,
        organiser,
        f"{BASE}/sessions",
        session_payload(slug="justice", title=title, speakers=[{"speaker": "ozdes"}]),
    )
    await post_ok(client, organiser, f"{BASE}/sessions", session_payload(slug="other", title={"en": "Other things"}))

    response = await client.get(PAGE, params={"q": "  OZDES ", "lang": "en"})
    tree = lxml.html.fromstring(response.text)
    assert response.status_code == 200
    assert [a.get("id") for a in tree.cssselect("article.search-hit")] == ["session-justice"]
    assert marks(tree) == ["Özdeş"]
    assert tree.cssselect("#programme-q")[0].get("value") == "OZDES"
    assert "Climate &lt;Justice&gt;" in response.text

    response = await client.get(PAGE, params={"q": "климат", "lang": "ru"})
    tree = lxml.html.fromstring(response.text)
    assert [h.text_content() for h in tree.cssselect(".search-hit h3")] == ["Климатическая справедливость"]
    assert marks(tree) == ["Климат"]
    # The English page finds it too and shows where (the Russian title).
    response = await client.get(PAGE, params={"q": "климат", "lang": "en"})
    assert [p.get("lang") for p in lxml.html.fromstring(response.text).cssselect(".snippet")] == ["ru"]

    for bad in ("a\x01b", "x" * 201):
        response = await client.get(PAGE, params={"q": bad})
        assert response.status_code == 400
        assert response.json()["extra"][0]["key"] == "q"

    # No query: the whole programme; an old zone name is read as the place the picker lists.
    response = await client.get(PAGE, params={"q": " ", "tz": "US/Pacific"})
    tree = lxml.html.fromstring(response.text)
    assert len(tree.cssselect("article.session")) == 2
    assert not tree.cssselect(".search-results")
    assert tree.cssselect("#tz option[selected]")[0].get("value") == "America/Los_Angeles"
    assert "US/Pacific" not in tree.xpath("//select[@id='tz']//option/@value")
    assert response.cookies["tz"].strip('"') == "America/Los_Angeles"
