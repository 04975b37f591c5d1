"""Plain sentences for the marketer: why the money moved, and what to watch.

Everything here is wording over figures the engine already computed; nothing is
recomputed. Sentences stay short and name creatives, amounts and chances, so the weekly
memo can quote them as they are.
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

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

MOVES_SHOWN = 3
EXAMPLES_SHOWN = 5
_CENT = 0.01
_KEEP_LEARNING = " so the ad platform keeps its learning"


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


def earlier_sentence(earlier: EarlierCampaigns) -> str:
    """Whether, and how much, the employer's earlier campaigns shaped the split."""
    plural = "s" if earlier.campaigns != 1 else ""
    sentence = (
        f"The employer's {earlier.campaigns} earlier campaign{plural} ({earlier.creatives} "
        f"creatives with results) shaped where each creative starts: they carry "
        f"{_percent(earlier.weight)} of the weight in this week's channel estimates"
    )
    if earlier.disagreement > 1.5:
        sentence += (
            f", less than they would because this campaign's results differ from them "
            f"(their spread is widened {earlier.disagreement:.1f} times)"
        )
    return sentence + "."


def euros(amount: float) -> str:
    return f"€{amount:,.2f}"


def _percent(share: float) -> str:
    if 0 < share < 0.01:
        return "under 1%"
    if 0.99 < share < 1:
        return "over 99%"
    return f"{share:.0%}"


def _small_percent(share: float) -> str:
    return "under 0.1%" if share < 0.001 else f"{share:.1%}"


def cost_phrase(fact: VariantFacts) -> str:
    if fact.cost_mean is None:
        return "no cost per conversion yet"
    interval = ""
    if fact.cost_low is not None and fact.cost_high is not None:
        interval = f" (90% interval {euros(fact.cost_low)} to {euros(fact.cost_high)})"
    return f"an expected {euros(fact.cost_mean)} per conversion{interval}"


def reason(fact: VariantFacts, story: Story) -> str:
    """One sentence on why this creative gets its amount."""
    chance = _percent(fact.p_best)
    if not fact.has_data:
        return (
            "New creative without results yet: it gets a share to learn from, estimated "
            "from what its channel showed in this campaign."
        )
    if story.winner is not None and story.variants[story.winner] is fact:
        opening = f"Declared the winner ({chance} chance of being the best creative)"
    else:
        opening = f"{chance[0].upper()}{chance[1:]} chance of being the best creative"
    change = story.max_change
    if (
        change is not None
        and fact.target < fact.amount - _CENT
        and fact.amount <= fact.band_low + _CENT
    ):
        return f"{opening}; it is cut by at most {change:.0%} a week{_KEEP_LEARNING}."
    if fact.channel_capped and fact.target > fact.amount + _CENT:
        return f"{opening}, held back by the {fact.channel} cap."
    if fact.amount <= fact.floor + _CENT and fact.target <= fact.floor + _CENT:
        return f"{opening}: it keeps the minimum share so it can still prove itself."
    if fact.target < fact.amount - _CENT:
        return (
            f"{opening}; it keeps more than that alone would give because the others may "
            "not move further this week."
        )
    return f"{opening}; its share follows that chance."


def sentences(story: Story) -> list[str]:
    """The explanation, most important first."""
    lines = [
        f"Week {story.week}: {euros(story.budget)} over {len(story.variants)} "
        f"creative{'s' if len(story.variants) != 1 else ''}."
    ]
    if not story.has_evidence:
        if story.earlier is not None:
            lines.append(
                "There are no results yet, so the split follows what the employer's earlier "
                "campaigns showed, with trials to learn which creatives bring conversions "
                "per euro here."
            )
            lines.append(earlier_sentence(story.earlier))
            return lines
        lines.append(
            "There are no results yet, so the budget is split evenly to learn which "
            "creatives bring conversions per euro."
        )
        return lines
    if story.earlier is not None:
        lines.append(earlier_sentence(story.earlier))
    leader = story.variants[story.leader]
    lines.append(
        f"{leader.variant_id} ({leader.channel}) is most likely the best creative "
        f"({_percent(leader.p_best)} chance), at {cost_phrase(leader)}."
    )
    if story.expected_total is not None and story.equal_total is not None:
        lines.append(
            f"This split is expected to bring {story.expected_total:,.1f} conversions; an "
            f"equal split would bring {story.equal_total:,.1f}."
        )
    if story.winner is not None:
        lines.append(
            f"{leader.variant_id} is declared the winner: at least a "
            f"{story.winner_threshold:.0%} chance of being best, and the expected gain in "
            f"conversions per euro left to find by testing is "
            f"{_small_percent(story.value_remaining)}."
        )
    elif len(story.variants) > 1:
        lines.append(
            f"No winner yet: that needs a {story.winner_threshold:.0%} chance of being best "
            f"(now {_percent(leader.p_best)})."
        )
    lines.extend(_moves(story))
    if story.maturity.shares:
        arrived = ", ".join(
            f"{share:.0%} after {age} week{'s' if age > 1 else ''}"
            for age, share in enumerate(story.maturity.shares, start=1)
        )
        source = {
            "memory": "measured from how earlier weeks' conversions grew",
            "cross-section": "estimated from recent against complete weeks",
            "prior": "the default until the data shows the lag",
        }.get(story.maturity.source, story.maturity.source)
        lines.append(
            f"Recent weeks are still filling with late conversions ({arrived}; "
            f"{source}), so they count for that share of their spend."
        )
    if story.half_life is not None and story.half_life_learned:
        if math.isinf(story.half_life):
            lines.append(
                "Old weeks keep their full weight: this campaign's weeks predict the next "
                "ones best that way (its creatives show no sign of tiring)."
            )
        else:
            lines.append(
                f"Evidence counts half after about {story.half_life:.1f} weeks, the pace at "
                "which this campaign's own weeks predicted the next ones best (creatives tire)."
            )
    elif story.half_life is not None:
        lines.append(
            f"Evidence counts half after {story.half_life:g} weeks, because creatives tire."
        )
    if story.unlisted_with_history:
        lines.append(
            f"The history of {story.unlisted_with_history} creative"
            f"{'s' if story.unlisted_with_history != 1 else ''} not listed this week only "
            "informs what a typical creative of this campaign does."
        )
    return lines


def _moves(story: Story) -> list[str]:
    moved = [
        f for f in story.variants if f.previous is not None and abs(f.amount - f.previous) >= _CENT
    ]
    moved.sort(key=lambda f: -abs(f.amount - (f.previous or 0.0)))
    lines = []
    for fact in moved[:MOVES_SHOWN]:
        assert fact.previous is not None
        delta = fact.amount - fact.previous
        direction = "up" if delta > 0 else "down"
        lines.append(
            f"{fact.variant_id} goes {direction} {euros(abs(delta))} to {euros(fact.amount)}: "
            f"{reason(fact, story)[0].lower()}{reason(fact, story)[1:]}"
        )
    return lines


def drift_warnings(facts: Sequence[VariantFacts]) -> list[str]:
    """A warning per creative whose latest week left its predicted range."""
    lines = []
    for fact in facts:
        drift = fact.drift
        if drift is None:
            continue
        if drift.below:
            lines.append(
                f"{fact.variant_id}: last week brought {drift.observed:g} conversions where "
                f"about {drift.expected:.1f} were expected — it may be tiring (fatigue)."
            )
        elif drift.above:
            lines.append(
                f"{fact.variant_id}: last week brought {drift.observed:g} conversions where "
                f"about {drift.expected:.1f} were expected — check tracking if this is a surprise."
            )
    return lines


def data_health(
    variant_ids: Sequence[str],
    weeks: IntArray,
    spend: FloatArray,
    clicks: FloatArray,
    conversions: FloatArray,
) -> list[str]:
    """Warnings about counts that do not fit together."""
    checks = (
        (spend > 0) & (clicks == 0),
        (spend == 0) & (clicks > 0),
        (spend == 0) & (conversions > 0),
        conversions > clicks,
    )
    messages = (
        "spend without any clicks",
        "clicks without spend",
        "conversions without spend",
        "more conversions than clicks",
    )
    lines = []
    for flags, message in zip(checks, messages, strict=True):
        hits = np.flatnonzero(flags)
        if hits.size == 0:
            continue
        shown = ", ".join(
            f"{variant_ids[i]} in {week_label(int(weeks[i]))}" for i in hits[:EXAMPLES_SHOWN]
        )
        more = f" and {hits.size - EXAMPLES_SHOWN} more" if hits.size > EXAMPLES_SHOWN else ""
        lines.append(f"Data check: {message} for {shown}{more}.")
    return lines
