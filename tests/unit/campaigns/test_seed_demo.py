from __future__ import annotations

import stat
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from campaigns_testkit import DEMO_PASSWORD, NOW, TODAY
from sqlalchemy import Engine

from campaigns.demo import DEMO_EMAIL, DEMO_SLUG, DEMO_TENANT
from campaigns.seed import SeedResult, seed_demo
from campaigns.tenancy.service import authenticate
from koers.events import CampaignPublished, Envelope, SpendRecorded, parse_envelope
from tests.support import campaigns_db as repo

pytestmark = pytest.mark.unit

TABLES = (
    repo.tenants,
    repo.users,
    repo.campaigns,
    repo.variants,
    repo.spend_days,
    repo.audit_log,
    repo.outbox,
)


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in TABLES
        }


def outbox_envelopes(engine: Engine) -> list[Envelope]:
    with engine.connect() as conn:
        values = conn.execute(sa.select(repo.outbox.c.value).order_by(repo.outbox.c.id)).scalars()
        return [parse_envelope(v.encode()) for v in values]


def test_seed_publishes_the_demo_campaign_with_four_weeks_of_spend(
    engine: Engine, seeded: SeedResult
) -> None:
    envelopes = outbox_envelopes(engine)
    types = Counter(e.type for e in envelopes)
    assert types == {"CampaignPublished": 1, "SpendRecorded": 4 * 4 * 7}

    published = envelopes[0].typed_payload()
    assert isinstance(published, CampaignPublished)
    assert published.slug == DEMO_SLUG
    assert published.page.version == 1
    assert published.page.language == "nl"
    assert set(published.page.entry_points) == {"quiz", "lead", "apply"}
    assert len(published.page.quiz) == 3
    formats = {v.variant_id: v.creative_format for v in published.variants}
    assert formats == {
        "instagram": "video",
        "tiktok": "video",
        "linkedin": "image",
        "facebook": "image",
    }

    spend = [e.typed_payload() for e in envelopes[1:]]
    assert all(isinstance(s, SpendRecorded) for s in spend)
    spend = [s for s in spend if isinstance(s, SpendRecorded)]
    assert {s.import_id for s in spend} == {"demo-seed"}
    days = {s.day for s in spend}
    assert min(days) == date(2026, 10, 26) and max(days) == date(2026, 11, 22)
    assert all(15 <= s.spend <= 60 for s in spend)
    assert all(0 < s.clicks < s.impressions for s in spend)

    with engine.connect() as conn:
        campaign = repo.campaign_by_slug(conn, seeded_tenant(engine), DEMO_SLUG)
        assert campaign is not None and campaign.status == "live"
        stored = repo.spend_days_of(conn, campaign.id)
    assert len(stored) == len(spend)
    assert sum(d.spend for d in stored) == sum(Decimal(str(s.spend)) for s in spend)


def seeded_tenant(engine: Engine) -> str:
    with engine.connect() as conn:
        tenant_id = repo.tenant_id_by_name(conn, DEMO_TENANT)
    assert tenant_id is not None
    return tenant_id


def test_a_second_seed_changes_nothing_and_emits_nothing(
    engine: Engine, seeded: SeedResult, tmp_path: Path
) -> None:
    before = row_counts(engine)

    again = seed_demo(
        engine,
        var_dir=tmp_path / "var",
        console_url="http://127.0.0.1:8000",
        demo_password=DEMO_PASSWORD,
        today=date(2026, 12, 14),  # weeks later: still no new history
        now=NOW,
    )

    assert not again.created_campaign and not again.created_user
    assert again.events_emitted == 0
    assert row_counts(engine) == before


def test_generated_password_is_kept_private_and_shown_again(engine: Engine, tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    first = seed_demo(engine, var_dir=var_dir, console_url="http://c", today=TODAY, now=NOW)
    password_file = var_dir / "demo-login.txt"

    assert first.password and len(first.password) >= 16
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert first.password in password_file.read_text()
    assert authenticate(engine, DEMO_EMAIL, first.password).user_id is not None

    second = seed_demo(engine, var_dir=var_dir, console_url="http://c", today=TODAY, now=NOW)
    assert second.password == first.password
    assert str(password_file) in second.password_source

    password_file.unlink()
    third = seed_demo(engine, var_dir=var_dir, console_url="http://c", today=TODAY, now=NOW)
    assert third.password is None
    assert "first seeded" in third.password_source


def test_demo_password_from_the_environment_is_used_and_not_written(
    engine: Engine, seeded: SeedResult, tmp_path: Path
) -> None:
    assert seeded.password == DEMO_PASSWORD
    assert not (tmp_path / "var" / "demo-login.txt").exists()
    assert authenticate(engine, DEMO_EMAIL, DEMO_PASSWORD).user_id is not None
    assert authenticate(engine, DEMO_EMAIL, "not the password").user_id is None
