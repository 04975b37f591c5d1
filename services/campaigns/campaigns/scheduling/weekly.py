"""The weekly job, one body: ``koers-campaigns weekly``, the embedded scheduler's Monday
run and its "Run now" all call :func:`run_weekly_job`.

For the ISO week asked for (which week that is, is ``planned_week``'s rule, applied by
the caller), every live campaign of every tenant gets analytics' proposal, stored here
for a decision and audited as made by the weekly job
(:func:`campaigns.decisions.proposals.request_proposal`). Then the steps after planning
run in order, each once for the week (see ``after_planning``).

- **Idempotent.** Analytics answers a second request with the same facts with the stored
  proposal, which this service already holds: nothing is written, audited or published
  again.
- **One campaign's failure leaves the others alone.** A campaign analytics refuses to
  plan (409: every creative paused or retired, paused, decided and changed since) is
  *skipped* with the reason; one it could not be asked about (down, 5xx, an answer we do
  not understand) *failed*.
- **Nothing planned is not a success**, as in the Airflow DAG: when there were campaigns
  and none was planned (all failed or skipped), :class:`WeeklyJobFailed` is raised, so
  the run shows as failed, the CLI exits non-zero and the steps after planning do not run.

The summary's text (``str(summary)``) gives counts only: the jobs page shows it to every
tenant's owners, so campaign names stay in the log lines.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

import sqlalchemy as sa
from sqlalchemy import Engine

from campaigns.catalog import repository as catalog_repo
from campaigns.catalog.domain import Campaign
from campaigns.decisions.proposals import AllocationProposer, request_proposal
from campaigns.insights.analytics_client import AnalyticsRefused, AnalyticsUnavailable
from campaigns.scheduling.errors import SchedulerError
from campaigns.tenancy import repository as tenancy_repo
from campaigns.web.i18n import N_
from koers.isoweeks import week_monday

log = logging.getLogger(__name__)

WEEKLY_JOB_ID = "koers_weekly_allocation"
"""The job's id: the Airflow DAG's and the embedded scheduler's."""
WEEKLY_JOB_DESCRIPTION = N_(
    "Monday 06:00 Amsterdam: analytics proposes each live campaign's budget split for "
    "the week that starts that Monday; autopilot campaigns within their guardrails are "
    "applied, the rest wait for a decision; splits whose push time has passed are pushed."
)
JOB_ACTOR = "weekly job"
"""How the audit log names the job."""

Outcome = Literal["planned", "skipped", "failed"]


class WeeklyJobFailed(SchedulerError):
    """There were campaigns to plan and not one was planned."""

    def __init__(self, message: str, summary: WeeklyRunSummary) -> None:
        super().__init__(message)
        self.summary = summary


class WeeklyStep(Protocol):
    """A step after planning (apply autopilot, push what is due): runs once per week.

    It must be idempotent per week, like the planning before it; raising fails the run.
    """

    __name__: str

    def __call__(self, week: str) -> object: ...


@dataclass(frozen=True)
class CampaignResult:
    tenant_id: str
    campaign_id: str
    campaign_name: str
    outcome: Outcome
    new_proposal: bool = False
    reason: str = ""


@dataclass(frozen=True)
class WeeklyRunSummary:
    week: str
    campaigns: tuple[CampaignResult, ...]
    steps_run: tuple[str, ...] = ()

    def _with(self, outcome: Outcome) -> tuple[CampaignResult, ...]:
        return tuple(c for c in self.campaigns if c.outcome == outcome)

    @property
    def planned(self) -> tuple[CampaignResult, ...]:
        return self._with("planned")

    @property
    def skipped(self) -> tuple[CampaignResult, ...]:
        return self._with("skipped")

    @property
    def failed(self) -> tuple[CampaignResult, ...]:
        return self._with("failed")

    @property
    def new_proposals(self) -> int:
        return sum(1 for c in self.planned if c.new_proposal)

    def __str__(self) -> str:
        steps = f"; then {', '.join(self.steps_run)}" if self.steps_run else ""
        return (
            f"week {self.week}: planned {len(self.planned)} of {len(self.campaigns)} "
            f"campaign(s) ({self.new_proposals} new proposal(s)); "
            f"{len(self.skipped)} skipped, {len(self.failed)} failed{steps}"
        )


def live_campaigns(engine: Engine) -> list[Campaign]:
    """Every tenant's live (published) campaigns, tenant by tenant, oldest first."""
    with engine.connect() as conn:
        tenant_ids = conn.execute(
            sa.select(tenancy_repo.tenants.c.id).order_by(tenancy_repo.tenants.c.id)
        ).scalars()
        found = [
            campaign
            for tenant_id in list(tenant_ids)
            for campaign in catalog_repo.campaigns_of_tenant(conn, tenant_id, status="live")
        ]
    return sorted(found, key=lambda c: (c.tenant_id, c.created_at, c.slug))


def run_weekly_job(
    week: str,
    *,
    engine: Engine,
    analytics_client: AllocationProposer,
    clock: Callable[[], datetime],
    after_planning: Sequence[WeeklyStep] = (),
) -> WeeklyRunSummary:
    """Plan ``week`` for every live campaign, then run ``after_planning``; see the module."""
    week_monday(week)  # an existing week, or ValueError naming it
    results = tuple(
        _plan_campaign(campaign, week, engine=engine, analytics=analytics_client, clock=clock)
        for campaign in live_campaigns(engine)
    )
    summary = WeeklyRunSummary(week=week, campaigns=results)
    if summary.campaigns and not summary.planned:
        log.error("koers: weekly job: %s", summary)
        raise WeeklyJobFailed(f"nothing planned: {summary}", summary)
    steps_run = []
    for step in after_planning:
        step(week)
        steps_run.append(step.__name__)
    summary = WeeklyRunSummary(week=week, campaigns=results, steps_run=tuple(steps_run))
    log.info("koers: weekly job: %s", summary)
    return summary


def _plan_campaign(
    campaign: Campaign,
    week: str,
    *,
    engine: Engine,
    analytics: AllocationProposer,
    clock: Callable[[], datetime],
) -> CampaignResult:
    def result(outcome: Outcome, *, new: bool = False, reason: str = "") -> CampaignResult:
        return CampaignResult(
            tenant_id=campaign.tenant_id,
            campaign_id=campaign.id,
            campaign_name=campaign.name,
            outcome=outcome,
            new_proposal=new,
            reason=reason,
        )

    try:
        requested = request_proposal(
            engine, analytics, campaign, week, actor=JOB_ACTOR, now=clock()
        )
    except AnalyticsRefused as exc:
        log.warning(
            "koers: campaign %s (%s) week %s: not planned: %s",
            campaign.id,
            campaign.name,
            week,
            exc.detail,
        )
        return result("skipped", reason=exc.detail)
    except AnalyticsUnavailable as exc:
        log.error(
            "koers: campaign %s (%s) week %s: analytics could not be asked: %s",
            campaign.id,
            campaign.name,
            week,
            exc,
        )
        return result("failed", reason=f"analytics could not be asked: {exc}")
    except Exception as exc:  # one campaign's bug must not stop the others' planning
        log.exception("koers: campaign %s (%s) week %s failed", campaign.id, campaign.name, week)
        return result("failed", reason=f"{type(exc).__name__}: {exc}")
    proposal = requested.proposal
    log.info(
        "koers: campaign %s (%s) week %s: %s proposal, version %s, status %s, budget EUR %s",
        campaign.id,
        campaign.name,
        week,
        "new" if requested.new else "unchanged",
        proposal.version,
        proposal.status,
        proposal.budget,
    )
    return result("planned", new=requested.new)


__all__ = [
    "JOB_ACTOR",
    "WEEKLY_JOB_DESCRIPTION",
    "WEEKLY_JOB_ID",
    "CampaignResult",
    "WeeklyJobFailed",
    "WeeklyRunSummary",
    "WeeklyStep",
    "live_campaigns",
    "run_weekly_job",
]
