"""What can go wrong when the console asks the scheduler something: errors it shows plainly."""

from __future__ import annotations

from campaigns.errors import CampaignsError
from koers.web import NotFound


class SchedulerError(CampaignsError):
    """Base of the scheduling errors."""


class NotConfigured(SchedulerError):
    """No scheduler is configured (no Airflow URL or credentials): nothing to show or run."""

    status = 503
    title = "Scheduled jobs are not configured"


class SchedulerUnavailable(SchedulerError):
    """The scheduler did not answer, or refused our credentials; try again later."""

    status = 503
    title = "The scheduler is not available"


class UnknownJob(SchedulerError, NotFound):
    title = "No such scheduled job"


class WeekRefused(SchedulerError):
    """The week asked for is not a week, or has not begun yet."""

    status = 422
    title = "That week cannot be planned"


class AnalyticsDown(SchedulerError):
    """A step after planning needed analytics, and it did not answer; retrying may help."""

    status = 503
    title = "Analytics is not available"


class LandingDown(SchedulerError):
    """A step after planning needed landing, and it did not answer; retrying may help."""

    status = 503
    title = "Landing is not available"
