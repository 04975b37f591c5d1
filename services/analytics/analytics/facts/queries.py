"""Read side: the views the API serves, read in one transaction, computed by pure modules.

Funnel and weekly facts come from ``facts.domain``, data health from ``facts.health``, the
attribute model and the classical intervals from ``analytics.insights``, the approved plans
from ``analytics.proposals``; this module only reads the rows they need, and keeps what
it derived until the campaign's facts change.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from cachetools import LRUCache
from sqlalchemy import Connection, Engine

from analytics.catalog import repository as catalog
from analytics.catalog.domain import GOAL_COUNTERS, CampaignState, VariantAttributes
from analytics.errors import CampaignNotFound, InvalidWeek
from analytics.facts import domain, health, repository
from analytics.insights import intervals
from analytics.insights.domain import InsightRow, Insights, explain_attributes
from analytics.proposals import repository as proposals
from koers.events import CampaignGoal


def _require_known(conn: Connection, campaign_id: str) -> None:
    if not repository.campaign_is_known(conn, campaign_id):
        raise CampaignNotFound(f"analytics has no data for campaign {campaign_id!r}")


def campaign_funnel(engine: Engine, campaign_id: str) -> domain.CampaignFunnel:
    """Every variant's funnel per ISO week, with totals; CampaignNotFound when unknown."""
    return shared_funnel(engine, campaign_id, WeekRange())


def campaign_week(engine: Engine, campaign_id: str, week: str) -> domain.CampaignFunnel:
    """The campaign's funnel restricted to one ISO week (known variants show zeros)."""
    try:
        monday, sunday = domain.week_days(week)
    except ValueError as exc:
        raise InvalidWeek(str(exc)) from exc
    with engine.connect() as conn:
        _require_known(conn, campaign_id)
        return domain.summarise_funnel(
            campaign_id,
            repository.funnel_counter_rows(conn, campaign_id, week),
            repository.delivery_weeks(conn, campaign_id, monday, sunday),
            repository.known_variant_ids(conn, campaign_id),
        )


# --- weekly facts, data health, insights -----------------------------------------------


@dataclass(frozen=True)
class WeekRange:
    """ISO weeks from ``first`` to ``last`` inclusive; either end may be open."""

    first: str | None = None
    last: str | None = None

    @classmethod
    def parse(cls, first: str | None, last: str | None) -> WeekRange:
        """Validate both ends (real ISO weeks, in order); InvalidWeek otherwise."""
        for label, week in (("from", first), ("to", last)):
            if week is not None:
                try:
                    domain.week_days(week)
                except ValueError as exc:
                    raise InvalidWeek(f"{label}: {exc}") from exc
        if first is not None and last is not None and first > last:
            raise InvalidWeek(f"from {first} is after to {last}")
        return cls(first, last)

    def days(self) -> tuple[date | None, date | None]:
        monday = domain.week_days(self.first)[0] if self.first else None
        sunday = domain.week_days(self.last)[1] if self.last else None
        return monday, sunday


@dataclass(frozen=True)
class CampaignFacts:
    """The campaign's state, its creatives' attributes and their weekly facts."""

    campaign: CampaignState | None
    attributes: dict[str, VariantAttributes]
    funnel: domain.CampaignFunnel
    weeks: WeekRange


def funnel_in(conn: Connection, campaign_id: str, weeks: WeekRange) -> domain.CampaignFunnel:
    first_day, last_day = weeks.days()
    return domain.summarise_funnel(
        campaign_id,
        repository.funnel_counter_rows(
            conn, campaign_id, first_week=weeks.first, last_week=weeks.last
        ),
        repository.delivery_weeks(conn, campaign_id, first_day, last_day),
        repository.known_variant_ids(conn, campaign_id),
    )


_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")


class InFlight(Generic[_K, _V]):
    """Callers asking for the same key while it is being computed share that computation.

    The console's dashboard asks for a campaign's funnel, health and insights at once,
    and each is built on the same funnel read; sharing it saves two of three reads. Only
    reads that overlap are shared (nothing is kept afterwards), so an answer is never
    older than the moment its caller asked, give or take the read already under way.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[_K, Future[_V]] = {}

    def run(self, key: _K, compute: Callable[[], _V]) -> _V:
        with self._lock:
            running = self._running.get(key)
            if running is None:
                future: Future[_V] = Future()
                self._running[key] = future
        if running is not None:
            return running.result()
        try:
            value = compute()
        except BaseException as exc:
            future.set_exception(exc)
            raise
        finally:
            with self._lock:
                del self._running[key]
        future.set_result(value)
        return value


Versions = tuple[tuple[str, int], ...]


class ByVersion(Generic[_K, _V]):
    """Values derived from a campaign's facts, kept with the fact versions they were
    derived from (``repository.fact_versions``); least recently used out, thread-safe."""

    def __init__(self, max_entries: int) -> None:
        self._entries: LRUCache[_K, tuple[Versions, _V]] = LRUCache(max_entries)
        self._lock = threading.Lock()

    def get(self, key: _K, versions: Versions) -> _V | None:
        with self._lock:
            found = self._entries.get(key)
        if found is None or found[0] != versions:
            return None
        return found[1]

    def put(self, key: _K, versions: Versions, value: _V) -> None:
        with self._lock:
            self._entries[key] = (versions, value)


# Process-wide like the chassis' statement cache (``koers.db``), and keyed by engine, so apps
# (and tests) with their own databases never share an entry. A year of one campaign's
# funnel is a few hundred kB: 256 of them bound the memory.
FunnelKey = tuple[Engine, str, WeekRange]
_FUNNEL_READS: InFlight[FunnelKey, domain.CampaignFunnel] = InFlight()
_FUNNELS: ByVersion[FunnelKey, domain.CampaignFunnel] = ByVersion(256)


def shared_funnel(engine: Engine, campaign_id: str, weeks: WeekRange) -> domain.CampaignFunnel:
    """The campaign's funnel in a week range; CampaignNotFound when unknown.

    Read once for every concurrent asker, and kept until the campaign's facts change.
    """
    key = (engine, campaign_id, weeks)

    def read() -> domain.CampaignFunnel:
        with engine.connect() as conn:  # one read transaction
            _require_known(conn, campaign_id)
            versions = repository.fact_versions(conn, campaign_id)  # before the facts
            kept = _FUNNELS.get(key, versions)
            if kept is not None:
                return kept
            funnel = funnel_in(conn, campaign_id, weeks)
        _FUNNELS.put(key, versions, funnel)
        return funnel

    return _FUNNEL_READS.run(key, read)


MAX_BATCH_CAMPAIGNS = 100
"""Campaigns one batched funnel read may name (the console asks for its 50 newest live)."""


def tenant_funnels(
    engine: Engine, tenant_id: str, campaign_ids: Sequence[str]
) -> dict[str, domain.CampaignFunnel]:
    """The whole funnel of each of ``campaign_ids`` that is the tenant's, by campaign id.

    A campaign is the tenant's when analytics holds its published state under that
    tenant; another tenant's, or one known only from facts, is left out (as unknown).
    A handful of queries whatever the number of campaigns: ownership, fact versions,
    then counters, delivery and variants of those not kept since their facts last changed
    (kept in the same place as :func:`shared_funnel`'s, so either reuses the other's).
    """
    weeks = WeekRange()
    with engine.connect() as conn:  # one read transaction
        theirs = catalog.tenant_campaigns_among(conn, tenant_id, campaign_ids)
        owned = [cid for cid in dict.fromkeys(campaign_ids) if cid in theirs]
        versions = repository.fact_versions_of(conn, owned)  # before the facts
        found: dict[str, domain.CampaignFunnel] = {}
        for cid in owned:
            kept = _FUNNELS.get((engine, cid, weeks), versions[cid])
            if kept is not None:
                found[cid] = kept
        stale = [cid for cid in owned if cid not in found]
        if stale:
            counters = repository.funnel_counter_rows_of(conn, stale)
            delivery = repository.delivery_weeks_of(conn, stale)
            variants = repository.known_variant_ids_of(conn, stale)
    for cid in stale:
        funnel = domain.summarise_funnel(cid, counters[cid], delivery[cid], variants[cid])
        _FUNNELS.put((engine, cid, weeks), versions[cid], funnel)
        found[cid] = funnel
    return {cid: found[cid] for cid in owned}


def campaign_facts(
    engine: Engine, campaign_id: str, weeks: WeekRange | None = None
) -> CampaignFacts:
    """Weekly facts per variant within a week range; CampaignNotFound when unknown."""
    weeks = weeks or WeekRange()
    with engine.connect() as conn:
        _require_known(conn, campaign_id)
        return CampaignFacts(
            campaign=catalog.campaign_state(conn, campaign_id),
            attributes={a.variant_id: a for a in catalog.variant_attributes(conn, campaign_id)},
            funnel=funnel_in(conn, campaign_id, weeks),
            weeks=weeks,
        )


def campaign_health(
    engine: Engine, campaign_id: str, weeks: WeekRange | None = None
) -> list[health.HealthIssue]:
    """Every data-health finding of the campaign, against its approved allocations."""
    weeks = weeks or WeekRange()
    funnel = shared_funnel(engine, campaign_id, weeks)
    with engine.connect() as conn:
        approved = {
            stored.week: _planned_amounts(stored.response)
            for stored in proposals.approved_allocations(conn, campaign_id, up_to_week=weeks.last)
        }
    return health.check_campaign(funnel, approved)


def _planned_amounts(response: dict[str, Any]) -> dict[str, float]:
    allocation = response.get("allocation") or {}
    return {str(variant): float(amount) for variant, amount in allocation.items()}


@dataclass(frozen=True)
class CampaignInsights:
    scope: str
    conversion: str
    campaign_ids: tuple[str, ...]
    insights: Insights
    checks: tuple[intervals.VariantCheck, ...]


# Pure in its four numbers, and a few scipy/statsmodels calls each: kept per numbers.
_checked_variant = functools.lru_cache(maxsize=4096)(intervals.check_variant)


def _insight_rows(
    facts: CampaignFacts, conversion: str
) -> tuple[list[InsightRow], list[intervals.VariantCheck]]:
    rows: list[InsightRow] = []
    checks: list[intervals.VariantCheck] = []
    for variant in facts.funnel.variants:
        totals = variant.totals
        checks.append(
            _checked_variant(
                variant.variant_id,
                float(totals.spend),
                totals.clicks,
                int(getattr(totals, conversion)),
            )
        )
        attributes = facts.attributes.get(variant.variant_id)
        if attributes is None:
            continue  # its creative was never described: nothing to explain it by
        rows.extend(
            InsightRow(
                campaign_id=facts.funnel.campaign_id,
                variant_id=variant.variant_id,
                week=week,
                spend=float(week_facts.spend),
                conversions=int(getattr(week_facts, conversion)),
                channel=attributes.channel,
                creative_format=attributes.creative_format,
                employee_generated=attributes.employee_generated,
                tags=attributes.tags,
            )
            for week, week_facts in variant.weeks
        )
    return rows, checks


@functools.lru_cache(maxsize=128)
def _explained(rows: tuple[InsightRow, ...], conversion: str) -> Insights:
    """The attribute model, fitted once per distinct set of rows.

    The fit is a pure function of its rows, so the rows are the key: asking again about
    unchanged facts costs a lookup, and any change in the facts (a new week, a restated
    count, a re-described creative) is a different key and a new fit.
    """
    return explain_attributes(rows, conversion)


_INSIGHTS: ByVersion[tuple[Engine, str, CampaignGoal | None], CampaignInsights] = ByVersion(256)


def campaign_insights(
    engine: Engine,
    campaign_id: str,
    *,
    tenant_scope: bool = False,
    goal: CampaignGoal | None = None,
) -> CampaignInsights:
    """The attribute model over one campaign, or over every campaign of its tenant.

    The conversion is ``goal``'s counter when given, else the campaign's goal; across a
    tenant, the goal every campaign shares, or leads when they differ. A campaign's
    answer is kept until its facts change; across a tenant, its parts are (each
    campaign's funnel, and the fit of the same rows).
    """
    if tenant_scope:
        return _explain_campaigns(engine, campaign_id, tenant_scope=True, goal=goal)
    with engine.connect() as conn:
        _require_known(conn, campaign_id)
        versions = repository.fact_versions(conn, campaign_id)  # before the facts
    key = (engine, campaign_id, goal)
    kept = _INSIGHTS.get(key, versions)
    if kept is None:
        kept = _explain_campaigns(engine, campaign_id, tenant_scope=False, goal=goal)
        _INSIGHTS.put(key, versions, kept)
    return kept


def _explain_campaigns(
    engine: Engine, campaign_id: str, *, tenant_scope: bool, goal: CampaignGoal | None
) -> CampaignInsights:
    funnel = shared_funnel(engine, campaign_id, WeekRange())  # CampaignNotFound first
    with engine.connect() as conn:
        state = catalog.campaign_state(conn, campaign_id)
        campaign_ids = [campaign_id]
        if tenant_scope and state is not None:
            campaign_ids = catalog.tenant_campaign_ids(conn, state.tenant_id)
        described = {
            cid: (
                catalog.campaign_state(conn, cid) if cid != campaign_id else state,
                {a.variant_id: a for a in catalog.variant_attributes(conn, cid)},
            )
            for cid in campaign_ids
        }
    every_facts = [
        CampaignFacts(
            campaign=campaign,
            attributes=attributes,
            funnel=funnel if cid == campaign_id else shared_funnel(engine, cid, WeekRange()),
            weeks=WeekRange(),
        )
        for cid, (campaign, attributes) in described.items()
    ]
    if goal is None:
        goals = {facts.campaign.goal for facts in every_facts if facts.campaign is not None}
        goal = goals.pop() if len(goals) == 1 else "lead"
    conversion = GOAL_COUNTERS[goal]
    rows: list[InsightRow] = []
    checks: list[intervals.VariantCheck] = []
    for facts in every_facts:
        campaign_rows, campaign_checks = _insight_rows(facts, conversion)
        rows.extend(campaign_rows)
        if facts.funnel.campaign_id == campaign_id:
            checks = campaign_checks
    if state is None:
        result = Insights(
            status="not_enough_data",
            reason="analytics has not received this campaign's creatives (its published "
            "state) yet, so there are no attributes to compare",
        )
    else:
        result = _explained(tuple(rows), conversion)
    return CampaignInsights(
        scope="tenant" if tenant_scope else "campaign",
        conversion=conversion,
        campaign_ids=tuple(campaign_ids),
        insights=result,
        checks=tuple(checks),
    )
