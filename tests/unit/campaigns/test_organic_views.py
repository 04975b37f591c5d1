"""Employee-made content's organic views: recorded per week, valued at the employer's CPM."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from campaigns_testkit import DEMO_PASSWORD, HTML, csrf_from, log_in
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from campaigns.audit import repository as audit
from campaigns.catalog import repository as catalog_repo
from campaigns.demo import DEMO_EMAIL, DEMO_SLUG
from campaigns.organic import repository as organic_repo
from campaigns.organic.domain import DEFAULT_CPM_CENTS, media_value_cents, organic_summary
from campaigns.seed import SeedResult
from koers.db import transaction

pytestmark = pytest.mark.unit

PAGE = f"/campaigns/{DEMO_SLUG}/organic"


@pytest.mark.parametrize(
    ("views", "cpm_cents", "value"),
    [(0, 800, 0), (1000, 800, 800), (12_345, 800, 9876), (1, 850, 1), (1_000_000, 1250, 1_250_000)],
)
def test_views_are_valued_at_the_cpm_per_thousand(views: int, cpm_cents: int, value: int) -> None:
    assert media_value_cents(views, cpm_cents) == value


def test_the_summary_keeps_the_creatives_order_and_adds_up() -> None:
    summary = organic_summary(
        [("tt", "TikTok collega"), ("ig", "Instagram collega")],
        {"ig": 2000, "tt": 500},
        {"tt": 10_000},
        1000,
    )
    assert [(r.variant_id, r.views, r.value_cents, r.spend_cents) for r in summary.rows] == [
        ("tt", 500, 500, 10_000),
        ("ig", 2000, 2000, 0),
    ]
    assert (summary.views, summary.value_cents, summary.spend_cents) == (2500, 2500, 10_000)


def _employee_made(engine: Engine, variant_id: str = "tiktok", made: bool = True) -> None:
    table = catalog_repo.variants
    with transaction(engine) as conn:
        conn.execute(
            sa.update(table).where(table.c.variant_id == variant_id).values(employee_generated=made)
        )


def _post(client: TestClient, path: str, data: dict[str, str]) -> object:
    token = csrf_from(client.get(PAGE, headers=HTML).text)
    return client.post(
        path, data={**data, "csrf_token": token}, headers=HTML, follow_redirects=False
    )


def test_without_employee_made_creatives_the_page_says_how_to_get_them(
    client: TestClient, seeded: SeedResult, engine: Engine
) -> None:
    _employee_made(engine, "tiktok", made=False)  # the demo's one employee-made creative
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    page = client.get(PAGE, headers=HTML)
    assert page.status_code == 200
    assert "no employee-made creatives" in page.text


def test_recorded_views_are_valued_shown_on_the_dashboard_and_audited(
    client: TestClient, seeded: SeedResult, engine: Engine
) -> None:
    _employee_made(engine)
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)

    answer = _post(client, PAGE, {"variant_id": "tiktok", "week": "2026-W47", "views": "12.500"})
    assert answer.status_code == 303  # type: ignore[attr-defined]
    answer = _post(client, PAGE, {"variant_id": "tiktok", "week": "2026-W48", "views": "7500"})
    page = client.get(PAGE, headers=HTML).text
    assert "20,000" in page  # the total of both weeks
    assert "€160.00" in page  # at the default €8 CPM

    answer = _post(client, f"{PAGE}/cpm", {"cpm": "10,00"})
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert "€200.00" in client.get(PAGE, headers=HTML).text

    with engine.connect() as conn:
        tenant_id = conn.execute(sa.select(catalog_repo.campaigns.c.tenant_id)).scalar_one()
        assert organic_repo.cpm_of(conn, tenant_id) == 1000
        actions = [e.action for e in audit.entries(conn, tenant_id, limit=20)]
    assert actions.count("organic_views_recorded") == 2 and "organic_cpm_changed" in actions


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"variant_id": "instagram", "week": "2026-W47", "views": "10"}, "employee-made"),
        ({"variant_id": "nope", "week": "2026-W47", "views": "10"}, "employee-made"),
        ({"variant_id": "tiktok", "week": "2026-W99", "views": "10"}, "ISO week"),
        ({"variant_id": "tiktok", "week": "2026-W47", "views": "-3"}, "whole number"),
        ({"variant_id": "tiktok", "week": "2026-W47", "views": "1e9"}, "whole number"),
        ({"variant_id": "tiktok", "week": "2026-W47", "views": "9" * 40}, "whole number"),
        ({"variant_id": "tiktok", "week": "2026-W47", "views": "\x00"}, "whole number"),
    ],
)
def test_bad_input_is_refused_with_the_reason(
    client: TestClient, seeded: SeedResult, engine: Engine, data: dict[str, str], field: str
) -> None:
    _employee_made(engine)
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    answer = _post(client, PAGE, data)
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert field in answer.text  # type: ignore[attr-defined]
    with engine.connect() as conn:
        assert conn.execute(sa.select(organic_repo.organic_views)).first() is None


@pytest.mark.parametrize("cpm", ["0", "-5", "abc", "100000,01", ""])
def test_a_cpm_out_of_range_is_refused(
    client: TestClient, seeded: SeedResult, engine: Engine, cpm: str
) -> None:
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    answer = _post(client, f"{PAGE}/cpm", {"cpm": cpm})
    assert answer.status_code == 422  # type: ignore[attr-defined]
    with engine.connect() as conn:
        tenant_id = conn.execute(sa.select(catalog_repo.campaigns.c.tenant_id)).scalar_one()
        assert organic_repo.cpm_of(conn, tenant_id) == DEFAULT_CPM_CENTS
