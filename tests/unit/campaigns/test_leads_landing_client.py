"""The landing client against the real landing app, over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from insight_testkit import SERVICE_TOKEN, add_landing_leads, free_port, landing_app, serve

from campaigns.leads.landing_client import (
    HttpLandingClient,
    LandingRefused,
    LandingUnavailable,
    LeadFilter,
)

pytestmark = pytest.mark.unit

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def landing(
    make_migrated_database_url: Callable[[str], str], tmp_path: Path
) -> Iterator[tuple[str, list[str]]]:
    app, engine = landing_app(make_migrated_database_url("landing"), tmp_path / "cvs")
    ids = add_landing_leads(
        engine, tenant_id="t-1", campaign_id="c-1", variant_id="tiktok", count=5, start=START
    )
    add_landing_leads(
        engine, tenant_id="t-2", campaign_id="c-2", variant_id="tiktok", count=2, start=START
    )
    with serve(app) as url:
        yield url, ids
    engine.dispose()


def test_pages_filters_and_tenants(landing: tuple[str, list[str]]) -> None:
    url, ids = landing
    client = HttpLandingClient(url, SERVICE_TOKEN)
    try:
        page = client.list_leads("t-1", "c-1", LeadFilter(), limit=2, offset=0)
        assert (page.total, len(page.items)) == (5, 2)
        assert page.items[0].lead_id == ids[-1]  # newest first
        assert client.list_leads("t-1", "c-1", LeadFilter(entry_point="apply"), limit=10).total == 0
        assert client.list_leads("t-2", "c-1", LeadFilter(), limit=10).total == 0  # not theirs

        lead = client.get_lead("t-1", ids[0])
        assert lead is not None and lead.phone_e164 == "+31612340000"
        assert client.get_lead("t-2", ids[0]) is None
        assert client.get_lead("t-1", "not-a-uuid") is None

        changed = client.set_status("t-1", ids[0], "contacted")
        assert changed is not None and changed.status == "contacted"
        assert client.set_status("t-2", ids[0], "hired") is None
        with pytest.raises(LandingRefused):
            client.set_status("t-1", ids[0], "promoted")

        exported = client.export_candidate("t-1", ids[1])
        assert exported is not None and "Candidate 001" in str(exported)
        erased = client.erase_candidate("t-1", ids[1])
        assert erased is not None and erased.leads == 1
        assert client.get_lead("t-1", ids[1]) is None
    finally:
        client.close()


def test_wrong_token_and_no_service(landing: tuple[str, list[str]]) -> None:
    url, _ = landing
    wrong = HttpLandingClient(url, "wrong-token")
    down = HttpLandingClient(f"http://127.0.0.1:{free_port()}", SERVICE_TOKEN, timeout_s=0.5)
    try:
        with pytest.raises(LandingRefused):
            wrong.list_leads("t-1", "c-1", LeadFilter(), limit=5)
        with pytest.raises(LandingUnavailable):
            down.get_lead("t-1", "x")
    finally:
        wrong.close()
        down.close()
