"""The next best actions of a campaign, as pure rules over the facts already stored: the
weekly funnel per creative (from analytics), the page's entry points and the leads'
contact history (from landing). Each rule returns an action only when the evidence is
clear (an interval that excludes "no difference"), with the figure, its interval and the
rule in words; when nothing is clear, the right action is none.

Intervals are exact: Clopper-Pearson for proportions (a rate ratio of two Poisson counts
is a proportion given their sum), Garwood for costs per lead (``cost_interval``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from scipy.stats import beta

from campaigns.catalog.domain import Variant
from campaigns.insights.dashboard import INTERVAL_LEVEL, cost_interval
from campaigns.insights.domain import CampaignFunnel, FunnelCounts
from campaigns.leads.landing_client import LeadContactFacts

LEVEL = 0.95
DASH = "\u2013"  # the en dash between an interval's ends
ActionKind = Literal["refresh_creative", "lower_threshold", "move_budget", "follow_up"]

# --- the rules' thresholds (named, so the evidence can quote them) ----------------------
FATIGUE_RECENT_WEEKS = 2
FATIGUE_MIN_EARLIER_LEADS = 20
FATIGUE_MAX_RATIO = 0.7
APPLY_ONLY_MIN_VISITS = 200
APPLY_ONLY_GOOD_RATE = 0.05
BUDGET_MIN_LEADS = 5
COLD_AFTER = timedelta(days=3)


@dataclass(frozen=True)
class Evidence:
    figure: str
    interval: str
    rule: str


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    key: str
    """Stable for the same advice on the same things, so a dismissal sticks."""
    title: str
    evidence: Evidence


def proportion_interval(successes: int, trials: int, level: float = LEVEL) -> tuple[float, float]:
    """Clopper-Pearson interval of a proportion (0..1); (0, 1) without trials."""
    if trials <= 0:
        return 0.0, 1.0
    tail = (1 - level) / 2
    low = float(beta.ppf(tail, successes, trials - successes + 1)) if successes > 0 else 0.0
    high = (
        float(beta.ppf(1 - tail, successes + 1, trials - successes)) if successes < trials else 1.0
    )
    return low, high


def rate_ratio(
    recent: int, recent_exposure: float, earlier: int, earlier_exposure: float
) -> tuple[float, float, float] | None:
    """Ratio of two Poisson rates (recent / earlier) with its exact conditional interval;
    None when either exposure is empty or nothing was counted."""
    total = recent + earlier
    if recent_exposure <= 0 or earlier_exposure <= 0 or total == 0:
        return None
    low_p, high_p = proportion_interval(recent, total)
    scale = earlier_exposure / recent_exposure

    def ratio(p: float) -> float:
        return float("inf") if p >= 1 else p / (1 - p) * scale

    return ratio(recent / total), ratio(low_p), ratio(high_p)


def _sum(counts: Iterable[FunnelCounts]) -> tuple[int, float]:
    leads = spend = 0.0
    for c in counts:
        leads += c.leads
        spend += float(c.spend)
    return int(leads), spend


def tired_creatives(funnel: CampaignFunnel, variants: Sequence[Variant]) -> list[Action]:
    """A live creative whose leads per euro in its last two weeks fell clearly below its
    own earlier weeks: refresh it (new image, new hook) before it eats the budget."""
    live = {v.variant_id: v for v in variants if v.live}
    actions = []
    for variant in funnel.variants:
        if variant.variant_id not in live or len(variant.weeks) <= FATIGUE_RECENT_WEEKS:
            continue
        weeks = sorted(variant.weeks)
        recent_leads, recent_spend = _sum(variant.weeks[w] for w in weeks[-FATIGUE_RECENT_WEEKS:])
        earlier_leads, earlier_spend = _sum(variant.weeks[w] for w in weeks[:-FATIGUE_RECENT_WEEKS])
        if earlier_leads < FATIGUE_MIN_EARLIER_LEADS:
            continue
        found = rate_ratio(recent_leads, recent_spend, earlier_leads, earlier_spend)
        if found is None:
            continue
        estimate, low, high = found
        if high < 1 and estimate <= FATIGUE_MAX_RATIO:
            name = live[variant.variant_id].name
            actions.append(
                Action(
                    kind="refresh_creative",
                    key=f"refresh_creative:{variant.variant_id}",
                    title=f"Refresh the creative “{name}”: it brings fewer leads per euro.",
                    evidence=Evidence(
                        figure=(
                            f"Leads per euro in the last {FATIGUE_RECENT_WEEKS} weeks are "
                            f"{estimate:.0%} of its earlier weeks ({recent_leads} leads for "
                            f"€{recent_spend:,.0f} against {earlier_leads} for "
                            f"€{earlier_spend:,.0f})."
                        ),
                        interval=f"{LEVEL:.0%} interval {low:.0%}{DASH}{high:.0%}",
                        rule=(
                            f"A live creative with at least {FATIGUE_MIN_EARLIER_LEADS} earlier "
                            f"leads whose recent rate is at most {FATIGUE_MAX_RATIO:.0%} of its "
                            "earlier rate, with the whole interval below 100%."
                        ),
                    ),
                )
            )
    return actions


def apply_only_converting_poorly(totals: FunnelCounts, entry_points: Sequence[str]) -> list[Action]:
    """A page that only offers "apply" and turns clearly fewer than 5% of its visits into
    applications: add a quiz or a short lead form, a lower threshold for latent candidates."""
    if set(entry_points) != {"apply"} or totals.visits < APPLY_ONLY_MIN_VISITS:
        return []
    low, high = proportion_interval(totals.applications, totals.visits)
    if high >= APPLY_ONLY_GOOD_RATE:
        return []
    rate = totals.applications / totals.visits
    return [
        Action(
            kind="lower_threshold",
            key="lower_threshold:page",
            title="Add a quiz or a short lead form: the page only offers “apply”.",
            evidence=Evidence(
                figure=(
                    f"{totals.applications} applications from {totals.visits} visits ({rate:.1%})."
                ),
                interval=f"{LEVEL:.0%} interval {low:.1%}{DASH}{high:.1%}",
                rule=(
                    f"An apply-only page with at least {APPLY_ONLY_MIN_VISITS} visits whose "
                    f"whole interval lies below {APPLY_ONLY_GOOD_RATE:.0%} of visits."
                ),
            ),
        )
    ]


def worse_channel(funnel: CampaignFunnel, variants: Sequence[Variant]) -> list[Action]:
    """A channel whose cost per lead is clearly higher than the best channel's (their
    intervals do not overlap): move budget from it to the best one."""
    channel_of = {v.variant_id: v.channel for v in variants if v.live}
    per_channel: dict[str, list[FunnelCounts]] = {}
    for variant in funnel.variants:
        if variant.variant_id in channel_of:
            per_channel.setdefault(channel_of[variant.variant_id], []).append(variant.totals)
    costs = {}
    for channel, counts in per_channel.items():
        leads, spend = _sum(counts)
        if spend > 0:
            costs[channel] = (leads, spend, cost_interval(spend, leads))
    measured = {c: v for c, v in costs.items() if v[0] >= BUDGET_MIN_LEADS}
    if len(measured) < 2:
        return []
    best = min(measured, key=lambda c: measured[c][1] / measured[c][0])
    best_leads, best_spend, best_cost = measured[best]
    actions = []
    for channel, (leads, spend, cost) in sorted(costs.items()):
        if channel == best or cost.low is None or best_cost.high is None:
            continue
        if cost.low > best_cost.high:
            shown = f"€{cost.estimate:,.2f}" if cost.estimate else "no lead yet"
            actions.append(
                Action(
                    kind="move_budget",
                    key=f"move_budget:{channel}:{best}",
                    title=f"Move budget from {channel} to {best}: leads cost clearly more there.",
                    evidence=Evidence(
                        figure=(
                            f"Cost per lead on {channel} {shown} ({leads} leads for "
                            f"€{spend:,.0f}); on {best} €{best_cost.estimate:,.2f} "
                            f"({best_leads} leads for €{best_spend:,.0f})."
                        ),
                        interval=(
                            f"{INTERVAL_LEVEL:.0%} intervals {channel} €{cost.low:,.2f}{DASH}"
                            f"{_euros(cost.high)}, {best} €{best_cost.low:,.2f}{DASH}"
                            f"{_euros(best_cost.high)}"
                        ),
                        rule=(
                            "The channel's whole cost interval lies above the interval of "
                            f"the cheapest channel with at least {BUDGET_MIN_LEADS} leads."
                        ),
                    ),
                )
            )
    return actions


def _euros(value: float | None) -> str:
    if value is None or value == float("inf"):
        return "unbounded"
    return f"€{value:,.2f}"


def leads_going_cold(
    facts: Iterable[LeadContactFacts], *, now: datetime, target_hours: int
) -> list[Action]:
    """Leads past the contact target without a first contact, or contacted days ago
    without a reply: follow them up before they take another offer."""
    target = timedelta(hours=target_hours)
    waiting = unanswered = 0
    oldest: timedelta | None = None
    for lead in facts:
        if lead.status not in ("new", "contacted"):
            continue
        attempts = [c.at for c in lead.contacts if c.kind == "attempt"]
        replied = any(c.kind == "reply" for c in lead.contacts)
        if not attempts and now - lead.created_at > target:
            waiting += 1
            age = now - lead.created_at
        elif attempts and not replied and now - max(attempts) > COLD_AFTER:
            unanswered += 1
            age = now - max(attempts)
        else:
            continue
        oldest = age if oldest is None else max(oldest, age)
    if (not waiting and not unanswered) or oldest is None:
        return []
    return [
        Action(
            kind="follow_up",
            key="follow_up:leads",
            title=f"Follow up {waiting + unanswered} lead(s) going cold.",
            evidence=Evidence(
                figure=(
                    f"{waiting} not contacted within {target_hours} h, {unanswered} without "
                    f"a reply for more than {COLD_AFTER.days} days; the oldest has waited "
                    f"{oldest.total_seconds() / 86400:.1f} days."
                ),
                interval="counted, not estimated",
                rule=(
                    f"Open leads past the employer's {target_hours} h target, or contacted "
                    f"more than {COLD_AFTER.days} days ago without an answer."
                ),
            ),
        )
    ]


def next_best_actions(
    *,
    funnel: CampaignFunnel | None,
    variants: Sequence[Variant],
    entry_points: Sequence[str],
    contact_facts: Iterable[LeadContactFacts] | None,
    now: datetime,
    target_hours: int,
    dismissed: Mapping[str, str] | None = None,
) -> list[Action]:
    """Every rule over what is known, minus what the employer dismissed; a source that
    could not be read (None) simply gives no advice."""
    found: list[Action] = []
    if funnel is not None:
        found += tired_creatives(funnel, variants)
        found += apply_only_converting_poorly(funnel.totals, entry_points)
        found += worse_channel(funnel, variants)
    if contact_facts is not None:
        found += leads_going_cold(contact_facts, now=now, target_hours=target_hours)
    return [a for a in found if a.key not in (dismissed or {})]
