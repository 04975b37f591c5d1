"""Without Airflow, the console's "Run now" and ``koers-campaigns weekly`` are one job:
against the real analytics API, what one of them planned the other finds in place, to
the event, for the same week, whichever goes first."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from campaigns import cli
from campaigns.config import Settings
from campaigns.demo import DEMO_EMAIL
from campaigns.main import create_app
from campaigns.scheduling import planned_week
from campaigns.scheduling.embedded import EmbeddedScheduler
from campaigns.scheduling.weekly import JOB_ACTOR
from campaigns.seed import seed_demo
from koers.db import make_engine
from koers.isoweeks import shift_week
from tests.support import campaigns_db as repo
from tests.support.passwords import FAST_PASSWORD_HASHER
from tests.unit.campaigns.insight_testkit import (
    HTML,
    SERVICE_TOKEN,
    analytics_app,
    apply_to_analytics,
    campaigns_outbox,
    csrf_from,
    log_in,
    serve,
)

pytestmark = pytest.mark.integration

PASSWORD = "integration password for the weekly job"
WEEKLY = "koers_weekly_allocation"


@dataclass(frozen=True)
class Installation:
    engine: sa.Engine
    settings: Settings
    console: TestClient


@pytest.fixture
def installation(
    make_migrated_database_url: Callable[[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Installation]:
    campaigns_url = make_migrated_database_url("campaigns")
    engine = make_engine(campaigns_url)
    now = datetime.now(UTC)
    seed_demo(
        engine,
        var_dir=tmp_path,
        console_url="http://testserver",
        demo_password=PASSWORD,
        today=now.date(),
        now=now,
        password_hasher=FAST_PASSWORD_HASHER,
    )
    analytics, analytics_engine = analytics_app(make_migrated_database_url("analytics"))
    apply_to_analytics(analytics_engine, campaigns_outbox(engine))
    with serve(analytics) as analytics_url:
        settings = Settings(
            database_url=campaigns_url,
            secret_key="weekly-job-paths-secret",
            analytics_url=analytics_url,
            service_token=SERVICE_TOKEN,
            var_dir=tmp_path,
            kafka_bootstrap_servers="127.0.0.1:1",
        )
        for name, value in {
            "KOERS_CAMPAIGNS_DATABASE_URL": campaigns_url,
            "KOERS_ANALYTICS_URL": analytics_url,
            "KOERS_SERVICE_TOKEN": SERVICE_TOKEN,
        }.items():
            monkeypatch.setenv(name, value)
        with TestClient(create_app(settings, password_hasher=FAST_PASSWORD_HASHER)) as console:
            log_in(console, DEMO_EMAIL, PASSWORD)
            yield Installation(engine, settings, console)
    engine.dispose()
    analytics_engine.dispose()


def proposals(engine: sa.Engine, week: str) -> list[tuple[object, ...]]:
    table = repo.allocation_proposals
    query = sa.select(table.c.campaign_id, table.c.payload, table.c.event_id).where(
        table.c.week == week
    )
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def job_audit_count(engine: sa.Engine) -> int:
    query = sa.select(sa.func.count()).where(repo.audit_log.c.actor == JOB_ACTOR)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def press_run_now(console: TestClient, week: str) -> str:
    token = csrf_from(console.get("/jobs", headers=HTML).text)
    console.post(
        "/jobs/runs", data={"csrf_token": token, "job_id": WEEKLY, "week": week}, headers=HTML
    )
    scheduler = console.app.state.scheduler  # type: ignore[attr-defined]
    assert isinstance(scheduler, EmbeddedScheduler)
    scheduler.join(timeout_s=120)
    return console.get("/jobs", headers=HTML).text


def run_cli(week: str) -> str:
    result = CliRunner().invoke(cli.app, ["weekly", "--week", week])
    assert result.exit_code == 0, result.output
    return result.output


def test_run_now_and_the_cli_make_the_same_proposals(installation: Installation) -> None:
    this_week = planned_week(datetime.now(UTC), logical_date=None, requested=None)
    first, second = shift_week(this_week, -1), shift_week(this_week, -2)

    # The page first, then the command line: it finds every proposal in place.
    page = press_run_now(installation.console, first)
    assert f"week {first}: planned 1 of 1 campaign(s) (1 new proposal(s))" in page
    by_page = proposals(installation.engine, first)
    assert len(by_page) == 1 and by_page[0][1]["week"] == first  # type: ignore[index]
    audited = job_audit_count(installation.engine)

    output = run_cli(first)
    # Its steps after planning end with the benchmarks' refresh, as the page's do.
    assert "then apply_autopilot, push_due, refresh_benchmarks_step" in output
    assert "then apply_autopilot, push_due, refresh_benchmarks_step" in page

    assert f"week {first}: planned 1 of 1 campaign(s) (0 new proposal(s))" in output
    assert "planned  Klantenservicemedewerker Utrecht: unchanged" in output
    assert proposals(installation.engine, first) == by_page
    assert job_audit_count(installation.engine) == audited

    # The command line first, then the page: the same the other way round.
    output = run_cli(second)
    assert f"week {second}: planned 1 of 1 campaign(s) (1 new proposal(s))" in output
    by_cli = proposals(installation.engine, second)

    page = press_run_now(installation.console, second)

    assert f"week {second}: planned 1 of 1 campaign(s) (0 new proposal(s))" in page
    assert proposals(installation.engine, second) == by_cli
    assert job_audit_count(installation.engine) == audited + 1
