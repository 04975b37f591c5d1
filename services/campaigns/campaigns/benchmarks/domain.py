"""Benchmarks across employers, privacy first: the disclosure rule and the figures.

Pure. Employers who opted in contribute, per cell (sector x region x ad channel), their
summed spend, leads and interviews; per sector x region, the waits from their leads to a
first contact. Only the pooled figures of a cell are ever published, and only when

- at least :data:`MIN_EMPLOYERS` distinct employers stand behind it,
- the cell has at least :data:`MIN_VOLUME` leads (contacted leads for time to contact),
- no employer holds more than :data:`MAX_SHARE` of any quantity the figure sums (spend,
  leads, interviews), so nobody can read a big player's figure off the pool.

Against differencing: a cell has one figure, over all its contributors, the same for
every reader (never "all but me"); figures are rounded to two significant digits; there
is one level of cells (no totals over regions or channels, so no complementary cell to
subtract); and the figures change only when the weekly refresh recomputes every cell.

Intervals: a benchmark's cost per lead and interview rate are ratios over employers, so
their interval treats the employer as the unit (ratio estimator with a cluster-robust
variance, Student t with n-1 degrees of freedom): it shows how much employers differ,
not how many leads there were. Time to first contact is the pooled median over leads
with the middle half of leads (25th to 75th percentile) as its range. The campaign's own
figures carry exact intervals: Garwood for the cost per lead, Clopper-Pearson for the
rate, and the distribution-free order-statistic interval for the median wait.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import median, quantiles
from typing import Literal

from scipy.stats import binom, t

from campaigns.actions.domain import proportion_interval
from campaigns.insights.dashboard import cost_interval
from campaigns.insights.domain import CampaignFunnel
from campaigns.leads.landing_client import LeadContactFacts
from campaigns.web.i18n import N_
from koers.isoweeks import shift_week, week_monday

SECTORS: Mapping[str, str] = {
    "zorg": N_("Healthcare"),
    "logistiek": N_("Logistics"),
    "techniek": N_("Engineering"),
    "horeca": N_("Hospitality"),
    "retail": N_("Retail"),
    "onderwijs": N_("Education"),
    "overheid": N_("Government"),
    "ict": N_("IT"),
    "bouw": N_("Construction"),
    "overig": N_("Other"),
}
"""Sector codes (stored) and their English labels (translated when shown)."""

Metric = Literal["cost_per_lead", "interview_rate", "first_contact_hours"]
METRICS: tuple[Metric, ...] = ("cost_per_lead", "interview_rate", "first_contact_hours")
HiddenReason = Literal["too_few_employers", "too_little_volume", "dominated"]

ALL_CHANNELS = "all"
"""The channel of time-to-contact cells: a lead's contact does not depend on the ad."""

MIN_EMPLOYERS = 5
MIN_VOLUME = 50
MAX_SHARE = 0.5
WINDOW_WEEKS = 26
"""The ISO weeks a benchmark covers, up to the week of the refresh."""
LEVEL = 0.90
"""Every interval's coverage, as the dashboard's cost intervals."""
SIGNIFICANT_DIGITS = 2


@dataclass(frozen=True)
class Window:
    """The ISO weeks a benchmark covers, first to last (both whole weeks)."""

    first_week: str
    last_week: str

    @property
    def start(self) -> datetime:
        monday = week_monday(self.first_week)
        return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        monday = week_monday(self.last_week)
        return datetime(monday.year, monday.month, monday.day, tzinfo=UTC) + timedelta(days=7)

    def covers_week(self, week: str) -> bool:
        return self.first_week <= week <= self.last_week  # "2026-W09" < "2026-W10"


def window_before(week: str) -> Window:
    """The :data:`WINDOW_WEEKS` whole weeks before ``week`` (the week a refresh runs in)."""
    last = shift_week(week, -1)
    return Window(shift_week(last, -(WINDOW_WEEKS - 1)), last)


@dataclass(frozen=True, order=True)
class CellKey:
    metric: Metric
    sector: str
    region: str
    channel: str


@dataclass(frozen=True)
class ChannelTotals:
    """One employer's summed figures in one sector, region and ad channel."""

    tenant_id: str
    sector: str
    region: str
    channel: str
    spend: float
    leads: int
    interviews: int


@dataclass(frozen=True)
class ContactWaits:
    """One employer's hours from lead to first contact, in one sector and region."""

    tenant_id: str
    sector: str
    region: str
    waits_hours: tuple[float, ...]


@dataclass(frozen=True)
class Cell:
    """A benchmark cell as published (``shown``) or withheld with its reason."""

    key: CellKey
    employers: int
    shown: bool
    reason: HiddenReason | None = None
    value: float | None = None
    low: float | None = None
    high: float | None = None


# --- the disclosure rule ----------------------------------------------------------------


def hidden_reason(
    shares_of: Sequence[Mapping[str, float]], *, volume: float
) -> HiddenReason | None:
    """Why a cell must stay hidden, or None when it may be shown.

    ``shares_of`` holds, per quantity the figure sums, each employer's amount; the first
    decides who counts as a contributor (an amount above zero). ``volume`` is the cell's
    leads (or contacted leads).
    """
    contributors = [k for k, v in shares_of[0].items() if v > 0] if shares_of else []
    if len(contributors) < MIN_EMPLOYERS:
        return "too_few_employers"
    if volume < MIN_VOLUME:
        return "too_little_volume"
    for amounts in shares_of:
        total = sum(amounts.values())
        if total > 0 and max(amounts.values()) > MAX_SHARE * total:
            return "dominated"
    return None


def round_significant(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """``value`` to ``digits`` significant digits (0 stays 0)."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def ratio_interval(
    numerators: Sequence[float], denominators: Sequence[float], level: float = LEVEL
) -> tuple[float, float, float]:
    """Pooled ratio sum(num)/sum(den) over employers with its interval, the employer as
    the unit: linearised (ratio estimator) variance, t with n-1 degrees of freedom."""
    n = len(numerators)
    total_den = sum(denominators)
    ratio = sum(numerators) / total_den
    residuals = sum((y - ratio * x) ** 2 for y, x in zip(numerators, denominators, strict=True))
    spread = math.sqrt(n / (n - 1) * residuals) / total_den
    half = float(t.ppf(1 - (1 - level) / 2, n - 1)) * spread
    return ratio, max(0.0, ratio - half), ratio + half


def _by_employer(rows: Iterable[tuple[str, float]]) -> dict[str, float]:
    found: dict[str, float] = {}
    for tenant_id, amount in rows:
        found[tenant_id] = found.get(tenant_id, 0.0) + amount
    return found


def publish(
    channel_totals: Iterable[ChannelTotals],
    contact_waits: Iterable[ContactWaits],
    *,
    opted_in: Collection[str],
) -> list[Cell]:
    """Every cell the contributions touch, shown or withheld; only employers in
    ``opted_in`` count (anyone else's rows are dropped before anything is summed)."""
    per_cell: dict[tuple[str, str, str], list[ChannelTotals]] = {}
    for row in channel_totals:
        if row.tenant_id in opted_in:
            per_cell.setdefault((row.sector, row.region, row.channel), []).append(row)
    per_area: dict[tuple[str, str], list[ContactWaits]] = {}
    for waits in contact_waits:
        if waits.tenant_id in opted_in and waits.waits_hours:
            per_area.setdefault((waits.sector, waits.region), []).append(waits)
    cells: list[Cell] = []
    for (sector, region, channel), rows in sorted(per_cell.items()):
        spend = _by_employer((r.tenant_id, r.spend) for r in rows)
        leads = _by_employer((r.tenant_id, r.leads) for r in rows)
        interviews = _by_employer((r.tenant_id, r.interviews) for r in rows)
        cost_contributors = {k: spend[k] + leads[k] for k in spend}
        cells.append(
            _ratio_cell(
                CellKey("cost_per_lead", sector, region, channel),
                numerators=spend,
                denominators=leads,
                shares_of=(cost_contributors, spend, leads),
            )
        )
        cells.append(
            _ratio_cell(
                CellKey("interview_rate", sector, region, channel),
                numerators=interviews,
                denominators=leads,
                shares_of=(leads, interviews),
            )
        )
    for (sector, region), rows_w in sorted(per_area.items()):
        key = CellKey("first_contact_hours", sector, region, ALL_CHANNELS)
        cells.append(_wait_cell(key, rows_w))
    return cells


def _ratio_cell(
    key: CellKey,
    *,
    numerators: Mapping[str, float],
    denominators: Mapping[str, float],
    shares_of: Sequence[Mapping[str, float]],
) -> Cell:
    employers = sum(1 for v in shares_of[0].values() if v > 0)
    volume = sum(denominators.values())
    reason = hidden_reason(shares_of, volume=volume)
    if reason is not None:
        return Cell(key, employers, shown=False, reason=reason)
    tenants = sorted(shares_of[0])
    value, low, high = ratio_interval(
        [numerators[k] for k in tenants], [denominators[k] for k in tenants]
    )
    return _shown(key, employers, value, low, high)


def _wait_cell(key: CellKey, rows: Sequence[ContactWaits]) -> Cell:
    contacted = _by_employer((r.tenant_id, len(r.waits_hours)) for r in rows)
    reason = hidden_reason((contacted,), volume=sum(contacted.values()))
    employers = len(contacted)
    if reason is not None:
        return Cell(key, employers, shown=False, reason=reason)
    pooled = sorted(w for r in rows for w in r.waits_hours)
    low, middle, high = quantiles(pooled, n=4, method="inclusive")
    return _shown(key, employers, middle, low, high)


def _shown(key: CellKey, employers: int, value: float, low: float, high: float) -> Cell:
    if key.metric == "interview_rate":  # whole percents
        value, low, high = (round(x, 2) for x in (value, low, high))
    else:
        value, low, high = (round_significant(x) for x in (value, low, high))
    return Cell(key, employers, shown=True, value=value, low=low, high=high)


# --- one employer's contributions -------------------------------------------------------


@dataclass(frozen=True)
class CampaignFacts:
    """What one campaign contributes: where it runs, its creatives' channels, its weekly
    funnel (analytics) and its leads' contact moments (landing)."""

    regions: tuple[str, ...]
    channel_of: Mapping[str, str]
    funnel: CampaignFunnel | None
    contact_facts: Sequence[LeadContactFacts] = field(default_factory=tuple)


def first_contact_waits(facts: Iterable[LeadContactFacts], window: Window) -> list[float]:
    """Hours from each lead created within ``window`` to its first attempt."""
    waits = []
    start, end = window.start, window.end
    for lead in facts:
        attempts = [c.at for c in lead.contacts if c.kind == "attempt"]
        if attempts and start <= lead.created_at < end:
            waits.append(max(0.0, (min(attempts) - lead.created_at).total_seconds() / 3600))
    return waits


def employer_contributions(
    tenant_id: str,
    sector: str,
    campaigns: Iterable[CampaignFacts],
    *,
    window: Window,
) -> tuple[list[ChannelTotals], list[ContactWaits]]:
    """One employer's sums per cell over ``window`` (its weeks' funnel, its leads' first
    contacts). A campaign in several regions counts in each of them; a campaign
    without a region counts nowhere."""
    sums: dict[tuple[str, str], list[float]] = {}
    waits: dict[str, list[float]] = {}
    for campaign in campaigns:
        if not campaign.regions:
            continue
        for variant in campaign.funnel.variants if campaign.funnel else ():
            channel = campaign.channel_of.get(variant.variant_id)
            if channel is None:
                continue
            recent = [c for week, c in variant.weeks.items() if window.covers_week(week)]
            spend = sum(float(c.spend) for c in recent)
            leads = sum(c.leads for c in recent)
            interviews = sum(c.interviews for c in recent)
            for region in campaign.regions:
                into = sums.setdefault((region, channel), [0.0, 0, 0])
                into[0] += spend
                into[1] += leads
                into[2] += interviews
        lead_waits = first_contact_waits(campaign.contact_facts, window)
        for region in campaign.regions:
            waits.setdefault(region, []).extend(lead_waits)
    totals = [
        ChannelTotals(tenant_id, sector, region, channel, s, int(n), int(i))
        for (region, channel), (s, n, i) in sorted(sums.items())
        if s > 0 or n > 0
    ]
    contact = [
        ContactWaits(tenant_id, sector, region, tuple(found))
        for region, found in sorted(waits.items())
        if found
    ]
    return totals, contact


# --- a campaign against its benchmark ---------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A campaign's own figure with its ``LEVEL`` interval; ``high`` may be infinite."""

    value: float | None
    low: float | None
    high: float | None


Placement = Literal["below", "in_line", "above", "unknown"]


@dataclass(frozen=True)
class Comparison:
    metric: Metric
    region: str
    channel: str
    own: Figure
    benchmark: Cell | None
    """None while the cell is withheld: too few employers or too little volume."""

    @property
    def placement(self) -> Placement:
        """Whether the campaign's interval lies wholly below or above the benchmark's."""
        own, bench = self.own, self.benchmark
        if bench is None or own.low is None or own.high is None or bench.low is None:
            return "unknown"
        if bench.high is not None and own.low > bench.high:
            return "above"
        if own.high < bench.low:
            return "below"
        return "in_line"


def median_interval(values: Sequence[float], level: float = LEVEL) -> Figure:
    """The median with its distribution-free interval (order statistics); a small sample
    gets the whole range."""
    if not values:
        return Figure(None, None, None)
    ordered = sorted(values)
    n = len(ordered)
    # The r-th smallest and largest values (1-based) cover the median with probability
    # 1 - 2 * P(Binomial(n, 1/2) <= r - 1); take the largest r that still reaches level.
    r = max(1, int(binom.ppf((1 - level) / 2, n, 0.5)))
    rank = min(r, (n + 1) // 2) - 1
    return Figure(median(ordered), ordered[rank], ordered[n - 1 - rank])


def campaign_comparisons(
    *,
    sector: str,
    regions: Sequence[str],
    funnel: CampaignFunnel | None,
    channel_of: Mapping[str, str],
    waits_hours: Sequence[float] | None,
    cells: Mapping[CellKey, Cell],
    window: Window,
) -> list[Comparison]:
    """The campaign's own figures over the benchmark window beside each of its cells:
    per region, cost per lead and interview rate per ad channel that spent or brought
    leads in the window, then time to contact.
    ``waits_hours`` None means the contact moments could not be read."""
    per_channel: dict[str, list[float]] = {}
    for variant in funnel.variants if funnel else ():
        channel = channel_of.get(variant.variant_id)
        if channel is None:
            continue
        into = per_channel.setdefault(channel, [0.0, 0, 0])
        for week, counts in variant.weeks.items():
            if window.covers_week(week):
                into[0] += float(counts.spend)
                into[1] += counts.leads
                into[2] += counts.interviews
    found: list[Comparison] = []
    for region in regions:
        for channel, (spend, leads, interviews) in sorted(per_channel.items()):
            if spend <= 0 and leads <= 0:  # a channel without figures in these weeks
                continue
            cost = cost_interval(spend, int(leads))
            found.append(
                Comparison(
                    "cost_per_lead",
                    region,
                    channel,
                    Figure(cost.estimate, cost.low, cost.high),
                    cells.get(CellKey("cost_per_lead", sector, region, channel)),
                )
            )
            rate = (
                Figure(interviews / leads, *proportion_interval(int(interviews), int(leads), LEVEL))
                if leads
                else Figure(None, None, None)
            )
            found.append(
                Comparison(
                    "interview_rate",
                    region,
                    channel,
                    rate,
                    cells.get(CellKey("interview_rate", sector, region, channel)),
                )
            )
        if waits_hours is not None:
            found.append(
                Comparison(
                    "first_contact_hours",
                    region,
                    ALL_CHANNELS,
                    median_interval(waits_hours),
                    cells.get(CellKey("first_contact_hours", sector, region, ALL_CHANNELS)),
                )
            )
    return found
