"""Plain sentences for the marketer: why the money moved, and what to watch.

Everything here is wording over figures the engine already computed; nothing is
recomputed. Sentences stay short and name creatives, amounts and chances, so the weekly
memo can quote them as they are.

Each sentence is a :class:`koers.phrases.Phrase` (an English message id and its figures),
so the console shows it in its reader's language; the response also carries the English
text. The console's catalogue translates every message id used here (a test checks it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from analytics.allocation.fatigue import Drift
from analytics.allocation.maturity import MaturityCurve
from koers.isoweeks import week_label
from koers.phrases import PhraseData, phrase, plural_phrase

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

MOVES_SHOWN = 3
EXAMPLES_SHOWN = 5
_CENT = 0.01


class VariantFacts(NamedTuple):
    """What the engine found for one creative.

    A named tuple, not a frozen dataclass: a proposal builds one per creative, and for
    10,000 creatives a frozen dataclass's field-by-field ``__init__`` cost a tenth of the
    whole call."""

    variant_id: str
    channel: str
    amount: float
    previous: float | None
    target: float
    p_best: float
    floor: float
    band_low: float
    band_high: float
    channel_capped: bool
    has_data: bool
    cost_mean: float | None
    cost_low: float | None
    cost_high: float | None
    expected_conversions: float | None
    drift: Drift | None


@dataclass(frozen=True)
class Story:
    """The whole proposal's figures, for the sentences."""

    week: str
    budget: float
    variants: list[VariantFacts]
    leader: int
    winner: int | None
    value_remaining: float
    winner_threshold: float
    expected_total: float | None
    equal_total: float | None
    maturity: MaturityCurve
    half_life: float | None
    half_life_learned: bool
    max_change: float | None
    unlisted_with_history: int
    has_evidence: bool
    earlier: EarlierCampaigns | None = None


@dataclass(frozen=True)
class EarlierCampaigns:
    """How much the employer's earlier campaigns shaped this week's beliefs."""

    campaigns: int
    creatives: int
    weight: float
    """Their share of the precision of the channel estimates (0-1)."""
    disagreement: float


def earlier_sentence(earlier: EarlierCampaigns) -> PhraseData:
    """Whether, and how much, the employer's earlier campaigns shaped the split."""
    figures = {"creatives": earlier.creatives, "weight_chance": earlier.weight}
    if earlier.disagreement > 1.5:
        return plural_phrase(
            "the employer's %(count)s earlier campaign (%(creatives)s creatives with results) "
            "shaped where each creative starts: they carry %(weight_chance)s of the weight in "
            "this week's channel estimates, less than they would because this campaign's "
            "results differ from them (their spread is widened %(widened_num)s times).",
            "the employer's %(count)s earlier campaigns (%(creatives)s creatives with results) "
            "shaped where each creative starts: they carry %(weight_chance)s of the weight in "
            "this week's channel estimates, less than they would because this campaign's "
            "results differ from them (their spread is widened %(widened_num)s times).",
            earlier.campaigns,
            widened_num=earlier.disagreement,
            **figures,
        )
    return plural_phrase(
        "the employer's %(count)s earlier campaign (%(creatives)s creatives with results) "
        "shaped where each creative starts: they carry %(weight_chance)s of the weight in "
        "this week's channel estimates.",
        "the employer's %(count)s earlier campaigns (%(creatives)s creatives with results) "
        "shaped where each creative starts: they carry %(weight_chance)s of the weight in "
        "this week's channel estimates.",
        earlier.campaigns,
        **figures,
    )


def cost_phrase(fact: VariantFacts) -> PhraseData:
    if fact.cost_mean is None:
        return phrase("no cost per conversion yet")
    if fact.cost_low is not None and fact.cost_high is not None:
        return phrase(
            "an expected %(cost_eur)s per conversion (90%% interval %(low_eur)s to %(high_eur)s)",
            cost_eur=fact.cost_mean,
            low_eur=fact.cost_low,
            high_eur=fact.cost_high,
        )
    return phrase("an expected %(cost_eur)s per conversion", cost_eur=fact.cost_mean)


def reason(fact: VariantFacts, story: Story) -> PhraseData:
    """One sentence on why this creative gets its amount."""
    if not fact.has_data:
        return phrase(
            "new creative without results yet: it gets a share to learn from, estimated "
            "from what its channel showed in this campaign."
        )
    if story.winner is not None and story.variants[story.winner] is fact:
        opening = phrase(
            "declared the winner (%(p_best_chance)s chance of being the best creative)",
            p_best_chance=fact.p_best,
        )
    else:
        opening = phrase(
            "%(p_best_chance)s chance of being the best creative", p_best_chance=fact.p_best
        )
    change = story.max_change
    if (
        change is not None
        and fact.target < fact.amount - _CENT
        and fact.amount <= fact.band_low + _CENT
    ):
        return phrase(
            "%(opening)s; it is cut by at most %(max_change_pct)s a week so the ad platform "
            "keeps its learning.",
            opening=opening,
            max_change_pct=change,
        )
    if fact.channel_capped and fact.target > fact.amount + _CENT:
        return phrase(
            "%(opening)s, held back by the %(channel)s cap.", opening=opening, channel=fact.channel
        )
    if fact.amount <= fact.floor + _CENT and fact.target <= fact.floor + _CENT:
        return phrase(
            "%(opening)s: it keeps the minimum share so it can still prove itself.",
            opening=opening,
        )
    if fact.target < fact.amount - _CENT:
        return phrase(
            "%(opening)s; it keeps more than that alone would give because the others may "
            "not move further this week.",
            opening=opening,
        )
    return phrase("%(opening)s; its share follows that chance.", opening=opening)


def sentences(story: Story) -> list[PhraseData]:
    """The explanation, most important first."""
    lines = [
        plural_phrase(
            "Week %(week)s: %(budget_eur)s over %(count)s creative.",
            "Week %(week)s: %(budget_eur)s over %(count)s creatives.",
            len(story.variants),
            week=story.week,
            budget_eur=story.budget,
        )
    ]
    if not story.has_evidence:
        if story.earlier is not None:
            lines.append(
                phrase(
                    "there are no results yet, so the split follows what the employer's "
                    "earlier campaigns showed, with trials to learn which creatives bring "
                    "conversions per euro here."
                )
            )
            lines.append(earlier_sentence(story.earlier))
            return lines
        lines.append(
            phrase(
                "there are no results yet, so the budget is split evenly to learn which "
                "creatives bring conversions per euro."
            )
        )
        return lines
    if story.earlier is not None:
        lines.append(earlier_sentence(story.earlier))
    leader = story.variants[story.leader]
    lines.append(
        phrase(
            "%(variant)s (%(channel)s) is most likely the best creative (%(p_best_chance)s "
            "chance), at %(cost)s.",
            variant=leader.variant_id,
            channel=leader.channel,
            p_best_chance=leader.p_best,
            cost=cost_phrase(leader),
        )
    )
    if story.expected_total is not None and story.equal_total is not None:
        lines.append(
            phrase(
                "this split is expected to bring %(expected_num)s conversions; an equal "
                "split would bring %(equal_num)s.",
                expected_num=story.expected_total,
                equal_num=story.equal_total,
            )
        )
    if story.winner is not None:
        lines.append(
            phrase(
                "%(variant)s is declared the winner: at least a %(threshold_pct)s chance of "
                "being best, and the expected gain in conversions per euro left to find by "
                "testing is %(remaining_fine_pct)s.",
                variant=leader.variant_id,
                threshold_pct=story.winner_threshold,
                remaining_fine_pct=story.value_remaining,
            )
        )
    elif len(story.variants) > 1:
        lines.append(
            phrase(
                "no winner yet: that needs a %(threshold_pct)s chance of being best (now "
                "%(p_best_chance)s).",
                threshold_pct=story.winner_threshold,
                p_best_chance=leader.p_best,
            )
        )
    lines.extend(_moves(story))
    if story.maturity.shares:
        arrived = [
            plural_phrase(
                "%(share_pct)s after %(count)s week",
                "%(share_pct)s after %(count)s weeks",
                age,
                share_pct=share,
            )
            for age, share in enumerate(story.maturity.shares, start=1)
        ]
        lines.append(
            phrase(
                "recent weeks are still filling with late conversions (%(arrived)s; "
                "%(source)s), so they count for that share of their spend.",
                arrived=arrived,
                source=MATURITY_SOURCES.get(story.maturity.source) or phrase(story.maturity.source),
            )
        )
    if story.half_life is not None and story.half_life_learned:
        if math.isinf(story.half_life):
            lines.append(
                phrase(
                    "old weeks keep their full weight: that is how this campaign's own weeks "
                    "predicted the next ones best (its creatives show no sign of tiring)."
                )
            )
        else:
            lines.append(
                phrase(
                    "evidence counts half after about %(weeks_num)s weeks, the pace at which "
                    "this campaign's own weeks predicted the next ones best (creatives tire).",
                    weeks_num=story.half_life,
                )
            )
    elif story.half_life is not None:
        lines.append(
            phrase(
                "evidence counts half after %(weeks)s weeks, because creatives tire.",
                weeks=story.half_life,
            )
        )
    if story.unlisted_with_history:
        lines.append(
            plural_phrase(
                "the history of %(count)s creative not listed this week only informs what a "
                "typical creative of this campaign does.",
                "the history of %(count)s creatives not listed this week only informs what "
                "a typical creative of this campaign does.",
                story.unlisted_with_history,
            )
        )
    return lines


MATURITY_SOURCES = {
    "memory": phrase("measured from how earlier weeks' conversions grew"),
    "cross-section": phrase("estimated from recent against complete weeks"),
    "prior": phrase("the default until the data shows the lag"),
}


def _moves(story: Story) -> list[PhraseData]:
    moved = [
        f for f in story.variants if f.previous is not None and abs(f.amount - f.previous) >= _CENT
    ]
    moved.sort(key=lambda f: -abs(f.amount - (f.previous or 0.0)))
    lines = []
    for fact in moved[:MOVES_SHOWN]:
        assert fact.previous is not None
        delta = fact.amount - fact.previous
        text = (
            "%(variant)s goes up %(delta_eur)s to %(amount_eur)s: %(reason)s"
            if delta > 0
            else "%(variant)s goes down %(delta_eur)s to %(amount_eur)s: %(reason)s"
        )
        lines.append(
            phrase(
                text,
                variant=fact.variant_id,
                delta_eur=abs(delta),
                amount_eur=fact.amount,
                reason=reason(fact, story),
            )
        )
    return lines


def drift_warnings(facts: Sequence[VariantFacts]) -> list[PhraseData]:
    """A warning per creative whose latest week left its predicted range."""
    lines = []
    for fact in facts:
        drift = fact.drift
        if drift is None:
            continue
        if drift.below:
            lines.append(
                phrase(
                    "%(variant)s: last week brought %(observed)s conversions where about "
                    "%(expected_num)s were expected — it may be tiring (fatigue).",
                    variant=fact.variant_id,
                    observed=drift.observed,
                    expected_num=drift.expected,
                )
            )
        elif drift.above:
            lines.append(
                phrase(
                    "%(variant)s: last week brought %(observed)s conversions where about "
                    "%(expected_num)s were expected — check tracking if this is a surprise.",
                    variant=fact.variant_id,
                    observed=drift.observed,
                    expected_num=drift.expected,
                )
            )
    return lines


DATA_PROBLEMS = (
    phrase("spend without any clicks"),
    phrase("clicks without spend"),
    phrase("conversions without spend"),
    phrase("more conversions than clicks"),
)


def data_health(
    variant_ids: Sequence[str],
    weeks: IntArray,
    spend: FloatArray,
    clicks: FloatArray,
    conversions: FloatArray,
) -> list[PhraseData]:
    """Warnings about counts that do not fit together."""
    checks = (
        (spend > 0) & (clicks == 0),
        (spend == 0) & (clicks > 0),
        (spend == 0) & (conversions > 0),
        conversions > clicks,
    )
    lines = []
    for flags, problem in zip(checks, DATA_PROBLEMS, strict=True):
        hits = np.flatnonzero(flags)
        if hits.size == 0:
            continue
        examples = [
            phrase(
                "%(variant)s in %(week)s",
                variant=variant_ids[i],
                week=week_label(int(weeks[i])),
            )
            for i in hits[:EXAMPLES_SHOWN]
        ]
        if hits.size > EXAMPLES_SHOWN:
            lines.append(
                phrase(
                    "data check: %(problem)s for %(examples)s and %(more)s more.",
                    problem=problem,
                    examples=examples,
                    more=int(hits.size - EXAMPLES_SHOWN),
                )
            )
        else:
            lines.append(
                phrase(
                    "data check: %(problem)s for %(examples)s.",
                    problem=problem,
                    examples=examples,
                )
            )
    return lines
