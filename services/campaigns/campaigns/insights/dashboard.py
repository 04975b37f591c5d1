"""The campaign dashboard as values: what each table row and chart shows, from counts.

Pure: the numbers come in (the funnel from analytics, its proposal, health findings and
insights, the campaign's creatives) and a :class:`DashboardView` comes out; no I/O, so
the page, its charts and the tests all see the same figures. The only statistic computed
here is the classical interval of a cost per conversion (an exact Poisson interval on
the count, a pure function of spend and count); the Bayesian ones (chance of being best,
expected cost of the proposal) are analytics' and are shown as analytics gave them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from scipy import special

from campaigns.catalog.domain import Variant
from campaigns.insights.analytics_client import AllocationProposal, DataHealth, Insights
from campaigns.insights.charts import ChartSpec, Series, chart_words
from campaigns.insights.domain import CampaignFunnel, FunnelCounts
from campaigns.organic.domain import OrganicSummary, organic_summary
from campaigns.web.i18n import N_, Gettext, untranslated

INTERVAL_LEVEL = 0.90
"""The cost intervals' coverage; the same as analytics' classical checks."""

BUDGET_WEEKS = 52
"""How many ISO weeks the budget chart goes back."""

PLAN_WEEKS = 12
"""How many ISO weeks the proposed-approved-spent chart shows."""


@dataclass(frozen=True)
class CostInterval:
    """Spend per conversion with an exact Poisson interval on the conversion count.

    ``high`` is infinite while nothing converted: any cost is then still possible.
    """

    estimate: float | None
    low: float | None
    high: float | None

    @property
    def unbounded(self) -> bool:
        return self.high is not None and math.isinf(self.high)


def cost_interval(spend: Decimal | float, conversions: int) -> CostInterval:
    """Cost per conversion and its ``INTERVAL_LEVEL`` interval; None without spend."""
    euros = float(spend)
    if euros <= 0:
        return CostInterval(None, None, None)
    tail = (1 - INTERVAL_LEVEL) / 2
    # Garwood's exact interval on the Poisson mean, turned into euros per conversion.
    # chi2.ppf(q, 2k) / 2 is the inverse regularised gamma function at (k, q); the ufunc
    # costs microseconds where scipy.stats' generic ppf costs a third of a millisecond,
    # and a dashboard asks for forty of them.
    upper_count = float(special.gammaincinv(conversions + 1, 1 - tail))
    lower_count = float(special.gammaincinv(conversions, tail)) if conversions > 0 else 0.0
    return CostInterval(
        estimate=euros / conversions if conversions > 0 else None,
        low=euros / upper_count,
        high=euros / lower_count if lower_count > 0 else math.inf,
    )


@dataclass(frozen=True)
class CreativeRow:
    """One creative's line in the funnel table."""

    variant_id: str
    label: str
    channel: str
    live: bool
    counts: FunnelCounts
    cost_per_lead: CostInterval
    cost_per_application: CostInterval
    p_best: float | None


@dataclass(frozen=True)
class AllocationRow:
    variant_id: str
    label: str
    current: float | None
    proposed: float
    change: float | None
    p_best: float | None
    expected_cost: CostInterval | None


@dataclass(frozen=True)
class AllocationView:
    proposal: AllocationProposal
    rows: tuple[AllocationRow, ...]

    @property
    def decided(self) -> bool:
        return self.proposal.status in ("approved", "rejected")


@dataclass(frozen=True)
class BudgetWeek:
    """One ISO week of the plan against delivery: euros per creative id.

    ``approved`` is None when nothing was approved for the week (not decided yet, held or
    rejected); ``proposed`` is empty when analytics made no proposal for it.
    """

    week: str
    proposed: Mapping[str, float]
    approved: Mapping[str, float] | None
    spent: Mapping[str, float]

    def total(self, which: str) -> float | None:
        amounts: Mapping[str, float] | None = getattr(self, which)
        if amounts is None or (which == "proposed" and not amounts):
            return None
        return float(sum(amounts.values()))


def budget_plan_weeks(
    *,
    proposals: Mapping[str, Mapping[str, float]],
    approved: Mapping[str, Mapping[str, float]],
    funnel: CampaignFunnel | None,
    up_to_week: str,
) -> tuple[BudgetWeek, ...]:
    """The last :data:`PLAN_WEEKS` weeks up to ``up_to_week`` that have a proposal, an
    approval or spend, oldest first."""
    spent: dict[str, dict[str, float]] = {}
    for variant in funnel.variants if funnel else ():
        for week, counts in variant.weeks.items():
            if counts.spend > 0:
                spent.setdefault(week, {})[variant.variant_id] = float(counts.spend)
    weeks = sorted(w for w in {*proposals, *approved, *spent} if w <= up_to_week)
    return tuple(
        BudgetWeek(
            week=week,
            proposed=dict(proposals.get(week, {})),
            approved=dict(approved[week]) if week in approved else None,
            spent=spent.get(week, {}),
        )
        for week in weeks[-PLAN_WEEKS:]
    )


def budget_plan_chart(
    weeks: Sequence[BudgetWeek], gettext: Gettext = untranslated
) -> ChartSpec | None:
    """Per week: the budget analytics proposed, what was approved, what was spent."""
    if not weeks:
        return None
    _ = gettext
    return ChartSpec(
        name="plan",
        title=_("Budget per week: proposed, approved, spent"),
        description=_(
            "For each week, the campaign's budget as analytics proposed it, as approved "
            "(by a person or autopilot) and as spent on the ad platforms. Per creative in "
            "the table below the chart."
        ),
        kind="grouped_bars",
        categories=tuple(w.week for w in weeks),
        series=tuple(
            Series(_(label), tuple(w.total(which) for w in weeks))
            for label, which in (
                (N_("Proposed"), "proposed"),
                (N_("Approved"), "approved"),
                (N_("Spent"), "spent"),
            )
        ),
        value_format="euro",
        words=chart_words(gettext),
    )


@dataclass(frozen=True)
class DashboardView:
    week: str
    rows: tuple[CreativeRow, ...]
    totals: FunnelCounts | None
    total_cost_per_lead: CostInterval | None
    total_cost_per_application: CostInterval | None
    charts: tuple[ChartSpec, ...]
    allocation: AllocationView | None
    health: DataHealth | None
    insights: Insights | None
    labels: Mapping[str, str] = field(default_factory=dict)
    budget_weeks: tuple[BudgetWeek, ...] = ()
    organic: OrganicSummary | None = None
    """Employee-made creatives' organic views and their value; None without any."""

    def chart(self, name: str) -> ChartSpec | None:
        return next((c for c in self.charts if c.name == name), None)


def build_dashboard(
    *,
    week: str,
    variants: Sequence[Variant],
    funnel: CampaignFunnel | None,
    proposal: AllocationProposal | None,
    health: DataHealth | None,
    insights: Insights | None,
    gettext: Gettext = untranslated,
    proposals: Mapping[str, Mapping[str, float]] | None = None,
    approved: Mapping[str, Mapping[str, float]] | None = None,
    organic_views: Mapping[str, int] | None = None,
    cpm_cents: int | None = None,
) -> DashboardView:
    """Assemble everything the dashboard shows from what analytics and the database said.

    ``proposals`` and ``approved`` are the campaign's stored weekly amounts (week ->
    creative id -> euros) for the plan-against-spend chart; ``organic_views`` the
    employee-made creatives' recorded views, valued at ``cpm_cents``.
    """
    labels = creative_labels(variants, funnel)
    p_best = proposal.p_best if proposal else {}
    live = {v.variant_id: v.live for v in variants}
    channels = {v.variant_id: v.channel for v in variants}
    rows: list[CreativeRow] = []
    if funnel is not None:
        by_id = {v.variant_id: v.totals for v in funnel.variants}
        for variant_id in labels:
            counts = by_id.get(variant_id, FunnelCounts())
            rows.append(
                CreativeRow(
                    variant_id=variant_id,
                    label=labels[variant_id],
                    channel=channels.get(variant_id, ""),
                    live=live.get(variant_id, False),
                    counts=counts,
                    cost_per_lead=cost_interval(counts.spend, counts.leads),
                    cost_per_application=cost_interval(counts.spend, counts.applications),
                    p_best=p_best.get(variant_id),
                )
            )
    totals = funnel.totals if funnel is not None else None
    allocation = allocation_view(proposal, labels) if proposal else None
    budget_weeks = budget_plan_weeks(
        proposals=proposals or {}, approved=approved or {}, funnel=funnel, up_to_week=week
    )
    plan_chart = budget_plan_chart(budget_weeks, gettext)
    employee_made = [(v.variant_id, v.name) for v in variants if v.employee_generated]
    spend = {r.variant_id: int(r.counts.spend * 100) for r in rows}
    organic = (
        organic_summary(employee_made, organic_views or {}, spend, cpm_cents)
        if employee_made and cpm_cents is not None
        else None
    )
    return DashboardView(
        week=week,
        rows=tuple(rows),
        totals=totals,
        total_cost_per_lead=cost_interval(totals.spend, totals.leads) if totals else None,
        total_cost_per_application=(
            cost_interval(totals.spend, totals.applications) if totals else None
        ),
        charts=(
            *dashboard_charts(rows, funnel, labels, allocation, gettext),
            *((plan_chart,) if plan_chart else ()),
        ),
        allocation=allocation,
        health=health,
        insights=insights,
        labels=labels,
        budget_weeks=budget_weeks,
        organic=organic,
    )


def creative_labels(variants: Sequence[Variant], funnel: CampaignFunnel | None) -> dict[str, str]:
    """variant id -> name, in the campaign's order; ids only analytics knows come last."""
    labels = {v.variant_id: v.name for v in variants}
    for variant in funnel.variants if funnel else ():
        labels.setdefault(variant.variant_id, variant.variant_id)
    return labels


def allocation_view(proposal: AllocationProposal, labels: Mapping[str, str]) -> AllocationView:
    ids = list(labels) + [v for v in proposal.allocation if v not in labels]
    rows = []
    for variant_id in ids:
        if variant_id not in proposal.allocation and variant_id not in proposal.previous_allocation:
            continue
        proposed = proposal.allocation.get(variant_id, 0.0)
        current = proposal.previous_allocation.get(variant_id)
        expected = proposal.expected_cost_per_conversion.get(variant_id)
        rows.append(
            AllocationRow(
                variant_id=variant_id,
                label=labels.get(variant_id, variant_id),
                current=current,
                proposed=proposed,
                change=None if current is None else proposed - current,
                p_best=proposal.p_best.get(variant_id),
                expected_cost=(
                    None
                    if expected is None
                    else CostInterval(
                        expected.mean,
                        expected.low,
                        math.inf if expected.high is None else expected.high,
                    )
                ),
            )
        )
    return AllocationView(proposal=proposal, rows=tuple(rows))


# --- charts -----------------------------------------------------------------------------

FUNNEL_STAGES: tuple[tuple[str, str], ...] = (
    (N_("Visits"), "visits"),
    (N_("Entry starts"), "entry_starts"),
    (N_("Quiz, lead or apply"), "conversions"),
    (N_("Interviews"), "interviews"),
    (N_("Hires"), "hires"),
)


def _stage(counts: FunnelCounts, name: str) -> int:
    if name == "conversions":
        return counts.quiz_completions + counts.leads + counts.applications
    value: int = getattr(counts, name)
    return value


def dashboard_charts(
    rows: Sequence[CreativeRow],
    funnel: CampaignFunnel | None,
    labels: Mapping[str, str],
    allocation: AllocationView | None,
    gettext: Gettext = untranslated,
) -> list[ChartSpec]:
    """The dashboard's charts, their words in the reader's language (``gettext``)."""
    _ = gettext
    words = chart_words(gettext)
    charts: list[ChartSpec] = []
    if rows:
        categories = tuple(r.label for r in rows)
        charts.append(
            ChartSpec(
                name="funnel",
                title=_("Candidates per creative, stage by stage"),
                description=_(
                    "For each creative, how many people visited the landing page, started "
                    "an entry, finished a quiz, lead form or application, were interviewed "
                    "and were hired. Logarithmic scale."
                ),
                kind="grouped_bars",
                categories=categories,
                series=tuple(
                    Series(_(label), tuple(float(_stage(r.counts, name)) for r in rows))
                    for label, name in FUNNEL_STAGES
                ),
                log_scale=True,
                value_label=_("people (logarithmic scale)"),
                words=words,
            )
        )
        charts.append(
            ChartSpec(
                name="cost",
                title=_("Cost per lead and per application"),
                description=_(
                    "Spend divided by leads and by applications per creative, with "
                    "%(level)s intervals; a creative without any yet has no upper bound."
                )
                % {"level": f"{INTERVAL_LEVEL:.0%}"},
                kind="interval",
                categories=categories,
                series=(
                    _cost_series(_("Cost per lead"), [r.cost_per_lead for r in rows]),
                    _cost_series(_("Cost per application"), [r.cost_per_application for r in rows]),
                ),
                value_format="euro",
                value_label=_("euros per candidate"),
                words=words,
            )
        )
    if any(r.p_best is not None for r in rows):
        charts.append(
            ChartSpec(
                name="p_best",
                title=_("Chance of being the best creative"),
                description=_(
                    "Per creative, analytics' probability that it produces candidates at the "
                    "lowest cost per euro."
                ),
                kind="bars",
                categories=tuple(r.label for r in rows),
                series=(Series(_("Chance of being best"), tuple(r.p_best for r in rows)),),
                value_format="percent",
                words=words,
            )
        )
    if funnel is not None:
        weekly = budget_weeks(funnel, labels, gettext)
        if weekly is not None:
            charts.append(weekly)
    if allocation is not None and allocation.rows:
        charts.append(
            ChartSpec(
                name="allocation",
                title=_("Budget for %(week)s: now and proposed")
                % {"week": allocation.proposal.week},
                description=_(
                    "Per creative, this week's amount beside the amount analytics proposes "
                    "for the coming week."
                ),
                kind="paired_bars",
                categories=tuple(r.label for r in allocation.rows),
                series=(
                    Series(_("This week"), tuple(r.current for r in allocation.rows)),
                    Series(_("Proposed"), tuple(r.proposed for r in allocation.rows)),
                ),
                value_format="euro",
                words=words,
            )
        )
    return charts


def _cost_series(label: str, costs: Sequence[CostInterval]) -> Series:
    return Series(
        label,
        tuple(c.estimate for c in costs),
        low=tuple(c.low if c.estimate is not None else None for c in costs),
        high=tuple(c.high if c.estimate is not None else None for c in costs),
    )


def budget_weeks(
    funnel: CampaignFunnel, labels: Mapping[str, str], gettext: Gettext = untranslated
) -> ChartSpec | None:
    """Spend per creative per ISO week over the last ``BUDGET_WEEKS`` weeks with spend."""
    _ = gettext
    weeks = sorted({w for v in funnel.variants for w, c in v.weeks.items() if c.spend > 0})
    weeks = weeks[-BUDGET_WEEKS:]
    if not weeks:
        return None
    series = tuple(
        Series(
            labels.get(v.variant_id, v.variant_id),
            tuple(float(v.weeks[w].spend) if w in v.weeks else 0.0 for w in weeks),
        )
        for v in funnel.variants
        if any(w in v.weeks and v.weeks[w].spend > 0 for w in weeks)
    )
    return ChartSpec(
        name="budget",
        title=_("Spend over the weeks, per creative"),
        description=_(
            "Spend per ISO week from %(first)s to %(last)s, stacked by creative, as "
            "imported from the ad platforms."
        )
        % {"first": weeks[0], "last": weeks[-1]},
        kind="stacked_area",
        categories=tuple(weeks),
        series=series,
        value_format="euro",
        words=chart_words(gettext),
    )
