"""Weekly facts, data health and insights as the console reads them over /v1."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from analytics.proposals.repository import StoredAllocation, save_allocation
from koers.db import transaction
from koers.events import Guardrails

if TYPE_CHECKING:
    from conftest import Events, Feed

pytestmark = pytest.mark.unit

W47 = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
W48 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
W50 = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)


def monday(week: int) -> date:
    return date.fromisocalendar(2026, week, 1)


def test_facts_carry_the_creatives_attributes_and_the_campaign_guardrails(
    client: TestClient, auth: dict[str, str], feed: Feed, events: Events, campaign_id: str
) -> None:
    guardrails = Guardrails(exploration_share=0.2, channel_caps={"tiktok": 0.5})
    feed(
        events.published(
            events.variant(
                "tt",
                channel="tiktok",
                creative_format="carousel",
                employee_generated=True,
                tags=("hook:question", "salary-shown"),
                hook="Wat verdien jij?",
            ),
            "ig",
            goal="hire",
            weekly_budget=1200.0,
            guardrails=guardrails,
            starts_on=date(2026, 11, 16),
            ends_on=date(2027, 2, 28),
        ),
        events.page_viewed("tt", W47),
        events.lead_submitted("tt", W47),
        events.spend("tt", monday(47), 20.0, impressions=2000, clicks=30),
        events.page_viewed("ig", W48),
        events.page_viewed("orphan", W48),  # a creative analytics never saw described
    )

    response = client.get(f"/v1/campaigns/{campaign_id}/facts", headers=auth)

    assert response.status_code == 200
    body = response.json()
    assert (body["from_week"], body["to_week"]) == (None, None)
    campaign = body["campaign"]
    assert (campaign["goal"], campaign["weekly_budget"], campaign["status"]) == (
        "hire",
        1200.0,
        "published",
    )
    assert campaign["guardrails"]["exploration_share"] == 0.2
    assert campaign["guardrails"]["channel_caps"] == {"tiktok": 0.5}
    assert (campaign["starts_on"], campaign["ends_on"]) == ("2026-11-16", "2027-02-28")
    variants = {v["variant_id"]: v for v in body["variants"]}
    assert list(variants) == ["ig", "orphan", "tt"]
    assert variants["tt"]["attributes"] == {
        "name": "Creative tt",
        "channel": "tiktok",
        "creative_format": "carousel",
        "hook": "Wat verdien jij?",
        "live": True,
        "employee_generated": True,
        "tags": ["hook:question", "salary-shown"],
    }
    assert variants["orphan"]["attributes"] is None
    (tt_week,) = variants["tt"]["weeks"]
    assert (tt_week["week"], tt_week["visits"], tt_week["leads"]) == ("2026-W47", 1, 1)
    assert (tt_week["spend"], tt_week["impressions"], tt_week["clicks"]) == (20.0, 2000, 30)


def test_a_variant_change_updates_its_attributes(
    client: TestClient, auth: dict[str, str], feed: Feed, events: Events, campaign_id: str
) -> None:
    feed(events.published("ig"))
    changed = events.variant("ig", live=False, creative_format="image", tags=("hook:money",))
    feed(events.variant_changed_to(changed))

    body = client.get(f"/v1/campaigns/{campaign_id}/facts", headers=auth).json()

    (ig,) = body["variants"]
    assert ig["attributes"]["creative_format"] == "image"
    assert ig["attributes"]["tags"] == ["hook:money"] and ig["attributes"]["live"] is False


def test_a_week_range_limits_counters_and_spend_alike(
    client: TestClient, auth: dict[str, str], feed: Feed, events: Events, campaign_id: str
) -> None:
    feed(
        events.page_viewed("ig", W47),
        events.page_viewed("ig", W48),
        events.page_viewed("ig", W50),
        events.spend("ig", monday(47) + timedelta(days=6), 10.0),  # Sunday of W47
        events.spend("ig", monday(48), 7.0),
        events.spend("ig", monday(49), 3.0),
    )

    response = client.get(
        f"/v1/campaigns/{campaign_id}/facts",
        params={"from": "2026-W48", "to": "2026-W49"},
        headers=auth,
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["from_week"], body["to_week"]) == ("2026-W48", "2026-W49")
    (ig,) = body["variants"]
    assert [(w["week"], w["visits"], w["spend"]) for w in ig["weeks"]] == [
        ("2026-W48", 1, 7.0),
        ("2026-W49", 0, 3.0),
    ]
    only_from = client.get(
        f"/v1/campaigns/{campaign_id}/facts", params={"from": "2026-W50"}, headers=auth
    ).json()
    assert [w["week"] for w in only_from["variants"][0]["weeks"]] == ["2026-W50"]


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"from": "2026-W54"}, "2026 has no week 54"),
        ({"to": "2027-W53"}, "2027 has no week 53"),
        ({"from": "2026-W50", "to": "2026-W48"}, "after"),
        ({"from": "last week"}, "from"),
        ({"to": "2026-W7"}, "to"),
    ],
)
def test_a_bad_week_range_is_a_422_problem(
    client: TestClient,
    auth: dict[str, str],
    feed: Feed,
    events: Events,
    campaign_id: str,
    params: dict[str, str],
    needle: str,
) -> None:
    feed(events.page_viewed("ig", W47))
    for path in ("facts", "health"):
        response = client.get(f"/v1/campaigns/{campaign_id}/{path}", params=params, headers=auth)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert needle in response.json()["detail"]


def test_unknown_campaigns_and_missing_tokens_are_problems(
    client: TestClient, auth: dict[str, str], campaign_id: str
) -> None:
    for path in ("facts", "health", "insights"):
        url = f"/v1/campaigns/{campaign_id}/{path}"
        assert client.get(url, headers=auth).status_code == 404
        refused = client.get(url)
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"


def test_health_reports_broken_delivery_and_a_plan_not_followed(
    client: TestClient,
    auth: dict[str, str],
    engine: Engine,
    feed: Feed,
    events: Events,
    campaign_id: str,
) -> None:
    feed(
        events.published("ig", "tt"),
        events.spend("ig", monday(47), 300.0, clicks=60),
        events.spend("tt", monday(47), 100.0, clicks=0),
        *(events.page_viewed("ig", W47) for _ in range(30)),
    )
    healthy = client.get(f"/v1/campaigns/{campaign_id}/health", headers=auth).json()
    assert healthy["status"] == "issues"
    assert [(i["code"], i["variant_id"]) for i in healthy["issues"]] == [
        ("spend_without_clicks", "tt")
    ]

    approve(engine, campaign_id, "2026-W47", {"ig": 200.0, "tt": 200.0})
    body = client.get(f"/v1/campaigns/{campaign_id}/health", headers=auth).json()

    codes = [(i["week"], i["code"]) for i in body["issues"]]
    assert codes == [("2026-W47", "sample_ratio_mismatch"), ("2026-W47", "spend_without_clicks")]
    srm = body["issues"][0]
    assert srm["variant_id"] is None and srm["figures"]["p_value"] < 0.001
    assert "ig got 75% of the spend against 50% planned" in srm["message"]


def approve(engine: Engine, campaign_id: str, week: str, allocation: dict[str, float]) -> None:
    with transaction(engine) as conn:
        save_allocation(
            conn,
            StoredAllocation(
                campaign_id=campaign_id,
                week=week,
                version=1,
                status="approved",
                budget=Decimal(str(sum(allocation.values()))),
                conversion="leads",
                inputs_fingerprint="test",
                request={},
                response={"allocation": allocation},
                event_id=str(uuid.uuid4()),
                proposed_at=datetime(2026, 11, 13, tzinfo=UTC),
            ),
        )


def test_insights_explain_which_attributes_bring_leads_per_euro(
    client: TestClient, auth: dict[str, str], feed: Feed, events: Events, campaign_id: str
) -> None:
    rng = np.random.default_rng(42)
    creatives = [
        events.variant("v1", channel="instagram", creative_format="image"),
        events.variant("v2", channel="instagram", creative_format="video"),
        events.variant("v3", channel="tiktok", creative_format="video", employee_generated=True),
        events.variant("v4", channel="tiktok", creative_format="image", employee_generated=True),
    ]
    feed(events.published(*creatives))
    batch = []
    for creative in creatives:
        rate = 0.04 * (3.0 if creative.creative_format == "video" else 1.0)
        for week in range(40, 48):
            spend = float(rng.uniform(40, 120))
            batch.append(events.spend(creative.variant_id, monday(week), spend, clicks=40))
            visit = datetime.combine(monday(week), datetime.min.time(), UTC) + timedelta(hours=9)
            batch.extend(
                events.lead_submitted(creative.variant_id, visit)
                for _ in range(int(rng.poisson(rate * spend)))
            )
    feed(*batch)

    response = client.get(f"/v1/campaigns/{campaign_id}/insights", headers=auth)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok", body["reason"]
    assert (body["scope"], body["conversion"], body["campaign_ids"]) == (
        "campaign",
        "leads",
        [campaign_id],
    )
    assert body["model"]["variant_weeks"] == 32 and body["model"]["variants"] == 4
    (video,) = [e for e in body["effects"] if e["attribute"] == "creative_format"]
    assert video["low"] < 3.0 < video["high"] and video["low"] > 1.5
    assert video["reading"].startswith("Video creatives produce")
    checks = {c["variant_id"]: c for c in body["classical_checks"]}
    assert set(checks) == {"v1", "v2", "v3", "v4"}
    v2 = checks["v2"]["cost_per_conversion"]
    assert v2["low"] < v2["estimate"] < v2["high"]
    assert checks["v2"]["conversion_rate_per_click"]["estimate"] > 0


def test_insights_refuse_politely_without_enough_data(
    client: TestClient, auth: dict[str, str], feed: Feed, events: Events, campaign_id: str
) -> None:
    feed(
        events.published("ig", events.variant("tt", channel="tiktok")),
        events.spend("ig", monday(47), 50.0),
        events.lead_submitted("ig", W47),
    )

    response = client.get(f"/v1/campaigns/{campaign_id}/insights", headers=auth)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "not_enough_data"
    assert "creative-weeks" in body["reason"] and body["effects"] == []
    (ig, tt) = body["classical_checks"]
    assert ig["cost_per_conversion"]["estimate"] == 50.0
    assert tt["cost_per_conversion"] == {"estimate": None, "low": None, "high": None}


def test_insights_without_campaign_state_say_so(
    client: TestClient, auth: dict[str, str], feed: Feed, events: Events, campaign_id: str
) -> None:
    feed(events.page_viewed("ig", W47))
    body = client.get(f"/v1/campaigns/{campaign_id}/insights", headers=auth).json()
    assert body["status"] == "not_enough_data" and "published state" in body["reason"]


def test_tenant_scope_compares_every_campaign_of_the_tenant(
    client: TestClient, auth: dict[str, str], feed: Feed, events: Events, campaign_id: str
) -> None:
    other = type(events)(f"c-{uuid.uuid4().hex[:12]}", tenant_id=events.tenant_id)
    stranger = type(events)(f"c-{uuid.uuid4().hex[:12]}", tenant_id="tenant-2")
    feed(events.published("ig"), other.published("tt"), stranger.published("li"))

    body = client.get(
        f"/v1/campaigns/{campaign_id}/insights",
        params={"scope": "tenant", "goal": "application"},
        headers=auth,
    ).json()

    assert body["scope"] == "tenant" and body["conversion"] == "applications"
    assert sorted(body["campaign_ids"]) == sorted([campaign_id, other.campaign_id])
    bad = client.get(
        f"/v1/campaigns/{campaign_id}/insights", params={"scope": "world"}, headers=auth
    )
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


def test_openapi_documents_facts_health_and_insights(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("facts", "health", "insights"):
        operation = spec["paths"][f"/v1/campaigns/{{campaign_id}}/{path}"]["get"]
        assert operation["description"] and operation["security"]
        assert {"401", "404", "422"} <= set(operation["responses"])
    facts = spec["paths"]["/v1/campaigns/{campaign_id}/facts"]["get"]
    assert {p["name"] for p in facts["parameters"]} >= {"from", "to"}
