"""The next best actions of a campaign, as pure rules over the facts already stored: the
weekly funnel per creative (from analytics), the page's entry points and the leads'
contact history (from landing). Each rule returns an action only when the evidence is
clear (an interval that excludes "no difference"), with the figure, its interval and the
rule in words; when nothing is clear, the right action is none.

Intervals are exact: Clopper-Pearson for proportions (a rate ratio of two Poisson counts
is a proportion given their sum), Garwood for costs per lead (``cost_interval``).

Titles and evidence are :class:`~koers.phrases.Phrase` values: worded in the
reader's language where they are shown. Each action also says what is at stake, in
candidates a week, so an employer's actions across campaigns can be ranked
(:mod:`campaigns.actions.ranking`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from scipy.stats import beta

from campaigns.catalog.domain import Variant
from campaigns.insights.dashboard import INTERVAL_LEVEL, cost_interval
from campaigns.insights.domain import CampaignFunnel, FunnelCounts
from campaigns.leads.landing_client import LeadContactFacts
from campaigns.web.i18n import N_
from koers.phrases import Argument, Decimal1, Euros, Phrase, Share

LEVEL = 0.95
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
    figure: Phrase
    interval: Phrase
    rule: Phrase


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    key: str
    """Stable for the same advice on the same things, so a dismissal sticks."""
    title: Phrase
    evidence: Evidence
    stake: float = 0.0
    """Candidates a week the action should win back (or, to follow up, leads in hand)."""


def _interval(low: Argument, high: Argument, level: float = LEVEL) -> Phrase:
    return Phrase(
        N_("%(level)s interval %(low)s–%(high)s"),  # noqa: RUF001 (an interval's en dash)
        {"level": Share(level), "low": low, "high": high},
    )


def _weeks_of(funnel: CampaignFunnel) -> int:
    """How many weeks the funnel counts (at least one): totals become a weekly pace."""
    return max((len(v.weeks) for v in funnel.variants), default=0) or 1


# Kept per counts: the overview asks the same few hundred intervals on every page view
# (each a pair of scipy calls, the most of its CPU), and they are pure in their counts.
@functools.lru_cache(maxsize=16384)
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
            lost_rate = earlier_leads / earlier_spend - recent_leads / recent_spend
            actions.append(
                Action(
                    kind="refresh_creative",
                    key=f"refresh_creative:{variant.variant_id}",
                    title=Phrase(
                        N_("Refresh the creative “%(name)s”: it brings fewer leads per euro."),
                        {"name": name},
                    ),
                    evidence=Evidence(
                        figure=Phrase(
                            N_(
                                "Leads per euro in the last %(weeks)s weeks are %(ratio)s of "
                                "its earlier weeks (%(recent)s leads for %(recent_spend)s "
                                "against %(earlier)s for %(earlier_spend)s)."
                            ),
                            {
                                "weeks": FATIGUE_RECENT_WEEKS,
                                "ratio": Share(estimate),
                                "recent": recent_leads,
                                "recent_spend": Euros(recent_spend, 0),
                                "earlier": earlier_leads,
                                "earlier_spend": Euros(earlier_spend, 0),
                            },
                        ),
                        interval=_interval(Share(low), Share(high)),
                        rule=Phrase(
                            N_(
                                "A live creative with at least %(min_leads)s earlier leads "
                                "whose recent rate is at most %(max_ratio)s of its earlier "
                                "rate, with the whole interval below 100%%."
                            ),
                            {
                                "min_leads": FATIGUE_MIN_EARLIER_LEADS,
                                "max_ratio": Share(FATIGUE_MAX_RATIO),
                            },
                        ),
                    ),
                    stake=max(lost_rate, 0.0) * recent_spend / FATIGUE_RECENT_WEEKS,
                )
            )
    return actions


def apply_only_converting_poorly(
    totals: FunnelCounts, entry_points: Sequence[str], weeks: int = 1
) -> list[Action]:
    """A page that only offers "apply" and turns clearly fewer than 5% of its visits into
    applications: add a quiz or a short lead form, a lower threshold for latent candidates.
    ``weeks`` is how many weeks ``totals`` count, for the weekly stake."""
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
            title=Phrase(N_("Add a quiz or a short lead form: the page only offers “apply”.")),
            evidence=Evidence(
                figure=Phrase(
                    N_("%(applications)s applications from %(visits)s visits (%(rate)s)."),
                    {
                        "applications": totals.applications,
                        "visits": totals.visits,
                        "rate": Share(rate, 1),
                    },
                ),
                interval=_interval(Share(low, 1), Share(high, 1)),
                rule=Phrase(
                    N_(
                        "An apply-only page with at least %(min_visits)s visits whose whole "
                        "interval lies below %(good_rate)s of visits."
                    ),
                    {"min_visits": APPLY_ONLY_MIN_VISITS, "good_rate": Share(APPLY_ONLY_GOOD_RATE)},
                ),
            ),
            stake=totals.visits * (APPLY_ONLY_GOOD_RATE - rate) / max(weeks, 1),
        )
    ]


def worse_channel(
    funnel: CampaignFunnel, variants: Sequence[Variant], weeks: int = 1
) -> list[Action]:
    """A channel whose cost per lead is clearly higher than the best channel's (their
    intervals do not overlap): move budget from it to the best one. ``weeks`` is how many
    weeks the funnel counts, for the weekly stake."""
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
            shown: Argument = Euros(cost.estimate) if cost.estimate else Phrase(N_("no lead yet"))
            # Leads a week the channel's spend would bring at the best channel's cost.
            gained = spend / max(weeks, 1) * (best_leads / best_spend - leads / spend)
            actions.append(
                Action(
                    kind="move_budget",
                    key=f"move_budget:{channel}:{best}",
                    title=Phrase(
                        N_(
                            "Move budget from %(channel)s to %(best)s: "
                            "leads cost clearly more there."
                        ),
                        {"channel": channel, "best": best},
                    ),
                    evidence=Evidence(
                        figure=Phrase(
                            N_(
                                "Cost per lead on %(channel)s %(cost)s (%(leads)s leads for "
                                "%(spend)s); on %(best)s %(best_cost)s (%(best_leads)s leads "
                                "for %(best_spend)s)."
                            ),
                            {
                                "channel": channel,
                                "cost": shown,
                                "leads": leads,
                                "spend": Euros(spend, 0),
                                "best": best,
                                "best_cost": Euros(best_cost.estimate or 0.0),
                                "best_leads": best_leads,
                                "best_spend": Euros(best_spend, 0),
                            },
                        ),
                        interval=Phrase(
                            N_(
                                "%(level)s intervals %(channel)s %(low)s–%(high)s, "  # noqa: RUF001
                                "%(best)s %(best_low)s–%(best_high)s"  # noqa: RUF001
                            ),
                            {
                                "level": Share(INTERVAL_LEVEL),
                                "channel": channel,
                                "low": Euros(cost.low),
                                "high": Euros(cost.high if cost.high is not None else math.inf),
                                "best": best,
                                "best_low": Euros(best_cost.low or 0.0),
                                "best_high": Euros(best_cost.high),
                            },
                        ),
                        rule=Phrase(
                            N_(
                                "The channel's whole cost interval lies above the interval "
                                "of the cheapest channel with at least %(min_leads)s leads."
                            ),
                            {"min_leads": BUDGET_MIN_LEADS},
                        ),
                    ),
                    stake=max(gained, 0.0),
                )
            )
    return actions


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
            title=Phrase(
                N_("Follow up the leads going cold: %(count)s."),
                {"count": waiting + unanswered},
            ),
            evidence=Evidence(
                figure=Phrase(
                    N_(
                        "%(waiting)s not contacted within %(hours)s h, %(unanswered)s without "
                        "a reply for more than %(days)s days; the oldest has waited "
                        "%(oldest)s days."
                    ),
                    {
                        "waiting": waiting,
                        "hours": target_hours,
                        "unanswered": unanswered,
                        "days": COLD_AFTER.days,
                        "oldest": Decimal1(oldest.total_seconds() / 86400),
                    },
                ),
                interval=Phrase(N_("counted, not estimated")),
                rule=Phrase(
                    N_(
                        "Open leads past the employer's %(hours)s h target, or contacted "
                        "more than %(days)s days ago without an answer."
                    ),
                    {"hours": target_hours, "days": COLD_AFTER.days},
                ),
            ),
            # Leads already in hand: each one counts in full, and it is lost this week.
            stake=float(waiting + unanswered),
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
        weeks = _weeks_of(funnel)
        found += tired_creatives(funnel, variants)
        found += apply_only_converting_poorly(funnel.totals, entry_points, weeks)
        found += worse_channel(funnel, variants, weeks)
    if contact_facts is not None:
        found += leads_going_cold(contact_facts, now=now, target_hours=target_hours)
    return [a for a in found if a.key not in (dismissed or {})]
