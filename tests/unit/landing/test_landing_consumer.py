"""Campaign-state events -> page snapshots, through the real consumer handlers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from landing_support import apply_event, campaign

from koers.events import CampaignPaused, InvalidEvent, VariantChanged, VariantState
from landing.pages.repository import find_page_by_slug, pages

pytestmark = pytest.mark.unit


def stored(engine: sa.Engine) -> sa.Row[object]:
    with engine.connect() as conn:
        return conn.execute(sa.select(pages)).one()


def test_newer_page_version_replaces_the_snapshot_and_older_ones_are_ignored(
    engine: sa.Engine,
) -> None:
    apply_event(engine, campaign(version=2, headline="Versie twee"))
    apply_event(engine, campaign(version=1, headline="Versie een (te laat)"))
    assert stored(engine).snapshot["page"]["headline"] == "Versie twee"

    apply_event(engine, campaign(version=3, headline="Versie drie"))

    row = stored(engine)
    assert (row.version, row.status, row.tenant_id) == (3, "published", "acme")
    assert row.snapshot["page"]["headline"] == "Versie drie"
    assert [v["variant_id"] for v in row.snapshot["variants"]] == ["v-video", "v-image"]


def test_pause_and_republish(engine: sa.Engine) -> None:
    apply_event(engine, campaign(version=1))
    apply_event(engine, CampaignPaused(slug="klantenservice-utrecht", reason="vacature vol"))
    assert stored(engine).status == "paused"

    apply_event(engine, campaign(version=2))

    assert stored(engine).status == "published"


def test_pause_of_an_unknown_campaign_changes_nothing(engine: sa.Engine) -> None:
    apply_event(engine, CampaignPaused(slug="nooit-gepubliceerd"), campaign_id="cmp-x")

    with engine.connect() as conn:
        assert conn.execute(sa.select(pages)).all() == []


def test_variant_change_updates_that_variant_only(engine: sa.Engine) -> None:
    apply_event(engine, campaign())
    changed = VariantState(
        variant_id="v-image",
        name="Foto team (nieuw)",
        channel="instagram",
        creative_format="image",
        hook="Nieuwe hook",
        live=False,
    )

    apply_event(engine, VariantChanged(slug="klantenservice-utrecht", variant=changed))

    with engine.connect() as conn:
        page = find_page_by_slug(conn, "klantenservice-utrecht")
    assert page is not None
    video, image = page.campaign.variants
    assert video.name == "Video collega"
    assert (image.name, image.hook, image.live) == ("Foto team (nieuw)", "Nieuwe hook", False)


def test_a_slug_taken_by_another_campaign_is_an_invalid_event(engine: sa.Engine) -> None:
    apply_event(engine, campaign(), campaign_id="cmp-1")

    with pytest.raises(InvalidEvent, match="already belongs to campaign cmp-1"):
        apply_event(engine, campaign(), campaign_id="cmp-2")
