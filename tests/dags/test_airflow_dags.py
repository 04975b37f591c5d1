"""The Koers DAGs under real Airflow 3, against real Koers processes.

Airflow lives in its own virtualenv (``.venv-airflow``, built by ``make airflow-setup``
from ``deploy/airflow/requirements.txt`` and ``constraints.txt``), so everything Airflow
runs in a subprocess of that venv: the DAG-integrity check parses the DAG folder the way
the DAG processor does, and ``airflow dags test`` runs a whole DAG run (SQLite metadata
database in a temporary ``AIRFLOW_HOME``) whose tasks call the services over HTTP, with
the Variables given as ``AIRFLOW_VAR_*`` exactly as in ``docker-compose.yml``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from analytics.catalog.domain import CampaignState, VariantAttributes
from analytics.catalog.repository import save_campaign, save_variant
from analytics.facts.handlers import CONSUMED_TOPICS, GROUP_ID
from campaigns.benchmarks import repository as benchmarks_repo
from campaigns.benchmarks.repository import Participation
from campaigns.catalog import repository as catalog_repo
from campaigns.decisions import repository as decisions_repo
from campaigns.decisions.domain import PushTime
from campaigns.delivery import PlatformIds
from campaigns.demo import DEMO_SLUG
from koers.broker import EmbeddedBroker
from koers.db import make_engine, transaction
from koers.events import Guardrails
from koers.messaging.schema import outbox_table, processed_events_table
from landing.submissions.repository import leads
from tests.support import loopback
from tests.support.processes import Stack, wait_until

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
AIRFLOW_BIN = REPO / ".venv-airflow" / "bin"
DAGS_FOLDER = REPO / "deploy" / "airflow" / "dags"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
AIRFLOW_TIMEOUT_S = 240


def require_airflow_venv(program: str) -> Path:
    """A program of the Airflow venv; a failure (never a skip) when the venv is missing."""
    executable = AIRFLOW_BIN / program
    if not executable.exists():
        pytest.fail(
            f"{executable} is missing: the DAG tests need Airflow in its own virtualenv "
            "(.venv-airflow). `make test` sets it up (through `make airflow-setup`).",
            pytrace=False,
        )
    return executable


def airflow_env(home: Path, **variables: str) -> dict[str, str]:
    """A clean environment for an Airflow command: its own home, the repo's DAG folder,
    and the Airflow Variables as ``AIRFLOW_VAR_<NAME>`` (as docker-compose.yml sets them)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "KOERS_", "PYTHON"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            # `dags test` runs the tasks through an in-process Execution API, so unlike
            # docker-compose.yml no api-server (EXECUTION_API_SERVER_URL) is needed here.
        }
    )
    env.update({f"AIRFLOW_VAR_{name}": value for name, value in variables.items()})
    return env


def airflow(home: Path, *args: str, **variables: str) -> str:
    """Run ``airflow ARGS`` from the Airflow venv; its output, or a failure with it."""
    returncode, output = airflow_result(home, *args, **variables)
    assert returncode == 0, f"airflow {' '.join(args)} failed:\n{output[-8000:]}"
    return output


def airflow_result(home: Path, *args: str, **variables: str) -> tuple[int, str]:
    """Run ``airflow ARGS`` from the Airflow venv; its exit code and output."""
    executable = require_airflow_venv("airflow")
    result = subprocess.run(
        [str(executable), *args],
        env=airflow_env(home, **variables),
        cwd=home,
        capture_output=True,
        timeout=AIRFLOW_TIMEOUT_S,
        check=False,
    )
    output = result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
    return result.returncode, output


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An AIRFLOW_HOME with a migrated SQLite metadata database, shared by this module."""
    home = tmp_path_factory.mktemp("airflow-home")
    airflow(home, "db", "migrate")
    return home


# --- (a) the DAG folder imports, and the schedules are the intended ones --------------

INTEGRITY_CHECK = """
import json, sys
from pathlib import Path

import pendulum
from airflow.dag_processing.dagbag import BundleDagBag
from airflow.serialization.serialized_objects import DagSerialization
from airflow.timetables.base import DataInterval, TimeRestriction

folder = Path(sys.argv[1])
bag = BundleDagBag(str(folder), bundle_path=folder, bundle_name="dags-folder")


def run(info):
    return {
        "run_after": info.run_after.isoformat(),
        "start": info.data_interval.start.isoformat(),
        "end": info.data_interval.end.isoformat(),
    }


def after(dag, moment, previous=None):
    restriction = TimeRestriction(earliest=pendulum.parse(moment), latest=None, catchup=True)
    last = DataInterval(*(pendulum.parse(m) for m in previous)) if previous else None
    info = dag.timetable.next_dagrun_info(
        last_automated_data_interval=last, restriction=restriction
    )
    return run(info)


report = {"import_errors": bag.import_errors, "files": [s.file for s in bag.dagbag_stats]}
report["dags"] = {}
for dag_id, sdk_dag in bag.dags.items():
    # What the scheduler sees: the DAG as the DAG processor serialises it.
    dag = DagSerialization.from_dict(DagSerialization.to_dict(sdk_dag))
    report["dags"][dag_id] = {
        "timetable": type(dag.timetable).__name__,
        "summary": dag.timetable.summary,
        "catchup": dag.catchup,
        "has_doc": bool(sdk_dag.doc_md),
        "tasks": {
            task.task_id: {"retries": task.retries, "mapped": hasattr(task, "expand_input")}
            for task in dag.tasks
        },
        "first_after_2026_11_25": after(dag, "2026-11-25T12:00:00+00:00"),
        "after_week_12": after(
            dag,
            "2026-01-01T00:00:00+00:00",
            ("2026-03-16T05:00:00+00:00", "2026-03-23T05:00:00+00:00"),
        ),
    }
print("REPORT" + json.dumps(report))
"""


def integrity_report(home: Path) -> dict[str, Any]:
    python = require_airflow_venv("python")
    result = subprocess.run(
        [str(python), "-c", INTEGRITY_CHECK, str(DAGS_FOLDER)],
        env=airflow_env(home),
        cwd=home,
        capture_output=True,
        timeout=AIRFLOW_TIMEOUT_S,
        check=False,
    )
    output = result.stdout.decode(errors="replace")
    assert result.returncode == 0, output + result.stderr.decode(errors="replace")
    [line] = [line for line in output.splitlines() if line.startswith("REPORT")]
    report: dict[str, Any] = json.loads(line.removeprefix("REPORT"))
    return report


def local(moment: str) -> datetime:
    return datetime.fromisoformat(moment).astimezone(AMSTERDAM)


def test_the_dag_folder_imports_and_schedules_as_intended(airflow_home: Path) -> None:
    report = integrity_report(airflow_home)

    assert report["import_errors"] == {}
    # The helper module is not parsed as a DAG file (.airflowignore).
    assert sorted(report["files"]) == [
        "koers_daily_retention.py",
        "koers_push_due.py",
        "koers_weekly_allocation.py",
    ]
    dags = report["dags"]
    assert set(dags) == {"koers_weekly_allocation", "koers_daily_retention", "koers_push_due"}
    assert all(dag["has_doc"] and not dag["catchup"] for dag in dags.values())

    weekly = dags["koers_weekly_allocation"]
    assert (weekly["timetable"], weekly["summary"]) == ("CronDataIntervalTimetable", "0 6 * * 1")
    assert weekly["tasks"]["propose_allocation"] == {"retries": 3, "mapped": True}
    assert {"apply_autopilot", "push_due", "refresh_benchmarks"} <= set(weekly["tasks"])
    # From a Wednesday, the next run is a Monday 06:00 in Amsterdam, for the week before it.
    first = weekly["first_after_2026_11_25"]
    run_after = local(first["run_after"])
    assert (run_after.isoweekday(), run_after.time().isoformat()) == (1, "06:00:00")
    assert local(first["end"]) == run_after
    assert datetime.fromisoformat(first["end"]) - datetime.fromisoformat(
        first["start"]
    ) == timedelta(days=7)
    # Across the switch to summer time it stays 06:00 on the wall clock, Monday to Monday.
    spring = weekly["after_week_12"]
    assert local(spring["start"]) == datetime(2026, 3, 23, 6, tzinfo=AMSTERDAM)
    assert local(spring["end"]) == datetime(2026, 3, 30, 6, tzinfo=AMSTERDAM)
    assert local(spring["run_after"]) == local(spring["end"])

    daily = dags["koers_daily_retention"]
    assert (daily["timetable"], daily["summary"]) == ("CronTriggerTimetable", "0 3 * * *")
    assert list(daily["tasks"]) == ["run_retention"]
    assert local(daily["first_after_2026_11_25"]["run_after"]) == datetime(
        2026, 11, 26, 3, tzinfo=AMSTERDAM
    )

    # Splits approved after Monday's run go out within the hour (12:00 UTC is 13:00 here).
    hourly = dags["koers_push_due"]
    assert (hourly["timetable"], hourly["summary"]) == ("CronTriggerTimetable", "5 * * * *")
    assert list(hourly["tasks"]) == ["push_due"]
    assert local(hourly["first_after_2026_11_25"]["run_after"]) == datetime(
        2026, 11, 25, 13, 5, tzinfo=AMSTERDAM
    )


# --- (b) the weekly DAG plans every published campaign, once ---------------------------


def this_monday_six_amsterdam(now: datetime) -> datetime:
    """The Monday 06:00 (Amsterdam) at or before ``now``: a scheduled run's interval end."""
    today = now.astimezone(AMSTERDAM)
    monday = datetime.combine(
        today.date() - timedelta(days=today.isoweekday() - 1),
        datetime.min.time().replace(hour=6),
        AMSTERDAM,
    )
    return monday if monday <= now else monday - timedelta(days=7)


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.astimezone(AMSTERDAM).isocalendar()
    return f"{year}-W{week:02d}"


def get_json(stack: Stack, service: str, path: str, **params: Any) -> Any:
    response = loopback.get(
        f"{stack.url(service)}{path}",
        params=params,
        headers={"Authorization": f"Bearer {stack.service_token}"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def published_campaigns(stack: Stack) -> list[str]:
    items = get_json(stack, "analytics", "/v1/campaigns", status="published")["items"]
    return [str(item["campaign_id"]) for item in items]


def analytics_applied_every_event(stack: Stack) -> bool:
    """True once analytics has applied every event campaigns and landing wrote for it.

    A proposal's fingerprint covers the facts, so the DAG must run on settled facts or
    its second run would rightly compute a new version."""
    written: set[str] = set()
    for service in ("campaigns", "landing"):
        engine = make_engine(stack.database_urls[service])
        try:
            with engine.connect() as conn:
                written |= set(
                    conn.execute(
                        sa.select(outbox_table.c.event_id).where(
                            outbox_table.c.topic.in_(CONSUMED_TOPICS)
                        )
                    ).scalars()
                )
        finally:
            engine.dispose()
    engine = make_engine(stack.database_urls["analytics"])
    try:
        with engine.connect() as conn:
            applied = set(
                conn.execute(
                    sa.select(processed_events_table.c.event_id).where(
                        processed_events_table.c.consumer_group == GROUP_ID
                    )
                ).scalars()
            )
    finally:
        engine.dispose()
    return bool(written) and written <= applied


def add_campaign_without_live_creatives(stack: Stack) -> str:
    """A campaign analytics holds as published whose only creative was retired."""
    campaign_id = f"c-{uuid.uuid4().hex[:12]}"
    engine = make_engine(stack.database_urls["analytics"])
    try:
        with transaction(engine) as conn:
            save_campaign(
                conn,
                CampaignState(
                    campaign_id=campaign_id,
                    tenant_id="tenant-dag",
                    slug="retired-creatives",
                    name="Every creative retired",
                    goal="lead",
                    weekly_budget=Decimal("500"),
                    status="published",
                    guardrails=Guardrails(),
                ),
            )
            save_variant(
                conn,
                campaign_id,
                VariantAttributes(
                    variant_id="old",
                    name="Retired creative",
                    channel="instagram",
                    creative_format="image",
                    hook="Werk dichtbij huis",
                    live=False,
                ),
            )
    finally:
        engine.dispose()
    return campaign_id


def no_allocation(stack: Stack, campaign_id: str, week: str) -> bool:
    response = loopback.get(
        f"{stack.url('analytics')}/v1/campaigns/{campaign_id}/allocations/{week}",
        headers={"Authorization": f"Bearer {stack.service_token}"},
        timeout=10,
    )
    return response.status_code == 404


def proposals_published(stack: Stack, campaign_id: str) -> int:
    engine = make_engine(stack.database_urls["analytics"])
    try:
        with engine.connect() as conn:
            values = conn.execute(
                sa.select(outbox_table.c.value).where(outbox_table.c.message_key == campaign_id)
            ).scalars()
            return sum(1 for value in values if json.loads(value)["type"] == "AllocationProposed")
    finally:
        engine.dispose()


def start_history_path(stack: Stack) -> None:
    """The processes that carry the demo campaign and its history into analytics, and
    the APIs the DAG calls (analytics, and campaigns for autopilot, the push and the
    benchmarks, which read landing's contact facts). The campaigns consumer is left out on
    purpose: autopilot must not wait for analytics' events to reach campaigns."""
    stack.start("campaigns-relay", "campaigns", "relay")
    stack.start("landing-consumer", "landing", "consume")
    stack.start("landing-relay", "landing", "relay")
    stack.start("analytics-consumer", "analytics", "consume")
    stack.start_api("analytics")
    stack.start_api("landing")
    stack.start_api("campaigns")


def put_demo_campaign_on_autopilot(stack: Stack) -> str:
    """Autopilot on, with a push time at the start of the week (so this week's split is
    due whenever the test runs); returns the campaign id."""
    engine = make_engine(stack.database_urls["campaigns"])
    try:
        with transaction(engine) as conn:
            tenant_id = conn.execute(
                sa.select(catalog_repo.campaigns.c.tenant_id).where(
                    catalog_repo.campaigns.c.slug == DEMO_SLUG
                )
            ).scalar_one()
            [campaign] = catalog_repo.campaigns_of_tenant(conn, tenant_id, status="live")
            # Wide limits: this test is about the DAG reaching autopilot, not the rules.
            guardrails = campaign.guardrails.model_copy(
                update={"autopilot": True, "max_weekly_change": 10.0}
            )
            conn.execute(
                catalog_repo.campaigns.update()
                .where(catalog_repo.campaigns.c.id == campaign.id)
                .values(guardrails=guardrails.model_dump(mode="json"))
            )
            decisions_repo.save_push_time(conn, campaign.id, PushTime(0, dt_time(0, 0)))
            # The demo employer takes part in the benchmarks, so the refresh reads its
            # campaign from analytics and landing.
            benchmarks_repo.save_participation(
                conn,
                tenant_id,
                Participation(opted_in=True, sector="zorg"),
                by="dag-test",
                at=datetime.now(UTC),
            )
            for variant in catalog_repo.variants_of(conn, campaign.id):  # so the files fill
                decisions_repo.save_platform_ids(
                    conn,
                    campaign.id,
                    variant.variant_id,
                    PlatformIds(
                        campaign_id=f"cmp-{variant.variant_id}",
                        ad_set_id=f"set-{variant.variant_id}",
                        ad_id=f"ad-{variant.variant_id}",
                        campaign_name=f"Demo {variant.variant_id}",
                    ),
                )
    finally:
        engine.dispose()
    return campaign.id


def decided_and_pushed(stack: Stack, campaign_id: str, week: str) -> tuple[str | None, int]:
    """The week's decision status in campaigns, and how many adapters took its split."""
    engine = make_engine(stack.database_urls["campaigns"])
    try:
        with engine.connect() as conn:
            decision = decisions_repo.decision_for(conn, campaign_id, week)
            pushes = (
                []
                if decision is None
                else decisions_repo.pushes_of(conn, f"{decision.tenant_id}:{campaign_id}:{week}")
            )
    finally:
        engine.dispose()
    sent = [p for p in pushes if p.kind == "push" and p.status == "sent"]
    return (decision.status if decision else None), len(sent)


def test_the_weekly_dag_plans_each_published_campaign_once(
    broker: EmbeddedBroker, make_stack: Callable[[str], Stack], airflow_home: Path
) -> None:
    stack = make_stack(broker.bootstrap_servers)
    start_history_path(stack)
    stack.run("campaigns", "seed-demo")
    stack.run("landing", "seed-demo", "--wait-seconds", "60", "--weeks", "2")
    wait_until(
        lambda: analytics_applied_every_event(stack),
        90,
        interval_s=0.5,
        message="analytics to apply the demo campaign and its history",
    )
    campaign_ids = published_campaigns(stack)
    assert campaign_ids, "the demo campaign is published to analytics"
    autopilot_campaign = put_demo_campaign_on_autopilot(stack)
    assert autopilot_campaign in campaign_ids
    unplannable = add_campaign_without_live_creatives(stack)
    assert sorted(published_campaigns(stack)) == sorted([*campaign_ids, unplannable])

    logical_date = this_monday_six_amsterdam(datetime.now(UTC))
    week = iso_week(logical_date)
    variables = {
        "KOERS_ANALYTICS_URL": stack.url("analytics"),
        "KOERS_LANDING_URL": stack.url("landing"),
        "KOERS_CAMPAIGNS_URL": stack.url("campaigns"),
        "KOERS_SERVICE_TOKEN": stack.service_token,
    }
    assert all(no_allocation(stack, campaign_id, week) for campaign_id in campaign_ids)

    started = time.monotonic()
    first = airflow(
        airflow_home,
        "dags",
        "test",
        "koers_weekly_allocation",
        logical_date.isoformat(),
        **variables,
    )
    print(f"first weekly DAG run: {time.monotonic() - started:.1f}s")

    assert f"planning ISO week {week}" in first
    # Analytics cannot plan that one (409): it is skipped with the reason, the rest go on.
    assert re.search(rf"campaign {unplannable} week {week}: not planned: .*make one live", first)
    assert no_allocation(stack, unplannable, week)
    stored = {}
    for campaign_id in campaign_ids:
        assert re.search(rf"campaign {campaign_id} week {week}: new proposal, version 1", first)
        record = get_json(stack, "analytics", f"/v1/campaigns/{campaign_id}/allocations/{week}")
        assert (record["week"], record["status"], record["version"]) == (week, "proposed", 1)
        assert sum(record["proposal"]["allocation"].values()) > 0
        stored[campaign_id] = record["event_id"]
        assert proposals_published(stack, campaign_id) == 1
    # Then campaigns applied autopilot (reading the proposal analytics holds: its consumer
    # is not running) and pushed the split, whose push time has passed.
    assert f"week {week}: autopilot applied 1, held 0" in first
    assert re.search(r"koers: pushed [1-9]\d* split\(s\) to ad platforms \(\{'sent'", first)
    status, sent = decided_and_pushed(stack, autopilot_campaign, week)
    assert status == "autopilot" and sent >= 1
    # Last, after the push, campaigns refreshed the benchmarks over the weeks before.
    refreshed = re.compile(
        rf"koers: week {week}: benchmarks (\d{{4}}-W\d\d)\.\.(\d{{4}}-W\d\d) refreshed: "
        r"1 employer\(s\), [1-9]\d* campaign\(s\), \d+ cell\(s\) shown, \d+ withheld"
    )
    found = refreshed.search(first)
    assert found, first[-4000:]
    assert found.group(2) == iso_week(logical_date - timedelta(days=7))
    assert first.index("koers: pushed") < found.start()

    second = airflow(
        airflow_home,
        "dags",
        "test",
        "koers_weekly_allocation",
        logical_date.isoformat(),
        **variables,
    )

    for campaign_id in campaign_ids:
        assert re.search(rf"campaign {campaign_id} week {week}: unchanged proposal", second)
        record = get_json(stack, "analytics", f"/v1/campaigns/{campaign_id}/allocations/{week}")
        assert (record["version"], record["event_id"]) == (1, stored[campaign_id])
        assert proposals_published(stack, campaign_id) == 1  # nothing published again
    assert f"week {week}: planned {len(campaign_ids)} of {len(campaign_ids) + 1} campaign(s)" in (
        second
    )
    # A second run decides and pushes nothing again.
    assert f"week {week}: autopilot applied 0, held 0" in second
    assert "koers: pushed 0 split(s) to ad platforms (nothing was due)" in second
    assert refreshed.search(second)  # the same refresh again: idempotent
    assert decided_and_pushed(stack, autopilot_campaign, week) == ("autopilot", sent)

    # Re-planning a past week: a logical date plans the week it falls in (here a
    # Wednesday two weeks back, which the old interval-end rule planned a week early).
    past = logical_date - timedelta(days=12)
    past_week = iso_week(past)
    third = airflow(
        airflow_home, "dags", "test", "koers_weekly_allocation", past.isoformat(), **variables
    )

    assert f"planning ISO week {past_week} (manual run" in third
    for campaign_id in campaign_ids:
        assert re.search(rf"campaign {campaign_id} week {past_week}: new proposal", third)
        record = get_json(
            stack, "analytics", f"/v1/campaigns/{campaign_id}/allocations/{past_week}"
        )
        assert record["week"] == past_week


def test_the_weekly_dag_refuses_a_future_logical_date_at_once(airflow_home: Path) -> None:
    """Nothing is called: the services are not even there (any call would be retried)."""
    next_week_monday = this_monday_six_amsterdam(datetime.now(UTC)) + timedelta(days=7)

    started = time.monotonic()
    returncode, output = airflow_result(
        airflow_home,
        "dags",
        "test",
        "koers_weekly_allocation",
        next_week_monday.isoformat(),
        KOERS_ANALYTICS_URL="http://127.0.0.1:9",
        KOERS_SERVICE_TOKEN="unused",
    )

    assert returncode != 0, output[-4000:]
    assert f"not planning this run: {iso_week(next_week_monday)} has not begun yet" in output
    assert "published campaign(s) to plan" not in output  # analytics was never asked
    assert "koers: ALERT: DAG koers_weekly_allocation run" in output
    assert time.monotonic() - started < AIRFLOW_TIMEOUT_S


# --- (c) the daily DAG runs landing's retention job ------------------------------------


def add_lead(engine: sa.Engine, *, consent_withdrawn_at: datetime | None) -> uuid.UUID:
    now = datetime.now(UTC)
    lead_id = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(
            sa.insert(leads).values(
                lead_id=lead_id,
                tenant_id="tenant-dag",
                campaign_id="campaign-dag",
                variant_id="instagram",
                entry_point="lead",
                name="Kandidaat Test",
                phone_e164=None,
                email=f"{lead_id.hex[:8]}@example.nl",
                contact_channel="email",
                best_moment=None,
                consent_text="Ja, neem contact met mij op.",
                consented_at=now - timedelta(days=3),
                form_nonce=lead_id.hex,
                utm={},
                visited_at=now - timedelta(days=3),
                created_at=now - timedelta(days=3),
                status="contacted",
                is_demo=False,
                consent_withdrawn_at=consent_withdrawn_at,
            )
        )
    return lead_id


def test_the_daily_dag_runs_landings_retention_job(
    broker: EmbeddedBroker, make_stack: Callable[[str], Stack], airflow_home: Path
) -> None:
    stack = make_stack(broker.bootstrap_servers)
    engine = make_engine(stack.database_urls["landing"])
    withdrawn = add_lead(engine, consent_withdrawn_at=datetime.now(UTC) - timedelta(days=1))
    kept = add_lead(engine, consent_withdrawn_at=None)
    stack.start_api("landing")
    now = datetime.now(AMSTERDAM)
    last_three = now.replace(hour=3, minute=0, second=0, microsecond=0)
    if last_three > now:
        last_three -= timedelta(days=1)

    output = airflow(
        airflow_home,
        "dags",
        "test",
        "koers_daily_retention",
        last_three.isoformat(),
        KOERS_LANDING_URL=stack.url("landing"),
        KOERS_SERVICE_TOKEN=stack.service_token,
    )

    assert "landing retention: erased 1 candidate(s) (consent_withdrawn=1)" in output
    with engine.connect() as conn:
        remaining = set(conn.execute(sa.select(leads.c.lead_id)).scalars())
    engine.dispose()
    assert remaining == {kept}
    assert withdrawn not in remaining
