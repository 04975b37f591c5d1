"""Campaign lifecycle, creatives and page publishing: state, audit rows and outbox events
are written together, and only the transitions the lifecycle allows happen."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from campaigns.catalog.domain import Campaign, check_transition
from campaigns.catalog.inputs import CampaignInput, NewCampaignInput, NewCreativeInput, PageInput
from campaigns.demo import DEMO_PAGE
from campaigns.errors import (
    CampaignNotPublishable,
    InvalidInput,
    TransitionRefused,
)
from koers.db import transaction
from koers.events import (
    CampaignPaused,
    CampaignPublished,
    Envelope,
    VariantChanged,
    parse_envelope,
)
from tests.support import campaigns_db as repo
from tests.support import campaigns_use_cases as service_layer

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ACTOR = "marketer@example.nl"


@pytest.fixture
def tenant(engine: Engine) -> str:
    with transaction(engine) as conn:
        repo.add_tenant(conn, "t-1", "Bakkerij Jansen")
    return "t-1"


def new_campaign(engine: Engine, tenant: str, **fields: object) -> str:
    data = NewCampaignInput.model_validate(
        {"name": "Bakker Utrecht", "vacancy_title": "Bakker", "weekly_budget": "400", **fields}
    )
    with transaction(engine) as conn:
        campaign = service_layer.open_campaign(
            conn, tenant_id=tenant, data=data, employer_name="Bakkerij Jansen", actor=ACTOR, now=NOW
        )
    return campaign.slug


def add_creative(engine: Engine, tenant: str, slug: str, channel: str = "instagram") -> str:
    with transaction(engine) as conn:
        campaign = service_layer.get_campaign(conn, tenant, slug)
        variant = service_layer.add_creative(
            conn,
            campaign=campaign,
            data=NewCreativeInput(name=f"{channel} ad", channel=channel, hook="Vers brood?"),  # type: ignore[arg-type]
            actor=ACTOR,
            now=NOW,
        )
    return variant.variant_id


def events(engine: Engine) -> list[Envelope]:
    with engine.connect() as conn:
        values = conn.execute(sa.select(repo.outbox.c.value).order_by(repo.outbox.c.id)).scalars()
        return [parse_envelope(v) for v in values]


def audit_actions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(repo.audit_log.c.action).order_by(repo.audit_log.c.id))
        return list(rows.scalars())


def campaign(engine: Engine, tenant: str, slug: str) -> Campaign:
    with engine.connect() as conn:
        return service_layer.get_campaign(conn, tenant, slug)


def test_lifecycle_transitions_are_validated() -> None:
    assert check_transition("draft", "live") == "live"
    assert check_transition("live", "paused") == "paused"
    assert check_transition("paused", "live") == "live"
    assert check_transition("paused", "ended") == "ended"
    for current, target in [("draft", "paused"), ("ended", "live"), ("live", "draft")]:
        with pytest.raises(TransitionRefused):
            check_transition(current, target)  # type: ignore[arg-type]
    with pytest.raises(TransitionRefused, match="already"):
        check_transition("live", "live")
    with pytest.raises(TransitionRefused, match="unknown"):
        check_transition("live", "archived")


def test_a_new_campaign_is_a_draft_with_a_page_to_build_on(engine: Engine, tenant: str) -> None:
    slug = new_campaign(engine, tenant, location="Utrecht", hours_min=32, hours_max=40)
    created = campaign(engine, tenant, slug)
    assert slug == "bakker-utrecht"
    assert created.status == "draft" and created.page_version == 0
    assert created.location == "Utrecht" and (created.hours_min, created.hours_max) == (32, 40)
    assert created.page["employer_name"] == "Bakkerij Jansen"
    assert events(engine) == []  # nothing is announced before it goes live
    assert audit_actions(engine) == ["create"]
    # The same name again gets its own address.
    assert new_campaign(engine, tenant) == "bakker-utrecht-2"


def test_going_live_publishes_the_page_with_guardrails_and_dates(
    engine: Engine, tenant: str
) -> None:
    slug = new_campaign(
        engine,
        tenant,
        starts_on="2026-12-01",
        ends_on="2027-02-28",
        guardrails={"exploration_share": 0.2, "channel_caps": {"tiktok": 0.5}, "autopilot": True},
    )
    with (
        pytest.raises(CampaignNotPublishable, match="no live creative"),
        transaction(engine) as conn,
    ):
        service_layer.transition(
            conn, campaign=campaign(engine, tenant, slug), to="live", actor=ACTOR, now=NOW
        )
    add_creative(engine, tenant, slug, "instagram")
    add_creative(engine, tenant, slug, "instagram")
    with transaction(engine) as conn:
        live = service_layer.transition(
            conn, campaign=campaign(engine, tenant, slug), to="live", actor=ACTOR, now=NOW
        )
    assert live.status == "live" and live.page_version == 1 and live.page_published
    published = events(engine)[-1].typed_payload()
    assert isinstance(published, CampaignPublished)
    assert [v.variant_id for v in published.variants] == ["instagram", "instagram-2"]
    assert published.guardrails.exploration_share == 0.2
    assert published.guardrails.channel_caps == {"tiktok": 0.5}
    assert published.guardrails.autopilot is True
    assert str(published.starts_on) == "2026-12-01" and str(published.ends_on) == "2027-02-28"
    with engine.connect() as conn:
        versions = repo.page_versions_of(conn, live.id)
    assert [v.version for v in versions] == [1]
    assert versions[0].snapshot["employer_name"] == "Bakkerij Jansen"


def test_pause_resume_and_end_announce_each_step(engine: Engine, tenant: str) -> None:
    slug = new_campaign(engine, tenant)
    add_creative(engine, tenant, slug)
    for target in ("live", "paused", "live", "ended"):
        with transaction(engine) as conn:
            service_layer.transition(
                conn,
                campaign=campaign(engine, tenant, slug),
                to=target,
                reason="budget freeze" if target == "paused" else "",
                actor=ACTOR,
                now=NOW,
            )
    kinds = [type(e.typed_payload()).__name__ for e in events(engine)]
    # No VariantChanged: the creative was added before anything was announced.
    assert kinds == ["CampaignPublished", "CampaignPaused", "CampaignPublished", "CampaignPaused"]
    paused = events(engine)[1].typed_payload()
    assert isinstance(paused, CampaignPaused) and paused.reason == "budget freeze"
    resumed = events(engine)[2].typed_payload()
    assert isinstance(resumed, CampaignPublished) and resumed.page.version == 2
    ended = campaign(engine, tenant, slug)
    assert ended.status == "ended" and not ended.page_published
    assert audit_actions(engine)[-4:] == ["publish", "pause", "resume", "end"]
    with pytest.raises(TransitionRefused), transaction(engine) as conn:
        service_layer.transition(conn, campaign=ended, to="live", actor=ACTOR, now=NOW)


def test_creatives_added_while_live_are_announced(engine: Engine, tenant: str) -> None:
    slug = new_campaign(engine, tenant)
    add_creative(engine, tenant, slug, "tiktok")
    with transaction(engine) as conn:
        service_layer.publish_page(
            conn, campaign=campaign(engine, tenant, slug), actor=ACTOR, now=NOW
        )
    added = add_creative(engine, tenant, slug, "linkedin")
    changed = events(engine)[-1].typed_payload()
    assert isinstance(changed, VariantChanged)
    assert changed.variant.variant_id == added == "linkedin" and changed.variant.live


def test_the_last_live_creative_of_a_live_campaign_stays(engine: Engine, tenant: str) -> None:
    slug = new_campaign(engine, tenant)
    first = add_creative(engine, tenant, slug, "tiktok")
    second = add_creative(engine, tenant, slug, "facebook")
    with transaction(engine) as conn:
        live = service_layer.publish_page(
            conn, campaign=campaign(engine, tenant, slug), actor=ACTOR, now=NOW
        )
    with transaction(engine) as conn:
        paused = service_layer.creative_action(
            conn, campaign=live, variant_id=first, action="pause", actor=ACTOR, now=NOW
        )
    assert paused.status == "paused"
    with pytest.raises(TransitionRefused, match="last live"), transaction(engine) as conn:
        service_layer.creative_action(
            conn, campaign=live, variant_id=second, action="archive", actor=ACTOR, now=NOW
        )
    with transaction(engine) as conn:
        service_layer.creative_action(
            conn, campaign=live, variant_id=first, action="archive", actor=ACTOR, now=NOW
        )
    announced = events(engine)[-1].typed_payload()
    assert isinstance(announced, VariantChanged) and announced.variant.live is False
    with pytest.raises(TransitionRefused), transaction(engine) as conn:
        service_layer.creative_action(
            conn, campaign=live, variant_id=first, action="resume", actor=ACTOR, now=NOW
        )


def test_an_ad_name_belongs_to_one_creative(engine: Engine, tenant: str) -> None:
    slug = new_campaign(engine, tenant)
    with transaction(engine) as conn:
        target = service_layer.get_campaign(conn, tenant, slug)
        service_layer.add_creative(
            conn,
            campaign=target,
            data=NewCreativeInput.model_validate(
                {"name": "A", "channel": "tiktok", "hook": "h", "ad_key": "Bakker | TT"}
            ),
            actor=ACTOR,
            now=NOW,
        )
    with pytest.raises(InvalidInput) as refused, transaction(engine) as conn:
        service_layer.add_creative(
            conn,
            campaign=target,
            data=NewCreativeInput.model_validate(
                {"name": "B", "channel": "tiktok", "hook": "h", "ad_key": "Bakker | TT"}
            ),
            actor=ACTOR,
            now=NOW,
        )
    assert "ad_key" in refused.value.field_errors


def test_budget_changes_of_a_live_campaign_are_announced(engine: Engine, tenant: str) -> None:
    slug = new_campaign(engine, tenant)
    add_creative(engine, tenant, slug)
    with transaction(engine) as conn:
        service_layer.publish_page(
            conn, campaign=campaign(engine, tenant, slug), actor=ACTOR, now=NOW
        )
        service_layer.save_page(
            conn,
            campaign=service_layer.get_campaign(conn, tenant, slug),
            data=PageInput.model_validate(
                {**DEMO_PAGE, "employer_name": "Bakkerij Jansen", "headline": "Nieuwe kop"}
            ),
            actor=ACTOR,
            now=NOW,
        )
        service_layer.update_campaign(
            conn,
            campaign=service_layer.get_campaign(conn, tenant, slug),
            data=CampaignInput.model_validate(
                {"name": "Bakker", "vacancy_title": "Bakker", "weekly_budget": "650.00"}
            ),
            actor=ACTOR,
            now=NOW,
        )
    published = events(engine)[-1].typed_payload()
    assert isinstance(published, CampaignPublished)
    assert published.weekly_budget == 650.0 and published.page.version == 2
    # The saved-but-unpublished draft does not leak out with a budget change.
    assert published.page.headline != "Nieuwe kop"


def test_unpublishing_takes_the_page_offline_and_pauses(engine: Engine, tenant: str) -> None:
    slug = new_campaign(engine, tenant)
    add_creative(engine, tenant, slug)
    with transaction(engine) as conn:
        live = service_layer.publish_page(
            conn, campaign=campaign(engine, tenant, slug), actor=ACTOR, now=NOW
        )
        offline = service_layer.unpublish_page(conn, campaign=live, actor=ACTOR, now=NOW)
    assert offline.status == "paused" and not offline.page_published
    paused = events(engine)[-1].typed_payload()
    assert isinstance(paused, CampaignPaused) and paused.reason == "page unpublished"
    with pytest.raises(TransitionRefused), transaction(engine) as conn:
        service_layer.unpublish_page(conn, campaign=offline, actor=ACTOR, now=NOW)


def test_a_failed_publish_writes_nothing(engine: Engine, tenant: str) -> None:
    slug = new_campaign(engine, tenant)
    add_creative(engine, tenant, slug)
    broken = {**DEMO_PAGE, "employer_name": "X", "quiz": [], "entry_points": ["quiz"]}
    with transaction(engine) as conn:
        conn.execute(
            sa.update(repo.campaigns).where(repo.campaigns.c.slug == slug).values(page=broken)
        )
    before = (len(events(engine)), audit_actions(engine))
    with pytest.raises(CampaignNotPublishable, match="quiz"), transaction(engine) as conn:
        service_layer.publish_page(
            conn, campaign=campaign(engine, tenant, slug), actor=ACTOR, now=NOW
        )
    assert (len(events(engine)), audit_actions(engine)) == before
    assert campaign(engine, tenant, slug).status == "draft"


def test_weekly_budget_keeps_cents(engine: Engine, tenant: str) -> None:
    slug = new_campaign(engine, tenant, weekly_budget="1234.56")
    assert campaign(engine, tenant, slug).weekly_budget == Decimal("1234.56")
