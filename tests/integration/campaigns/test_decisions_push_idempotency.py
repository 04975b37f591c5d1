"""A push through the decisions service to the local Marketing API: retried after a
failure, each Meta budget changes exactly once, and the bulk files are not re-made.

Reuses ``FakeGraphApi`` of test_meta_adapter (Meta's request, response and error
shapes; it counts every call). The campaigns database is real (migrated SQLite or
PostgreSQL), the token is stored encrypted through ``PlatformDelivery``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from pydantic import SecretStr
from test_meta_adapter import TOKEN, FakeGraphApi, Scripted

from campaigns.catalog import repository as catalog_repo
from campaigns.config import Settings
from campaigns.decisions import repository as repo
from campaigns.decisions import service
from campaigns.decisions.platforms import PlatformDelivery
from campaigns.delivery import PlatformIds, make_meta_client
from campaigns.demo import DEMO_SLUG
from campaigns.insights.analytics_client import AllocationProposal
from campaigns.seed import seed_demo
from koers.db import make_engine, transaction
from tests.support.passwords import FAST_PASSWORD_HASHER

pytestmark = pytest.mark.integration

WEEK = "2026-W49"
DECIDED = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
SPLIT = {"instagram": 350.0, "facebook": 210.0, "tiktok": 240.0, "linkedin": 200.0}


@pytest.fixture
def graph() -> Iterator[FakeGraphApi]:
    api = FakeGraphApi()
    api.add("2001", 1_000)
    api.add("2002", 1_000)
    api.start()
    yield api
    api.stop()


@pytest.fixture
def engine(make_migrated_database_url: object, tmp_path: Path) -> Iterator[sa.Engine]:
    url = make_migrated_database_url("campaigns")  # type: ignore[operator]
    engine = make_engine(url)
    seed_demo(
        engine,
        var_dir=tmp_path / "var",
        console_url="http://127.0.0.1",
        demo_password="an integration test password",
        today=date(2026, 11, 23),
        now=datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
        password_hasher=FAST_PASSWORD_HASHER,
    )
    yield engine
    engine.dispose()


def test_a_failed_push_retried_changes_each_meta_budget_once(
    engine: sa.Engine, graph: FakeGraphApi, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=str(engine.url),
        delivery_key=SecretStr(Fernet.generate_key().decode()),
        meta_api_base_url=graph.base_url,
        meta_max_attempts=2,
        meta_max_wait_s=0.05,
        var_dir=tmp_path / "var",
    )
    meta_http = make_meta_client(settings)
    delivery = PlatformDelivery(settings, meta_http)
    with engine.connect() as conn:
        campaign = catalog_repo.campaign_by_slug(
            conn,
            conn.execute(
                sa.select(catalog_repo.campaigns.c.tenant_id).where(
                    catalog_repo.campaigns.c.slug == DEMO_SLUG
                )
            ).scalar_one(),
            DEMO_SLUG,
        )
    assert campaign is not None
    with transaction(engine) as conn:
        delivery.credentials(conn).set(campaign.tenant_id, "meta", TOKEN)
        repo.save_platform_ids(conn, campaign.id, "instagram", PlatformIds(ad_set_id="2001"))
        repo.save_platform_ids(conn, campaign.id, "facebook", PlatformIds(ad_set_id="2002"))
        proposal = AllocationProposal(
            campaign_id=campaign.id, week=WEEK, budget=1000, allocation=SPLIT
        )
        # Nothing reaches Meta before a decision.
        assert service.push_due(conn, DUE, delivery=delivery) == []
        service.record_decision(
            conn,
            campaign=campaign,
            week=WEEK,
            proposal=proposal,
            status="approved",
            amounts=None,
            actor="marketer@example.nl",
            now=DECIDED,
        )
    assert graph.total_calls() == 0

    outage = Scripted(503, {"error": {"message": "Service temporarily unavailable", "code": 2}})
    graph.fail_next("POST", "2002", outage, outage)
    with transaction(engine) as conn:
        first = {p.adapter: p.status for p in service.push_due(conn, DUE, delivery=delivery)}
    assert first == {"csv": "partial", "meta": "partial"}
    assert graph.objects["2001"]["daily_budget"] == "5000"  # €350 a week, €50 a day

    with transaction(engine) as conn:
        second = {p.adapter: p.status for p in service.push_due(conn, DUE, delivery=delivery)}
        third = service.push_due(conn, DUE, delivery=delivery)
    assert second == {"meta": "sent"}  # csv was not failed: not pushed again
    assert third == []
    assert graph.objects["2002"]["daily_budget"] == "3000"
    # 2001 changed once in the first push; 2002 failed twice, then changed once.
    assert graph.posts("2001") == 1
    assert graph.posts("2002") == 3
    assert graph.objects["2002"]["status"] == "ACTIVE"
    with engine.connect() as conn:
        [meta] = [
            p
            for p in repo.pushes_of(
                conn, service.idempotency_key(campaign.tenant_id, campaign.id, WEEK)
            )
            if p.adapter == "meta" and p.kind == "push"
        ]
    assert meta.attempts == 2
    assert {o["variant_id"]: o["outcome"] for o in meta.outcomes} == {
        "instagram": "already_set",
        "facebook": "changed",
    }
    meta_http.close()
