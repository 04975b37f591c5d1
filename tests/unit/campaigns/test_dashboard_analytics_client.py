"""The dashboard's analytics client against the real analytics app, over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from insight_testkit import (
    SERVICE_TOKEN,
    analytics_app,
    apply_to_analytics,
    candidate_events,
    free_port,
    serve,
)

from campaigns.insights.analytics_client import (
    AnalyticsInsights,
    AnalyticsRefused,
    AnalyticsUnavailable,
    HttpAnalyticsClient,
)
from koers.events import CampaignPublished, Envelope, PageSnapshot, VariantState, new_envelope

pytestmark = pytest.mark.unit

VISIT = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


@pytest.fixture
def analytics_url(make_migrated_database_url: Callable[[str], str]) -> Iterator[str]:
    app, engine = analytics_app(make_migrated_database_url("analytics"))
    apply_to_analytics(
        engine,
        candidate_events(
            tenant_id="t-1",
            campaign_id="c-1",
            variant_id="tiktok",
            visited_at=VISIT,
            visits=12,
            leads=3,
            applications=1,
        ),
    )
    engine.dispose()
    with serve(app) as url:
        yield url


def test_typed_answers_and_nothing_yet(analytics_url: str) -> None:
    client = HttpAnalyticsClient(analytics_url, SERVICE_TOKEN)
    try:
        assert isinstance(client, AnalyticsInsights)
        funnel = client.campaign_funnel("c-1")
        assert funnel is not None
        [tiktok] = funnel.variants
        assert (tiktok.totals.visits, tiktok.totals.leads, tiktok.totals.applications) == (12, 3, 1)
        assert tiktok.weeks["2026-W47"].entry_starts == 4

        health = client.data_health("c-1")
        assert health is not None and health.campaign_id == "c-1"
        # Visits without any imported spend are a finding analytics reports.
        assert [i.code for i in health.issues] == ["visits_without_spend"]

        assert client.campaign_funnel("unknown") is None
        assert client.data_health("unknown") is None
        assert client.allocation("c-1", "2026-W48") is None  # no proposal (or no such route yet)
    finally:
        client.close()


def test_a_wrong_token_is_refused_and_nothing_listening_is_unavailable(analytics_url: str) -> None:
    wrong = HttpAnalyticsClient(analytics_url, "not-the-token")
    down = HttpAnalyticsClient(f"http://127.0.0.1:{free_port()}", SERVICE_TOKEN, timeout_s=0.5)
    try:
        with pytest.raises(AnalyticsRefused) as refused:
            wrong.campaign_funnel("c-1")
        assert refused.value.status == 401
        with pytest.raises(AnalyticsUnavailable):
            down.insights("c-1")
    finally:
        wrong.close()
        down.close()


def _published(campaign_id: str, variants: tuple[str, ...]) -> Envelope:
    payload = CampaignPublished(
        slug="klantenservice",
        name="Klantenservice Utrecht",
        weekly_budget=1000,
        page=PageSnapshot(
            version=1,
            employer_name="Demo BV",
            headline="Kom bij ons werken",
            intro="",
            entry_points=("lead",),
        ),
        variants=tuple(
            VariantState(variant_id=v, name=v, channel="tiktok", creative_format="video", hook="")
            for v in variants
        ),
    )
    return new_envelope(payload, source="campaigns", tenant_id="t-1", campaign_id=campaign_id)


def test_a_proposal_is_asked_for_read_and_decided_in_analytics_own_words(
    make_migrated_database_url: Callable[[str], str],
) -> None:
    app, engine = analytics_app(make_migrated_database_url("analytics"))
    apply_to_analytics(engine, [_published("c-2", ("tiktok", "reels"))])
    for variant, leads in (("tiktok", 6), ("reels", 2)):
        apply_to_analytics(
            engine,
            candidate_events(
                tenant_id="t-1",
                campaign_id="c-2",
                variant_id=variant,
                visited_at=VISIT,
                visits=20,
                leads=leads,
                applications=0,
            ),
        )
    engine.dispose()
    with serve(app) as url:
        client = HttpAnalyticsClient(url, SERVICE_TOKEN)
        try:
            proposed = client.propose_allocation("c-2", "2026-W48")
            assert proposed.status == "proposed" and proposed.version == 1
            assert set(proposed.allocation) == {"tiktok", "reels"}
            assert abs(sum(proposed.allocation.values()) - 1000) <= 0.01
            assert set(proposed.p_best) == {"tiktok", "reels"}
            assert proposed.explanation

            read = client.allocation("c-2", "2026-W48")
            assert read is not None and read.allocation == proposed.allocation

            decided = client.decide_allocation(
                "c-2", "2026-W48", decision="approved", decided_by="m@example.org", note=""
            )
            assert decided is not None
            assert (decided.status, decided.decided_by) == ("approved", "m@example.org")
            with pytest.raises(AnalyticsRefused):  # the week is final once decided
                client.decide_allocation(
                    "c-2", "2026-W48", decision="rejected", decided_by="m@example.org", note=""
                )
        finally:
            client.close()
