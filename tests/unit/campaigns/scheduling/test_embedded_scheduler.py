"""The embedded scheduler: Monday 06:00 runs, "Run now" (for a week), history, failures."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from campaigns.scheduling import JobScheduler, UnknownJob, WeekRefused
from campaigns.scheduling.embedded import EmbeddedScheduler, monday_slot_at_or_before

pytestmark = pytest.mark.unit

AMS = ZoneInfo("Europe/Amsterdam")
WEEKLY = "koers_weekly_allocation"


class FrozenClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class RecordingJob:
    """A weekly job that records the weeks it was asked to plan; fails on request."""

    def __init__(self) -> None:
        self.weeks: list[str] = []
        self.failure: Exception | None = None
        self.lock = threading.Lock()

    def __call__(self, week: str) -> None:
        with self.lock:
            self.weeks.append(week)
        if self.failure is not None:
            raise self.failure


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 25, 12, 0, tzinfo=AMS))  # Wednesday, 2026-W48


@pytest.fixture
def weekly_job() -> RecordingJob:
    return RecordingJob()


@pytest.fixture
def scheduler(clock: FrozenClock, weekly_job: RecordingJob) -> Iterator[EmbeddedScheduler]:
    embedded = EmbeddedScheduler(
        jobs={WEEKLY: weekly_job},
        clock=clock,
        descriptions={WEEKLY: "Monday 06:00: plan the week"},
    )
    yield embedded
    embedded.stop()


def test_it_implements_the_job_scheduler_interface(scheduler: EmbeddedScheduler) -> None:
    as_interface: JobScheduler = scheduler
    [summary] = as_interface.jobs()
    assert (summary.job_id, summary.description, summary.paused) == (
        WEEKLY,
        "Monday 06:00: plan the week",
        False,
    )
    assert summary.next_run_at == datetime(2026, 11, 30, 6, 0, tzinfo=AMS)
    assert summary.recent_runs == () and summary.last_run is None


def test_run_now_plans_the_current_week_and_keeps_the_run(
    scheduler: EmbeddedScheduler, weekly_job: RecordingJob, clock: FrozenClock
) -> None:
    ref = scheduler.trigger(WEEKLY)
    scheduler.join(timeout_s=10)

    assert weekly_job.weeks == ["2026-W48"]
    run = scheduler.jobs()[0].last_run
    assert run is not None
    assert (run.run_id, run.state, run.run_type, run.requested_week) == (
        ref.run_id,
        "success",
        "manual",
        None,
    )
    assert run.started_at == run.ended_at == clock.now and run.duration == timedelta(0)


def test_run_now_for_a_past_week_plans_that_week(
    scheduler: EmbeddedScheduler, weekly_job: RecordingJob
) -> None:
    ref = scheduler.trigger(WEEKLY, week="2026-W45")
    scheduler.join(timeout_s=10)

    assert weekly_job.weeks == ["2026-W45"]
    assert ref.requested_week == "2026-W45"
    assert scheduler.jobs()[0].recent_runs[0].requested_week == "2026-W45"


@pytest.mark.parametrize(
    ("week", "reason"),
    [("2026-W49", "has not begun yet"), ("2026-48", "not an ISO week"), ("2027-W53", "no week")],
)
def test_a_future_or_malformed_week_is_refused_and_nothing_runs(
    scheduler: EmbeddedScheduler, weekly_job: RecordingJob, week: str, reason: str
) -> None:
    with pytest.raises(WeekRefused, match=reason):
        scheduler.trigger(WEEKLY, week=week)
    scheduler.join(timeout_s=10)
    assert weekly_job.weeks == [] and scheduler.jobs()[0].recent_runs == ()


def test_an_unknown_job_is_refused(scheduler: EmbeddedScheduler) -> None:
    with pytest.raises(UnknownJob):
        scheduler.trigger("koers_nothing")


def test_a_failing_job_fails_its_run_with_the_reason(
    scheduler: EmbeddedScheduler, weekly_job: RecordingJob
) -> None:
    weekly_job.failure = RuntimeError("analytics did not answer")

    scheduler.trigger(WEEKLY)
    scheduler.join(timeout_s=10)

    run = scheduler.jobs()[0].last_run
    assert run is not None
    assert (run.state, run.failed_tasks, run.message) == (
        "failed",
        (WEEKLY,),
        "analytics did not answer",
    )


def test_monday_six_runs_the_week_starting_that_monday_once(
    scheduler: EmbeddedScheduler, weekly_job: RecordingJob, clock: FrozenClock
) -> None:
    assert scheduler.run_due() == []  # nothing due since it started on Wednesday

    clock.now = datetime(2026, 11, 30, 5, 59, tzinfo=AMS)
    assert scheduler.run_due() == []
    clock.now = datetime(2026, 11, 30, 6, 0, tzinfo=AMS)
    [ref] = scheduler.run_due()
    assert scheduler.run_due() == []  # the same slot does not run twice
    scheduler.join(timeout_s=10)

    assert weekly_job.weeks == ["2026-W49"]
    summary = scheduler.jobs()[0]
    assert summary.last_run is not None and summary.last_run.run_type == "scheduled"
    assert summary.last_run.logical_date == datetime(2026, 11, 30, 6, 0, tzinfo=AMS)
    assert summary.next_run_at == datetime(2026, 12, 7, 6, 0, tzinfo=AMS)
    assert ref.run_id == summary.last_run.run_id


def test_the_history_keeps_the_newest_runs_first(
    clock: FrozenClock, weekly_job: RecordingJob
) -> None:
    embedded = EmbeddedScheduler(jobs={WEEKLY: weekly_job}, clock=clock, history=2)
    try:
        refs = [
            embedded.trigger(WEEKLY, week=week) for week in ("2026-W40", "2026-W41", "2026-W42")
        ]
        embedded.join(timeout_s=10)
        runs = embedded.jobs()[0].recent_runs
    finally:
        embedded.stop()
    assert [run.run_id for run in runs] == [refs[2].run_id, refs[1].run_id]
    assert weekly_job.weeks == ["2026-W40", "2026-W41", "2026-W42"]


@pytest.mark.parametrize(
    ("moment", "slot"),
    [
        (datetime(2026, 11, 30, 6, 0, tzinfo=AMS), datetime(2026, 11, 30, 6, 0, tzinfo=AMS)),
        (datetime(2026, 11, 30, 5, 0, tzinfo=AMS), datetime(2026, 11, 23, 6, 0, tzinfo=AMS)),
        # Summer time starts on Sunday 29 March 2026: still 06:00 on the wall clock.
        (datetime(2026, 4, 1, 12, 0, tzinfo=AMS), datetime(2026, 3, 30, 6, 0, tzinfo=AMS)),
    ],
)
def test_the_slot_is_monday_six_on_the_amsterdam_wall_clock(
    moment: datetime, slot: datetime
) -> None:
    assert monday_slot_at_or_before(moment) == slot


def test_an_hourly_job_runs_at_the_top_of_each_hour_beside_the_weekly_one(
    clock: FrozenClock, weekly_job: RecordingJob
) -> None:
    """The push of due splits: a split approved on Wednesday goes out that day, at the
    first hour after its push time, not at next Monday's weekly run."""
    push_due = RecordingJob()
    embedded = EmbeddedScheduler(
        jobs={WEEKLY: weekly_job}, hourly_jobs={"koers_push_due": push_due}, clock=clock
    )
    try:
        assert embedded.run_due() == []  # started at 12:00: that hour is not run again
        clock.now = datetime(2026, 11, 25, 12, 59, tzinfo=AMS)
        assert embedded.run_due() == []
        clock.now = datetime(2026, 11, 25, 13, 0, tzinfo=AMS)
        [ref] = embedded.run_due()
        assert embedded.run_due() == []  # the same hour does not run twice
        clock.now = datetime(2026, 11, 25, 16, 30, tzinfo=AMS)  # missed hours run once
        [later] = embedded.run_due()
        embedded.join(timeout_s=10)
        summaries = {job.job_id: job for job in embedded.jobs()}
    finally:
        embedded.stop()

    assert (ref.job_id, later.job_id) == ("koers_push_due", "koers_push_due")
    assert push_due.weeks == ["2026-W48", "2026-W48"]
    assert weekly_job.weeks == []  # hourly slots never run the weekly job
    assert summaries["koers_push_due"].next_run_at == datetime(2026, 11, 25, 17, 0, tzinfo=AMS)
    assert summaries[WEEKLY].next_run_at == datetime(2026, 11, 30, 6, 0, tzinfo=AMS)
    assert len(summaries["koers_push_due"].recent_runs) == 2
