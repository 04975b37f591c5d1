"""The simulator: realistic ranges, deterministic by seed, the oracle an upper bound."""

from __future__ import annotations

import pytest

from analytics.simulation.runner import Run, run
from analytics.simulation.study import by_volume, make_policy, study, summarise, winner_rate
from analytics.simulation.world import generate_campaign

pytestmark = pytest.mark.unit


def test_campaigns_stay_within_the_stated_ranges() -> None:
    for seed in range(60):
        campaign = generate_campaign(seed)
        assert 500 <= campaign.budget <= 5000
        assert 3 <= len(campaign.creatives) <= 12
        assert campaign.weeks == 12
        assert sum(campaign.lag_shares) == pytest.approx(1.0)
        assert campaign.lag_shares[0] >= 0.45
        for week in range(1, 13):
            assert campaign.live(week), "a campaign always has a live creative"
        for creative in campaign.creatives:
            cost = 1 / creative.rate(creative.start)
            assert 1 < cost < 500, "cost per conversion stays in a believable range"
    assert any(c.start > 1 for s in range(60) for c in generate_campaign(s).creatives)


def test_creatives_tire_over_time() -> None:
    creatives = [c for s in range(30) for c in generate_campaign(s).creatives]
    assert any(c.rate(12) < 0.7 * c.rate(c.start) for c in creatives)
    assert all(c.rate(12) <= c.rate(c.start) for c in creatives)


def test_the_same_seed_replays_the_same_campaign_and_result() -> None:
    first = study([3, 4], ("koers", "thompson"))
    second = study([3, 4], ("koers", "thompson"))
    assert [r.share for r in first["koers"]] == [r.share for r in second["koers"]]
    assert [r.share for r in first["thompson"]] == [r.share for r in second["thompson"]]


def test_no_policy_beats_the_oracle_and_learning_beats_an_equal_split() -> None:
    runs = study(range(10, 22), ("koers", "equal", "greedy", "thompson", "ceiling-no-max-change"))
    for name, results in runs.items():
        assert all(0 < r.share <= 1 + 1e-9 for r in results), name
    assert summarise(runs["koers"]).mean > summarise(runs["equal"]).mean + 0.15


def test_identical_creatives_produce_ties_and_seldom_a_winner() -> None:
    campaign = generate_campaign(5, identical=True)
    assert len({c.rate(3) for c in campaign.creatives}) == 1
    result = run(campaign, lambda: make_policy("koers", campaign))
    assert result.share == pytest.approx(1.0)
    assert winner_rate([result]) in (0.0, 1.0)


def test_shares_by_volume_bin_each_campaign_by_its_weekly_conversions() -> None:
    def runs(policy: str, shares: list[float]) -> list[Run]:
        oracles = [120.0, 600.0, 3000.0]  # 12 weeks: 10, 50 and 250 conversions a week
        return [
            Run(policy, seed, share * oracle, oracle)
            for seed, (share, oracle) in enumerate(zip(shares, oracles, strict=True))
        ]

    table = by_volume(
        {"koers": runs("koers", [0.7, 0.8, 0.9]), "ceiling": runs("ceiling", [0.9, 0.9, 1.0])},
        weeks=12,
    )

    assert [(b.low, b.high, b.campaigns) for b in table] == [
        (0.0, 20.0, 1),
        (50.0, 100.0, 1),
        (200.0, float("inf"), 1),
    ]
    assert table[0].means == pytest.approx({"koers": 0.7, "ceiling": 0.9})
    assert table[2].means == pytest.approx({"koers": 0.9, "ceiling": 1.0})
