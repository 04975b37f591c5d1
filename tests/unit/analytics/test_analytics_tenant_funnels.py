"""``GET /v1/tenants/{tenant}/funnels``: several of a tenant's funnels in one request, each
as the single ``/funnel`` answers it, never another tenant's, in a few queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from conftest import Events, Feed
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine

from analytics.facts import queries

pytestmark = pytest.mark.unit

W47 = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
W48 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def campaign_with_facts(feed: Feed, campaign_id: str, tenant_id: str, visits: int) -> Events:
    events = Events(campaign_id, tenant_id)
    feed(
        events.published("ig", "tt"),
        *(events.page_viewed("ig", W47) for _ in range(visits)),
        events.lead_submitted("tt", W48),
        events.spend("ig", date(2026, 11, 16), 10.10, impressions=1000, clicks=30),
    )
    return events


def funnels(client: TestClient, auth: dict[str, str], tenant: str, *campaigns: str) -> Response:
    return client.get(
        f"/v1/tenants/{tenant}/funnels", params={"campaign_id": list(campaigns)}, headers=auth
    )


def test_each_funnel_is_the_one_the_single_route_answers(
    client: TestClient, auth: dict[str, str], feed: Feed
) -> None:
    campaign_with_facts(feed, "c-a1", "tenant-1", visits=3)
    campaign_with_facts(feed, "c-a2", "tenant-1", visits=5)

    response = funnels(client, auth, "tenant-1", "c-a2", "c-a1", "c-a2")

    assert response.status_code == 200
    body = response.json()
    assert body["tenant_id"] == "tenant-1" and body["unknown"] == []
    assert body["funnels"] == [
        client.get(f"/v1/campaigns/{campaign}/funnel", headers=auth).json()
        for campaign in ("c-a2", "c-a1")
    ]
    assert body["funnels"][1]["totals"]["visits"] == 3


def test_another_tenants_campaigns_are_unknown_even_named_by_id(
    client: TestClient, auth: dict[str, str], feed: Feed
) -> None:
    campaign_with_facts(feed, "c-a1", "tenant-1", visits=3)
    campaign_with_facts(feed, "c-b1", "tenant-2", visits=7)
    facts_only = Events("c-x", "tenant-2")
    feed(facts_only.page_viewed("ig", W47))  # no published state: no known owner

    as_a = funnels(client, auth, "tenant-1", "c-a1", "c-b1", "c-x", "c-none").json()
    as_b = funnels(client, auth, "tenant-2", "c-a1", "c-b1").json()

    assert [f["campaign_id"] for f in as_a["funnels"]] == ["c-a1"]
    assert as_a["unknown"] == ["c-b1", "c-x", "c-none"]
    assert [f["campaign_id"] for f in as_b["funnels"]] == ["c-b1"]
    assert as_b["unknown"] == ["c-a1"]
    assert as_b["funnels"][0]["totals"]["visits"] == 7


def test_a_batched_funnel_follows_new_facts(
    client: TestClient, auth: dict[str, str], feed: Feed
) -> None:
    events = campaign_with_facts(feed, "c-a1", "tenant-1", visits=3)
    before = funnels(client, auth, "tenant-1", "c-a1").json()["funnels"][0]

    feed(events.page_viewed("ig", W48))
    after = funnels(client, auth, "tenant-1", "c-a1").json()["funnels"][0]

    assert (before["totals"]["visits"], after["totals"]["visits"]) == (3, 4)


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


def test_the_number_of_queries_does_not_grow_with_the_campaigns(engine: Engine, feed: Feed) -> None:
    few = ["c-f0", "c-f1"]
    many = [f"c-m{n}" for n in range(12)]
    for campaign in few + many:
        campaign_with_facts(feed, campaign, "tenant-1", visits=2)

    with statements(engine) as for_few:
        queries.tenant_funnels(engine, "tenant-1", few)
    with statements(engine) as for_many:
        read = queries.tenant_funnels(engine, "tenant-1", many)
    with statements(engine) as kept:
        again = queries.tenant_funnels(engine, "tenant-1", many)

    assert len(for_many) == len(for_few) <= 6
    assert len(kept) < len(for_many)  # unchanged facts: only ownership and versions
    assert list(read) == many and again == read
    assert all(f.totals.visits == 2 for f in read.values())


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/tenants/tenant-1/funnels", {}),
        ("/v1/tenants/tenant-1/funnels", {"campaign_id": ""}),
        ("/v1/tenants/tenant-1/funnels", {"campaign_id": "c" * 65}),
        ("/v1/tenants/tenant-1/funnels", {"campaign_id": [f"c-{n}" for n in range(101)]}),
        (f"/v1/tenants/{'t' * 65}/funnels", {"campaign_id": "c-1"}),
    ],
)
def test_bad_requests_are_422_problems(
    client: TestClient, auth: dict[str, str], path: str, params: dict[str, object]
) -> None:
    response = client.get(path, params=params, headers=auth)  # type: ignore[arg-type]

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_the_batched_funnels_need_the_service_token(client: TestClient) -> None:
    response = client.get("/v1/tenants/tenant-1/funnels", params={"campaign_id": "c-1"})

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
