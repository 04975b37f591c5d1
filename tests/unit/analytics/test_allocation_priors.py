"""Earlier campaigns as priors: the contract, what they change, and what they cannot."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from analytics.allocation import AllocationRequest, allocate
from analytics.allocation.contract import MAX_PRIOR_CAMPAIGNS, PriorCampaign
from analytics.allocation.priors import attribute_pairs, describe, family_of, read_creatives
from koers.isoweeks import week_ordinal


def _earlier(campaign_id: str, rates: dict[str, float], weeks: int = 6) -> dict[str, Any]:
    """A finished campaign: one creative per channel, €500 a week, ``rates`` per euro."""
    variants = [
        {"variant_id": f"{campaign_id}-{ch}", "channel": ch, "created_week": "2026-W01"}
        for ch in rates
    ]
    history = [
        {
            "variant_id": f"{campaign_id}-{ch}",
            "week": f"2026-W{week:02d}",
            "spend": 500.0,
            "impressions": 10_000,
            "clicks": 400,
            "conversions": round(500 * rate),
        }
        for ch, rate in rates.items()
        for week in range(1, weeks + 1)
    ]
    return {"campaign_id": campaign_id, "variants": variants, "history": history}


def _request(**extra: Any) -> dict[str, Any]:
    return {
        "campaign_id": "new",
        "week": "2026-W20",
        "budget": 1000.0,
        "variants": [
            {"variant_id": "li", "channel": "linkedin", "created_week": "2026-W20"},
            {"variant_id": "tt", "channel": "tiktok", "created_week": "2026-W20"},
        ],
        **extra,
    }


def test_no_prior_campaigns_and_an_empty_list_answer_alike() -> None:
    plain = allocate(AllocationRequest.model_validate(_request()))
    empty = allocate(AllocationRequest.model_validate(_request(prior_campaigns=[])))
    assert plain == empty


def test_a_new_campaign_starts_where_the_employers_earlier_ones_converted() -> None:
    earlier = [_earlier("c1", {"linkedin": 0.02, "tiktok": 0.08})]
    response = allocate(AllocationRequest.model_validate(_request(prior_campaigns=earlier)))
    assert response.allocation["tt"] > response.allocation["li"]
    assert response.p_best["tt"] > 0.6  # one campaign: a lean, not a verdict
    assert any("earlier campaign" in sentence for sentence in response.explanation)


def test_this_campaigns_results_overrule_a_prior_they_contradict() -> None:
    earlier = [_earlier("c1", {"linkedin": 0.02, "tiktok": 0.08})]
    history = [
        {
            "variant_id": vid,
            "week": f"2026-W{week}",
            "spend": 500.0,
            "impressions": 10_000,
            "clicks": 400,
            "conversions": conversions,
        }
        for week in (16, 17, 18, 19)
        for vid, conversions in (("li", 40), ("tt", 8))
    ]
    body = _request(history=history, prior_campaigns=earlier)
    body["variants"] = [dict(v, created_week="2026-W16") for v in body["variants"]]
    response = allocate(AllocationRequest.model_validate(body))
    assert response.p_best["li"] > 0.95
    assert response.allocation["li"] > response.allocation["tt"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.append(dict(p[0])), "listed twice"),
        (lambda p: p[0].update(campaign_id="new"), "the planned campaign itself"),
        (lambda p: p[0]["history"][0].update(week="2026-W20"), "not before the planned week"),
        (lambda p: p[0]["history"][0].update(variant_id="ghost"), "names no variant"),
        (lambda p: p[0]["history"][0].update(week="2027-W53"), "has no week 53"),
        (lambda p: p[0]["history"][0].update(spend=-1), "greater than or equal to 0"),
        (lambda p: p[0]["variants"].append(dict(p[0]["variants"][1])), "'c1-tiktok' is listed"),
        (lambda p: p[0]["history"].append(dict(p[0]["history"][3])), "two rows for variant"),
        (lambda p: p[0]["history"][0].update(extra=1), "Extra inputs are not permitted"),
        (lambda p: p[0]["variants"][0].update(channel="myspace"), "Input should be 'linkedin'"),
    ],
)
def test_a_bad_prior_campaign_is_refused_with_a_message_naming_it(change, message) -> None:  # type: ignore[no-untyped-def]
    prior = [_earlier("c1", {"linkedin": 0.02, "tiktok": 0.08})]
    change(prior)
    with pytest.raises(ValidationError, match=message):
        AllocationRequest.model_validate(_request(prior_campaigns=prior))


def test_the_number_of_prior_campaigns_is_bounded() -> None:
    prior = [_earlier(f"c{i}", {"linkedin": 0.02}, weeks=1) for i in range(MAX_PRIOR_CAMPAIGNS + 1)]
    with pytest.raises(ValidationError, match="at most 50"):
        AllocationRequest.model_validate(_request(prior_campaigns=prior))


def test_earlier_creatives_are_summed_with_young_weeks_at_their_matured_share() -> None:
    prior = PriorCampaign.model_validate(
        {
            "campaign_id": "c1",
            "variants": [
                {"variant_id": "a", "channel": "linkedin", "created_week": "2026-W10"},
                {"variant_id": "b", "channel": "tiktok", "created_week": "2026-W10"},
                {"variant_id": "idle", "channel": "indeed", "created_week": "2026-W10"},
            ],
            "history": [
                # Planned week W20: W19 is 1 week old (65% arrived), W18 2 (92%), W10 done.
                {
                    "variant_id": "a",
                    "week": "2026-W19",
                    "spend": 100.0,
                    "impressions": 0,
                    "clicks": 0,
                    "conversions": 3,
                },
                {
                    "variant_id": "b",
                    "week": "2026-W18",
                    "spend": 100.0,
                    "impressions": 0,
                    "clicks": 0,
                    "conversions": 4,
                },
                {
                    "variant_id": "a",
                    "week": "2026-W10",
                    "spend": 50.0,
                    "impressions": 0,
                    "clicks": 0,
                    "conversions": 1,
                },
            ],
        }
    )
    creatives = read_creatives([prior], week_ordinal("2026-W20"), [0.65, 0.92])
    assert creatives.channel.tolist() == [0, 2]  # the creative that never spent is left out
    assert np.exp(creatives.log_rate) == pytest.approx([(4 + 0.5) / 115, (4 + 0.5) / 92])
    assert creatives.cluster_size.tolist() == [1.0, 1.0]


def test_prior_rows_are_read_into_columns_once() -> None:
    prior = PriorCampaign.model_validate(_earlier("c1", {"linkedin": 0.02, "tiktok": 0.08}, 2))
    columns = prior.columns
    assert columns.unit.tolist() == [0, 0, 1, 1]
    assert [columns.week_labels[w] for w in columns.week] == ["2026-W01", "2026-W02"] * 2
    assert columns.conversions.tolist() == [10, 10, 40, 40]


def test_the_response_says_how_much_earlier_campaigns_shaped_it() -> None:
    """A structured summary travels with the proposal (the memo reports it); without
    earlier campaigns the field is absent, not null."""
    earlier = [
        _earlier("c1", {"linkedin": 0.02, "tiktok": 0.08}),
        _earlier("c2", {"linkedin": 0.03, "tiktok": 0.07}),
    ]
    informed = allocate(AllocationRequest.model_validate(_request(prior_campaigns=earlier)))
    summary = informed.earlier_campaigns
    assert summary is not None
    assert (summary.campaigns, summary.creatives) == (2, 4)
    assert 0 < summary.weight <= 1 and summary.disagreement >= 1
    assert informed.model_dump(mode="json")["earlier_campaigns"]["campaigns"] == 2
    plain = allocate(AllocationRequest.model_validate(_request()))
    assert plain.earlier_campaigns is None
    assert "earlier_campaigns" not in plain.model_dump(mode="json")


def _described(campaign: dict[str, Any], number: int) -> dict[str, Any]:
    """``campaign`` with its creatives described the way analytics describes them."""
    formats, hooks = ("video", "image"), ("salary", "team", "growth")
    variants = [
        dict(
            variant,
            attributes={
                "creative_format": formats[(i + number) % 2],
                "hook": hooks[i % 3],
                "employee_generated": i % 2 == 0,
                **({"family": "f1"} if i < 2 else {}),
            },
        )
        for i, variant in enumerate(campaign["variants"])
    ]
    return {**campaign, "variants": variants}


def _earlier_described() -> list[dict[str, Any]]:
    return [
        _described(_earlier("c1", {"linkedin": 0.02, "tiktok": 0.08, "indeed": 0.01}), 0),
        _described(_earlier("c2", {"linkedin": 0.03, "tiktok": 0.07, "facebook": 0.02}, 4), 1),
    ]


def test_trusted_prior_campaigns_allocate_as_validated_ones() -> None:
    """Analytics' own stored rows skip row-by-row validation: the answer must not change."""
    earlier = _earlier_described()
    validated = AllocationRequest.model_validate(_request(prior_campaigns=earlier))
    trusted = AllocationRequest.model_validate(
        _request(prior_campaigns=[PriorCampaign.trusted(**each) for each in earlier])
    )
    assert trusted.model_dump() == validated.model_dump()
    for mine, theirs in zip(trusted.prior_campaigns, validated.prior_campaigns, strict=True):
        for field in ("unit", "week", "spend", "conversions"):
            assert np.array_equal(getattr(mine.columns, field), getattr(theirs.columns, field))
        assert mine.columns.week_labels == theirs.columns.week_labels
    answer = allocate(trusted)
    assert answer == allocate(validated)
    assert answer.earlier_campaigns is not None and answer.earlier_campaigns.campaigns == 2


def test_a_trusted_prior_campaign_is_not_read_again_by_the_request() -> None:
    prior = PriorCampaign.trusted(**_earlier("c1", {"linkedin": 0.02}))
    request = AllocationRequest.model_validate(_request(prior_campaigns=[prior]))
    assert request.prior_campaigns[0] is prior
    assert request.prior_campaigns[0].columns is prior.columns


def _broken(change: str) -> dict[str, Any]:
    campaign = _earlier("c1", {"linkedin": 0.02, "tiktok": 0.08}, 2)
    row = campaign["history"][1]
    if change == "nan spend":
        row["spend"] = float("nan")
    elif change == "negative conversions":
        row["conversions"] = -1.0
    elif change == "unknown variant":
        row["variant_id"] = "nobody"
    elif change == "twice":
        campaign["history"].append(dict(row))
    elif change == "week 53 of 2025":
        row["week"] = "2025-W53"
    elif change == "bad week":
        row["week"] = "2026-53"
    elif change == "unknown channel":
        campaign["variants"][0]["channel"] = "myspace"
    elif change == "empty id":
        campaign["variants"][0]["variant_id"] = ""
    return campaign


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("nan spend", "spend nan"),
        ("negative conversions", "conversions -1.0"),
        ("unknown variant", "'nobody' names no variant"),
        ("twice", "two rows for variant 'c1-linkedin' in 2026-W02"),
        ("week 53 of 2025", "week '2025-W53'"),
        ("bad week", "week '2026-53' is no ISO week"),
        ("unknown channel", "unknown channel 'myspace'"),
        ("empty id", "variant_id is empty"),
    ],
)
def test_the_trusted_route_still_refuses_rows_that_break_the_contract(
    change: str, named: str
) -> None:
    campaign = _broken(change)
    with pytest.raises(ValueError, match=named):
        PriorCampaign.trusted(**campaign)
    with pytest.raises(ValidationError):  # the untrusted route refuses it as well
        AllocationRequest.model_validate(_request(prior_campaigns=[campaign]))


@pytest.mark.parametrize(
    "found",
    [
        [{"hook": "team", "creative_format": "video"}, None, {"hook": "team"}, {}],
        [{"hook": True}, {"hook": 1}, {"hook": 1.0}, {"hook": "1"}],  # equal, read apart
        [{"hook": ["a"]}, {"hook": "a", "family": "f"}],  # unhashable
        [{"family": 3, "employee_generated": False}, {"family": True}, {"format": "x"}],
    ],
)
def test_descriptions_read_once_each_equal_reading_one_by_one(found: list[Any]) -> None:
    described = describe(found)
    assert [described.pairs[i] for i in described.code] == [attribute_pairs(f) for f in found]
    assert [described.families[i] for i in described.code] == [family_of(f) for f in found]
