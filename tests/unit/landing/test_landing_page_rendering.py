"""The landing page is rendered once per campaign version and language and filled in per
view: each view still gets its own visit token, a republished page shows at once, and
whatever a link carries is escaped."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from landing_support import apply_event, campaign, entry_links, outbox

from koers.events import CampaignPublished

pytestmark = pytest.mark.unit

VISIT_TOKEN = re.compile(r"visit=[A-Za-z0-9_.\-]+")


def test_each_view_gets_its_own_visit_token_and_otherwise_the_same_page(
    client: TestClient, published: CampaignPublished
) -> None:
    first = client.get("/j/klantenservice-utrecht?v=v-video", headers={"user-agent": "Phone A"})
    second = client.get("/j/klantenservice-utrecht?v=v-video", headers={"user-agent": "Phone B"})

    tokens = {VISIT_TOKEN.findall(page.text)[0] for page in (first, second)}
    assert len(tokens) == 2
    assert VISIT_TOKEN.sub("visit=*", first.text) == VISIT_TOKEN.sub("visit=*", second.text)
    for page in (first, second):  # every link of a page carries that page's own visit
        assert len(set(VISIT_TOKEN.findall(page.text))) == 1


def test_a_republished_page_shows_its_new_text_at_once(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    before = client.get("/j/klantenservice-utrecht")
    apply_event(engine, campaign(version=2, headline="Nu ook in Amersfoort"))
    after = client.get("/j/klantenservice-utrecht")

    assert "Word klantenservicemedewerker in Utrecht" in before.text
    assert "Nu ook in Amersfoort" in after.text
    assert "Word klantenservicemedewerker in Utrecht" not in after.text


def test_both_languages_are_kept_apart(client: TestClient, published: CampaignPublished) -> None:
    dutch = client.get("/j/klantenservice-utrecht", headers={"accept-language": "nl"})
    english = client.get("/j/klantenservice-utrecht", headers={"accept-language": "en"})
    dutch_again = client.get("/j/klantenservice-utrecht", headers={"accept-language": "nl"})

    assert dutch.headers["content-language"] == dutch_again.headers["content-language"] == "nl"
    assert english.headers["content-language"] == "en"
    assert '<html lang="en">' in english.text
    assert '<html lang="nl">' in dutch_again.text
    assert set(entry_links(dutch.text)) == set(entry_links(english.text))


def test_what_a_link_carries_is_escaped_and_arrives_intact(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    hostile = '"><script>alert(1)</script>&x=1'

    response = client.get("/j/klantenservice-utrecht", params={"utm_source": hostile})

    assert "<script>alert" not in response.text
    for href in entry_links(response.text).values():
        assert parse_qs(urlsplit(href).query)["utm_source"] == [hostile]
    [viewed] = outbox(engine, "PageViewed")
    assert viewed["payload"]["utm_source"] == hostile
