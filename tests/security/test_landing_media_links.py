"""Issue 12, class 10: media and links on candidate pages never point at the landing
service's own routes, or anything else that would count as a visit, a start or a lead:
one employer can never move another's funnel.

Page snapshots come from campaign-state events; their media URLs are cleaned when the
snapshot arrives (the handler) and checked again when a page is shown (a snapshot stored
before, or a setting changed since).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from koers.db import transaction
from koers.messaging.schema import outbox_table
from landing.pages.repository import pages, save_published_page
from tests.support.landing_app import SLUG, LandingApp, campaign, landing_app

pytestmark = [pytest.mark.security, pytest.mark.integration]

PUBLIC_URL = "https://vacatures.koers.example"
CDN = "https://cdn.werkgever.example"
OTHER_SLUG = "concurrent-utrecht"

ON_THE_LANDING_SERVICE = [
    f"/j/{OTHER_SLUG}",
    f"/j/{OTHER_SLUG}/lead?v=v-video",
    f"/j/{OTHER_SLUG}/quiz",
    f"{PUBLIC_URL}/j/{OTHER_SLUG}/apply",
    f"https://VACATURES.koers.example./j/{OTHER_SLUG}",
    f"https://cdn.werkgever.example@vacatures.koers.example/j/{OTHER_SLUG}",
]


@pytest.fixture
def site(make_migrated_database_url: Callable[[str], str], tmp_path: Path) -> Iterator[LandingApp]:
    # A careless deployment even lists the landing service among the media origins.
    origins = [CDN, PUBLIC_URL, "https://VACATURES.koers.example."]
    with landing_app(
        make_migrated_database_url("landing"),
        tmp_path,
        public_url=PUBLIC_URL,
        media_origins=origins,
    ) as app:
        app.publish(campaign(slug=OTHER_SLUG), campaign_id="cmp-other", tenant_id="rival")
        yield app


def _page_views_of(site: LandingApp, campaign_id: str) -> int:
    with site.engine.connect() as conn:
        values = conn.execute(sa.select(outbox_table.c.value)).scalars()
        events = [json.loads(value) for value in values]
    return sum(1 for e in events if e["type"] == "PageViewed" and e["campaign_id"] == campaign_id)


@pytest.mark.parametrize("url", ON_THE_LANDING_SERVICE)
def test_media_pointing_at_the_landing_service_are_dropped_when_the_page_arrives(
    site: LandingApp, url: str
) -> None:
    site.publish(campaign(logo_url=url, hero_image_url=url, hero_video_url=f"{CDN}/film.mp4"))

    with site.engine.connect() as conn:
        stored = conn.execute(sa.select(pages.c.snapshot).where(pages.c.slug == SLUG)).scalar_one()
    assert stored["page"]["logo_url"] is None
    assert stored["page"]["hero_image_url"] is None
    assert stored["page"]["hero_video_url"] == f"{CDN}/film.mp4"


@pytest.mark.parametrize("url", ON_THE_LANDING_SERVICE)
@pytest.mark.parametrize("entry_point", ["", "/lead", "/quiz", "/apply"])
def test_a_page_stored_with_such_media_never_shows_them(
    site: LandingApp, url: str, entry_point: str
) -> None:
    published = campaign(logo_url=url, hero_image_url=url, hero_video_url=url)
    with transaction(site.engine) as conn:  # stored as it came, before the handler cleaned
        save_published_page(
            conn, tenant_id="acme", campaign_id="cmp-1", campaign=published, now=site.clock()
        )

    html = site.client.get(f"/j/{SLUG}{entry_point}").text

    assert f"/j/{OTHER_SLUG}" not in html
    assert _page_views_of(site, "cmp-other") == 0


def test_media_from_an_allowed_origin_elsewhere_are_shown(site: LandingApp) -> None:
    site.publish(campaign(logo_url=f"{CDN}/logo.png", hero_image_url=f"{CDN}/team.jpg"))

    html = site.client.get(f"/j/{SLUG}").text

    assert f'src="{CDN}/logo.png"' in html
    assert f'src="{CDN}/team.jpg"' in html


def test_the_hero_image_reserves_its_frame_loads_first_and_offers_widths(
    site: LandingApp,
) -> None:
    site.publish(campaign(hero_image_url=f"{CDN}/team.jpg?w={{width}}", hero_alt="Ons team"))

    html = site.client.get(f"/j/{SLUG}").text

    [hero] = [tag for tag in html.split("<") if tag.startswith('img class="hero-media"')]
    assert f'src="{CDN}/team.jpg?w=800"' in hero
    assert f'srcset="{CDN}/team.jpg?w=480 480w, {CDN}/team.jpg?w=800 800w' in hero
    assert 'sizes="' in hero
    assert 'width="1200" height="675"' in hero
    assert 'loading="eager" fetchpriority="high"' in hero
    assert 'alt="Ons team"' in hero
    assert "hero-band" not in html


def test_a_page_without_media_shows_its_headline_on_a_colour_band(site: LandingApp) -> None:
    site.publish(campaign())

    html = site.client.get(f"/j/{SLUG}").text

    assert "<img" not in html
    assert '<div class="headline hero-band">' in html
