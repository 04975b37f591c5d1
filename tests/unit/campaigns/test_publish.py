from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from campaigns.catalog.domain import Variant
from campaigns.demo import DEMO_PAGE, DEMO_VARIANTS
from campaigns.errors import CampaignNotPublishable
from koers.db import transaction
from koers.events import CampaignPublished, parse_envelope
from tests.support import campaigns_db as repo
from tests.support import campaigns_use_cases as service_layer

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class Interrupted(Exception):
    pass


def draft(engine: Engine, variants: tuple[Variant, ...] = DEMO_VARIANTS) -> str:
    with transaction(engine) as conn:
        repo.add_tenant(conn, "tenant-a", "Werkgever A")
        service_layer.create_campaign(
            conn,
            tenant_id="tenant-a",
            new=service_layer.NewCampaign(
                slug="callcenter-amersfoort",
                name="Callcenter Amersfoort",
                vacancy_title="Callcentermedewerker",
                goal="lead",
                weekly_budget=Decimal("750.00"),
                page=DEMO_PAGE,
                variants=variants,
            ),
            actor="marketer@example.nl",
            now=NOW,
        )
    return "callcenter-amersfoort"


def outbox_values(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(repo.outbox.c.value)).scalars())


def audit_actions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(sa.select(repo.audit_log.c.action).order_by(repo.audit_log.c.id)).scalars()
        )


def test_publishing_writes_status_audit_and_event_together(engine: Engine) -> None:
    slug = draft(engine)

    with transaction(engine) as conn:
        envelope = service_layer.publish(
            conn, tenant_id="tenant-a", slug=slug, actor="marketer@example.nl", now=NOW
        )

    [raw] = outbox_values(engine)
    event = parse_envelope(raw.encode())
    assert event.event_id == envelope.event_id
    assert event.type == "CampaignPublished" and event.topic == "koers.campaign-state.v1"
    assert event.tenant_id == "tenant-a"
    payload = event.typed_payload()
    assert isinstance(payload, CampaignPublished)
    assert payload.page.version == 1 and len(payload.variants) == 4
    with engine.connect() as conn:
        campaign = repo.campaign_by_slug(conn, "tenant-a", slug)
    assert campaign is not None
    assert campaign.status == "live" and campaign.page_version == 1
    assert audit_actions(engine) == ["create", "publish"]


def test_republishing_bumps_the_page_version(engine: Engine) -> None:
    slug = draft(engine)
    for _ in range(2):
        with transaction(engine) as conn:
            service_layer.publish(conn, tenant_id="tenant-a", slug=slug, actor="m", now=NOW)

    events = [parse_envelope(v.encode()) for v in outbox_values(engine)]
    assert [e.payload["page"]["version"] for e in events] == [1, 2]


def test_a_failed_transaction_leaves_no_event_and_no_status_change(engine: Engine) -> None:
    slug = draft(engine)

    with pytest.raises(Interrupted), transaction(engine) as conn:
        service_layer.publish(conn, tenant_id="tenant-a", slug=slug, actor="m", now=NOW)
        raise Interrupted  # e.g. the process dies before the commit

    assert outbox_values(engine) == []
    assert audit_actions(engine) == ["create"]
    with engine.connect() as conn:
        campaign = repo.campaign_by_slug(conn, "tenant-a", slug)
    assert campaign is not None and campaign.status == "draft" and campaign.page_version == 0


def test_a_campaign_without_live_creatives_is_not_published(engine: Engine) -> None:
    paused = tuple(
        Variant(**{**v.__dict__, "live": False})  # type: ignore[arg-type]
        for v in DEMO_VARIANTS
    )
    slug = draft(engine, paused)

    with (
        pytest.raises(CampaignNotPublishable, match="no live creative"),
        transaction(engine) as conn,
    ):
        service_layer.publish(conn, tenant_id="tenant-a", slug=slug, actor="m", now=NOW)

    assert outbox_values(engine) == []
