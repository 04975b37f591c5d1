"""The weekly proposal over /v1: computed from stored facts, stored, published, decided."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from analytics.proposals.repository import allocation_for
from koers.events import ALLOCATIONS_TOPIC, Envelope, parse_envelope
from koers.messaging.schema import outbox_table

if TYPE_CHECKING:
    from conftest import Events, Feed

pytestmark = pytest.mark.unit

WEEKS = (44, 45, 46, 47)


def monday(week: int) -> date:
    return date.fromisocalendar(2026, week, 1)


def visit(week: int) -> datetime:
    return datetime.combine(monday(week), datetime.min.time(), UTC) + timedelta(hours=10)


def history(events: Events, leads: dict[str, int]) -> list[Envelope]:
    """Four weeks of €100 a week per creative, with ``leads[variant]`` leads a week."""
    batch: list[Envelope] = []
    for week in WEEKS:
        for variant, count in leads.items():
            batch.append(events.spend(variant, monday(week), 100.0, clicks=60))
            batch.extend(events.lead_submitted(variant, visit(week)) for _ in range(count))
    return batch


def published_outbox(engine: Engine) -> list[Envelope]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(outbox_table).order_by(outbox_table.c.id)).all()
    assert all(row.topic == ALLOCATIONS_TOPIC for row in rows)
    return [parse_envelope(row.value.encode()) for row in rows]


@pytest.fixture
def planned(feed: Feed, events: Events) -> Events:
    feed(
        events.published("strong", "weak", "paused", weekly_budget=900.0),
        events.variant_changed("paused", live=False),
        *history(events, {"strong": 12, "weak": 3, "paused": 5}),
    )
    return events


def url(campaign_id: str, week: str = "2026-W48", suffix: str = "") -> str:
    return f"/v1/campaigns/{campaign_id}/allocations/{week}{suffix}"


def test_a_proposal_is_computed_stored_and_published_in_one_go(
    client: TestClient, auth: dict[str, str], engine: Engine, planned: Events, campaign_id: str
) -> None:
    response = client.post(url(campaign_id), headers=auth)

    assert response.status_code == 201
    body = response.json()
    assert (body["week"], body["version"], body["status"]) == ("2026-W48", 1, "proposed")
    assert (body["budget"], body["conversion"], body["stand_in"]) == (900.0, "leads", None)
    allocation = body["proposal"]["allocation"]
    assert set(allocation) == {"strong", "weak"}  # the paused creative gets nothing
    assert sum(allocation.values()) == pytest.approx(900.0, abs=0.01)
    assert allocation["strong"] > allocation["weak"]
    assert body["proposal"]["p_best"]["strong"] > 0.5
    assert body["proposal"]["explanation"]

    (event,) = published_outbox(engine)
    assert str(event.event_id) == body["event_id"]
    assert (event.type, event.campaign_id, event.tenant_id) == (
        "AllocationProposed",
        campaign_id,
        "tenant-1",
    )
    assert event.payload["allocation"] == allocation
    assert event.payload["week"] == "2026-W48" and event.payload["budget"] == 900.0

    stored = client.get(url(campaign_id), headers=auth)
    assert stored.status_code == 200 and stored.json() == body


def test_proposing_again_with_the_same_facts_returns_the_stored_one(
    client: TestClient, auth: dict[str, str], engine: Engine, planned: Events, campaign_id: str
) -> None:
    first = client.post(url(campaign_id), headers=auth).json()

    again = client.post(url(campaign_id), headers=auth)

    assert again.status_code == 200
    assert again.json() == first
    assert len(published_outbox(engine)) == 1


def test_changed_facts_recompute_a_new_version_and_publish_it(
    client: TestClient,
    auth: dict[str, str],
    engine: Engine,
    feed: Feed,
    planned: Events,
    campaign_id: str,
) -> None:
    first = client.post(url(campaign_id), headers=auth).json()
    # Late leads restate W46 and W47: the weak creative turns out the better one.
    feed(*(planned.lead_submitted("weak", visit(w)) for w in (46, 47) for _ in range(40)))

    second = client.post(url(campaign_id), headers=auth)

    assert second.status_code == 201
    body = second.json()
    assert body["version"] == 2 and body["status"] == "proposed"
    assert body["event_id"] != first["event_id"]
    assert body["inputs_fingerprint"] != first["inputs_fingerprint"]
    assert body["proposal"]["allocation"]["weak"] > first["proposal"]["allocation"]["weak"]
    assert [str(e.event_id) for e in published_outbox(engine)] == [
        first["event_id"],
        body["event_id"],
    ]


def test_a_budget_in_the_body_overrides_the_campaign_budget(
    client: TestClient, auth: dict[str, str], planned: Events, campaign_id: str
) -> None:
    body = client.post(url(campaign_id), json={"budget": 300}, headers=auth).json()
    assert body["budget"] == 300.0
    assert sum(body["proposal"]["allocation"].values()) == pytest.approx(300.0, abs=0.01)


@pytest.mark.parametrize(
    "field", [{"by": "user\u00007"}, {"by": "user-7", "note": "ok\ud800"}], ids=["nul", "surrogate"]
)
def test_a_decision_a_database_would_not_store_is_refused_with_a_422(
    client: TestClient,
    auth: dict[str, str],
    planned: Events,
    campaign_id: str,
    field: dict[str, str],
) -> None:
    client.post(url(campaign_id), headers=auth)
    body = json.dumps({"decision": "approve", **field})  # escapes as JSON text carries them

    answer = client.post(
        url(campaign_id, suffix="/decision"),
        content=body,
        headers=auth | {"content-type": "application/json"},
    )

    assert answer.status_code == 422
    assert "control characters or unpaired surrogates" in answer.text
    assert client.get(url(campaign_id), headers=auth).json()["status"] == "proposed"


def test_a_decision_is_recorded_once_and_then_the_week_is_final(
    client: TestClient,
    auth: dict[str, str],
    engine: Engine,
    feed: Feed,
    planned: Events,
    campaign_id: str,
) -> None:
    proposed = client.post(url(campaign_id), headers=auth).json()
    decision = {"decision": "approve", "by": "user-7", "note": "Looks right"}

    approved = client.post(url(campaign_id, suffix="/decision"), json=decision, headers=auth)

    assert approved.status_code == 200
    body = approved.json()
    assert (body["status"], body["decided_by"], body["decision_note"]) == (
        "approved",
        "user-7",
        "Looks right",
    )
    assert body["decided_at"] is not None and body["event_id"] == proposed["event_id"]
    assert client.get(url(campaign_id), headers=auth).json()["status"] == "approved"
    repeated = client.post(url(campaign_id, suffix="/decision"), json=decision, headers=auth)
    assert repeated.status_code == 200 and repeated.json()["decided_at"] == body["decided_at"]

    reject = {"decision": "reject", "by": "user-8"}
    refused = client.post(url(campaign_id, suffix="/decision"), json=reject, headers=auth)
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert "already approved by user-7" in refused.json()["detail"]

    # The same facts: the approved proposal comes back. Changed facts: it stays final.
    assert client.post(url(campaign_id), headers=auth).status_code == 200
    feed(planned.lead_submitted("weak", visit(47)))
    changed = client.post(url(campaign_id), headers=auth)
    assert changed.status_code == 409
    assert "final" in changed.json()["detail"] and changed.json()["allocation_status"] == (
        "approved"
    )
    assert len(published_outbox(engine)) == 1  # no decision is published


def test_the_previous_weeks_allocation_feeds_the_next_proposal(
    client: TestClient, auth: dict[str, str], engine: Engine, planned: Events, campaign_id: str
) -> None:
    w48 = client.post(url(campaign_id), headers=auth).json()

    client.post(url(campaign_id, "2026-W49"), headers=auth)

    with engine.connect() as conn:
        stored = allocation_for(conn, campaign_id, "2026-W49")
    assert stored is not None
    assert stored.request["previous_allocation"] == w48["proposal"]["allocation"]


def test_an_approved_plan_that_delivery_did_not_follow_shows_in_the_health(
    client: TestClient,
    auth: dict[str, str],
    feed: Feed,
    planned: Events,
    campaign_id: str,
) -> None:
    allocation = client.post(url(campaign_id), headers=auth).json()["proposal"]["allocation"]
    client.post(
        url(campaign_id, suffix="/decision"), json={"decision": "approve", "by": "u"}, headers=auth
    )
    # The platforms spent the opposite way round in W48.
    feed(
        planned.spend("strong", monday(48), allocation["weak"], clicks=80),
        planned.spend("weak", monday(48), allocation["strong"], clicks=80),
        *(planned.page_viewed(v, visit(48)) for v in ("strong", "weak") for _ in range(40)),
    )

    health = client.get(f"/v1/campaigns/{campaign_id}/health", headers=auth).json()

    (srm,) = [issue for issue in health["issues"] if issue["code"] == "sample_ratio_mismatch"]
    assert srm["week"] == "2026-W48"


def test_a_slow_goal_reports_its_stand_in(
    client: TestClient, auth: dict[str, str], feed: Feed, events: Events, campaign_id: str
) -> None:
    feed(
        events.published("a", "b", goal="hire", weekly_budget=500.0),
        *history(events, {"a": 8, "b": 2}),
    )

    body = client.post(url(campaign_id), headers=auth).json()

    assert body["conversion"] == "hires"
    stand_in = body["stand_in"]
    assert stand_in["counter"] == "hires" and stand_in["weeks"] == [f"2026-W{w}" for w in WEEKS]
    assert "hires per lead" in stand_in["sentence"]
    assert body["proposal"]["allocation"]["a"] > body["proposal"]["allocation"]["b"]


@pytest.mark.parametrize(
    ("week", "status"),
    [("2026-W54", 422), ("2027-W53", 422), ("2026-48", 422), ("W48", 422)],
)
def test_a_week_that_does_not_exist_is_a_422_problem(
    client: TestClient,
    auth: dict[str, str],
    planned: Events,
    campaign_id: str,
    week: str,
    status: int,
) -> None:
    for method, path in (
        ("post", url(campaign_id, week)),
        ("get", url(campaign_id, week)),
        ("post", url(campaign_id, week, "/decision")),
    ):
        kwargs: dict[str, Any] = {"headers": auth}
        if path.endswith("/decision"):
            kwargs["json"] = {"decision": "approve", "by": "u"}
        response = getattr(client, method)(path, **kwargs)
        assert response.status_code == status, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"


def test_unknown_campaigns_and_weeks_without_a_proposal_are_404_problems(
    client: TestClient, auth: dict[str, str], planned: Events, campaign_id: str
) -> None:
    for response in (
        client.post(url("c-nobody"), headers=auth),
        client.get(url("c-nobody"), headers=auth),
        client.get(url(campaign_id, "2026-W50"), headers=auth),
        client.post(
            url(campaign_id, "2026-W50", "/decision"),
            json={"decision": "reject", "by": "u"},
            headers=auth,
        ),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    assert "2026-W50" in client.get(url(campaign_id, "2026-W50"), headers=auth).json()["detail"]


def test_no_live_creative_is_a_409_with_a_clear_detail(
    client: TestClient, auth: dict[str, str], feed: Feed, events: Events, campaign_id: str
) -> None:
    feed(events.published("a"), events.variant_changed("a", live=False))

    response = client.post(url(campaign_id), headers=auth)

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "no live creative" in response.json()["detail"]


def test_a_paused_or_unpublished_campaign_cannot_be_planned(
    client: TestClient, auth: dict[str, str], feed: Feed, events: Events, campaign_id: str
) -> None:
    feed(events.page_viewed("a", visit(47)))  # facts, but no campaign state yet
    unpublished = client.post(url(campaign_id), headers=auth)
    assert unpublished.status_code == 409 and "published state" in unpublished.json()["detail"]

    feed(events.published("a"), events.paused())
    paused = client.post(url(campaign_id), headers=auth)
    assert paused.status_code == 409 and "paused" in paused.json()["detail"]


@pytest.mark.parametrize(
    ("suffix", "body"),
    [
        ("", {"budget": -5}),
        ("", {"budget": "lots"}),
        ("", {"budget": 1e15}),
        ("", {"budgett": 100}),
        ("/decision", {"decision": "maybe", "by": "u"}),
        ("/decision", {"decision": "approve"}),
        ("/decision", {"decision": "approve", "by": ""}),
        ("/decision", {"decision": "approve", "by": "u", "note": "x" * 2001}),
    ],
)
def test_bad_bodies_are_422_problems(
    client: TestClient,
    auth: dict[str, str],
    planned: Events,
    campaign_id: str,
    suffix: str,
    body: dict[str, Any],
) -> None:
    client.post(url(campaign_id), headers=auth)
    response = client.post(url(campaign_id, suffix=suffix), json=body, headers=auth)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_not_json_is_a_422_problem(
    client: TestClient, auth: dict[str, str], planned: Events, campaign_id: str
) -> None:
    response = client.post(
        url(campaign_id),
        content=b"{budget",
        headers={**auth, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert json.loads(response.text)["status"] == 422


def test_the_allocation_routes_need_the_token_and_are_documented(
    client: TestClient, campaign_id: str
) -> None:
    assert client.post(url(campaign_id)).status_code == 401
    assert client.get(url(campaign_id)).status_code == 401
    decision = client.post(url(campaign_id, suffix="/decision"), json={})
    assert decision.status_code == 401
    spec = client.get("/openapi.json").json()
    path = spec["paths"]["/v1/campaigns/{campaign_id}/allocations/{week}"]
    assert {"200", "201", "401", "404", "409", "422"} <= set(path["post"]["responses"])
    assert path["post"]["description"] and path["post"]["security"]
    assert "/v1/campaigns/{campaign_id}/allocations/{week}/decision" in spec["paths"]
