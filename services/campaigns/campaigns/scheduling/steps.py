"""The weekly job's steps after planning: apply autopilot, push what is due. One body.

The embedded scheduler's weekly run and ``koers-campaigns weekly`` call them after
planning (``run_weekly_job``'s ``after_planning``); the Airflow DAG calls them through
``/internal/v1/...`` (``scheduling/internal_api.py``), after asking analytics itself.
Both are idempotent: a decided week is left alone, a pushed adapter is not pushed again.

Where the proposals come from: under the embedded job this service asked analytics and
stored each answer at once. Under Airflow the DAG asked analytics, and analytics'
``AllocationProposed`` events reach this service through the broker, perhaps after the
DAG's next task. So :meth:`WeeklySteps.apply_autopilot` first reads, for every
autopilot campaign of the week without a proposal here, the proposal analytics holds
(the same event, by id; analytics computes nothing), instead of waiting for the broker.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from campaigns.decisions import repository as decisions_repo
from campaigns.decisions import service as decisions
from campaigns.decisions.proposals import ProposalReader, fetch_held_proposal
from campaigns.decisions.service import Delivery
from campaigns.insights.analytics_client import AnalyticsRefused
from campaigns.scheduling.weekly import JOB_ACTOR, WeeklyStep, live_campaigns
from campaigns.web.i18n import N_
from koers.db import transaction
from koers.isoweeks import week_monday

log = logging.getLogger(__name__)

PUSH_JOB_ID = "koers_push_due"
"""The hourly push job's id: the Airflow DAG's and the embedded scheduler's."""
PUSH_JOB_DESCRIPTION = N_(
    "Every hour: approved and autopilot splits whose push time has passed go to the ad "
    "platforms, so a split approved after Monday's run is pushed at its own push time."
)


@dataclass(frozen=True)
class AutopilotCounts:
    """What :meth:`WeeklySteps.apply_autopilot` did for a week (counts only: no names)."""

    week: str
    fetched: int
    """Proposals read from analytics because the broker had not brought them yet."""
    applied: int
    held: int
    """Splits outside their guardrails: they wait for a person."""

    def __str__(self) -> str:
        return f"autopilot applied {self.applied}, held {self.held} for a person"


@dataclass(frozen=True)
class PushCounts:
    """What :meth:`WeeklySteps.push_due` sent, per push result status (``sent``...)."""

    pushes: int
    by_status: dict[str, int]

    def __str__(self) -> str:
        statuses = ", ".join(f"{n} {status}" for status, n in sorted(self.by_status.items()))
        return f"pushed {self.pushes} split(s) to ad platforms" + (
            f" ({statuses})" if statuses else ""
        )


class WeeklySteps:
    """The steps after planning, wired once in ``create_app`` (and the CLI)."""

    def __init__(
        self,
        engine: Engine,
        analytics: ProposalReader,
        delivery: Delivery,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._engine = engine
        self._analytics = analytics
        self._delivery = delivery
        self._clock = clock

    def apply_autopilot(self, week: str) -> AutopilotCounts:
        """Decide ``week`` for every live autopilot campaign that has a proposal and no
        decision: applied within the guardrails, held for a person otherwise."""
        week_monday(week)
        now = self._clock()
        campaigns = live_campaigns(self._engine)
        fetched = 0
        for campaign in campaigns:
            if not campaign.guardrails.autopilot or self._holds_week(campaign.id, week):
                continue
            try:
                found = fetch_held_proposal(
                    self._engine, self._analytics, campaign, week, actor=JOB_ACTOR, now=now
                )
            except AnalyticsRefused as exc:  # e.g. a campaign analytics does not know
                log.warning(
                    "koers: campaign %s week %s: no proposal to apply: %s",
                    campaign.id,
                    week,
                    exc.detail,
                )
                continue
            fetched += found is not None and found.new
        outcomes = []
        with transaction(self._engine) as conn:
            for tenant_id in sorted({c.tenant_id for c in campaigns}):
                outcomes += decisions.apply_autopilot(conn, tenant_id, week, now)
        verdicts = Counter(outcome.verdict for outcome in outcomes)
        counts = AutopilotCounts(
            week=week, fetched=fetched, applied=verdicts["applied"], held=verdicts["held"]
        )
        log.info("koers: week %s: %s (%d proposal(s) read from analytics)", week, counts, fetched)
        return counts

    def push_due(self, week: str | None = None) -> PushCounts:
        """Push every approved or autopilot split whose push time has passed, of any week
        (``week`` is accepted so the step fits ``after_planning``; a split approved late
        for an earlier week is due as well)."""
        with transaction(self._engine) as conn:
            pushes = decisions.push_due(conn, self._clock(), delivery=self._delivery)
        counts = PushCounts(
            pushes=len(pushes), by_status=dict(Counter(push.status for push in pushes))
        )
        log.info("koers: %s", counts)
        return counts

    def _holds_week(self, campaign_id: str, week: str) -> bool:
        with self._engine.connect() as conn:
            return (
                decisions_repo.decision_for(conn, campaign_id, week) is not None
                or decisions_repo.allocation_proposal(conn, campaign_id, week) is not None
            )

    def after_planning(self) -> tuple[WeeklyStep, ...]:
        """The steps in the order the weekly job runs them."""
        return (self.apply_autopilot, self.push_due)


__all__ = ["PUSH_JOB_DESCRIPTION", "PUSH_JOB_ID", "AutopilotCounts", "PushCounts", "WeeklySteps"]
