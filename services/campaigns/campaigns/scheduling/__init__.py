"""Scheduled jobs behind an interface of the product's own (DESIGN.md, "The weekly loop").

- :mod:`.weeks`: ``planned_week``, the one rule for which ISO week a run plans.
- :mod:`.jobs`: the ``JobScheduler`` Protocol and what it returns (``JobSummary``,
  ``RunSummary``, ``RunRef``); ``NoScheduler`` when none is configured.
- :mod:`.weekly`: ``run_weekly_job``, the weekly job's one body (CLI and embedded).
- :mod:`.routes`: the console's jobs page (``/jobs``) and "Run now".
- :mod:`.airflow`: ``AirflowScheduler``, Airflow 3's REST API through
  ``apache-airflow-client``.
- :mod:`.embedded`: ``EmbeddedScheduler``, in-process callables for ``make run``.
- :mod:`.errors`: ``NotConfigured``, ``SchedulerUnavailable``, ``UnknownJob``,
  ``WeekRefused``.

The implementations are imported from their modules (the composition root picks one),
so importing this package does not load the Airflow client.
"""

from campaigns.scheduling.errors import (
    NotConfigured,
    SchedulerError,
    SchedulerUnavailable,
    UnknownJob,
    WeekRefused,
)
from campaigns.scheduling.jobs import JobScheduler, JobSummary, NoScheduler, RunRef, RunSummary
from campaigns.scheduling.weeks import FutureWeek, planned_week

__all__ = [
    "FutureWeek",
    "JobScheduler",
    "JobSummary",
    "NoScheduler",
    "NotConfigured",
    "RunRef",
    "RunSummary",
    "SchedulerError",
    "SchedulerUnavailable",
    "UnknownJob",
    "WeekRefused",
    "planned_week",
]
