"""The console's scheduled jobs page: in-process jobs under ``make run``, an Airflow that
does not answer or refuses the login, and no scheduler at all; "Run now" for a week."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from campaigns_testkit import DEMO_PASSWORD, HTML, csrf_from, log_in
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from pydantic import SecretStr
from scheduling_testkit import FakeProposals
from sqlalchemy import Engine

from campaigns.config import Settings
from campaigns.demo import DEMO_EMAIL, DEMO_SLUG
from campaigns.main import create_app
from campaigns.scheduling import planned_week
from campaigns.scheduling.embedded import EmbeddedScheduler
from campaigns.seed import SeedResult
from koers.db import transaction
from koers.isoweeks import shift_week
from koers.settings import MissingSecret
from tests.conftest import free_port
from tests.support import campaigns_db as repo
from tests.support import campaigns_use_cases as service_layer
from tests.support.passwords import FAST_PASSWORD_HASHER

pytestmark = pytest.mark.unit

WEEKLY = "koers_weekly_allocation"
DELIVERY_KEY = Fernet.generate_key().decode()
RUN_NOW = "/jobs/runs"


def this_week() -> str:
    return planned_week(datetime.now(UTC), logical_date=None, requested=None)


def console(settings: Settings, analytics: FakeProposals) -> Iterator[TestClient]:
    with TestClient(
        create_app(settings, analytics=analytics, password_hasher=FAST_PASSWORD_HASHER)
    ) as client:
        log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
        yield client


@pytest.fixture
def proposals() -> FakeProposals:
    return FakeProposals()


@pytest.fixture
def owner(settings: Settings, proposals: FakeProposals, seeded: SeedResult) -> Iterator[TestClient]:
    yield from console(settings, proposals)


def run_now(client: TestClient, week: str = "", **extra: str) -> str:
    """Press "Run now" (with ``week``); the page shown after the redirect."""
    token = csrf_from(client.get("/jobs", headers=HTML).text)
    response = client.post(
        RUN_NOW, data={"csrf_token": token, "job_id": WEEKLY, "week": week, **extra}, headers=HTML
    )
    assert response.status_code == 200 and str(response.url).endswith("/jobs"), response.text
    return response.text


def finished(client: TestClient) -> str:
    scheduler = client.app.state.scheduler  # type: ignore[attr-defined]
    assert isinstance(scheduler, EmbeddedScheduler)
    scheduler.join(timeout_s=30)
    return client.get("/jobs", headers=HTML).text


def demo_campaign_id(engine: Engine) -> str:
    with engine.connect() as conn:
        tenant_id = repo.tenant_id_by_name(conn, "Demo Werving BV")
        assert tenant_id is not None
        campaign = repo.campaign_by_slug(conn, tenant_id, DEMO_SLUG)
    assert campaign is not None
    return campaign.id


def test_owners_find_the_page_in_the_navigation_and_see_the_in_process_jobs(
    owner: TestClient,
) -> None:
    page = owner.get("/", headers=HTML).text
    assert 'href="http://testserver/jobs"' in page and "Scheduled jobs" in page

    jobs = owner.get("/jobs", headers=HTML)

    assert jobs.status_code == 200
    assert "Weekly budget proposals" in jobs.text and WEEKLY in jobs.text
    assert "run inside the console (no Airflow is configured)" in jobs.text
    assert "No runs yet." in jobs.text
    assert "Next run:</strong> Mon " in jobs.text and "06:00" in jobs.text
    assert f'placeholder="{this_week()}"' in jobs.text


def test_run_now_plans_the_current_week_and_shows_the_run(
    owner: TestClient, proposals: FakeProposals, engine: Engine
) -> None:
    shown = run_now(owner)
    assert f"Weekly budget proposals: a run for {this_week()} has started." in shown

    page = finished(owner)

    assert re.search(r'<span class="status run-success">Succeeded</span>', page)
    assert "run now" in page
    assert (
        f"week {this_week()}: planned 1 of 1 campaign(s) (1 new proposal(s)); "
        "0 skipped, 0 failed; then apply_autopilot, push_due"
    ) in page
    campaign_id = demo_campaign_id(engine)
    assert proposals.asked == [(campaign_id, this_week())]
    with engine.connect() as conn:
        assert repo.allocation_proposal(conn, campaign_id, this_week()) is not None


def test_run_now_for_a_past_week_plans_that_week(
    owner: TestClient, proposals: FakeProposals, engine: Engine
) -> None:
    last_week = shift_week(this_week(), -1)

    run_now(owner, week=last_week.lower())
    page = finished(owner)

    assert f"run now for {last_week}" in page
    assert proposals.asked == [(demo_campaign_id(engine), last_week)]


def test_a_failed_run_says_which_task_failed_and_why(
    owner: TestClient, proposals: FakeProposals, engine: Engine
) -> None:
    proposals.down.add(demo_campaign_id(engine))

    run_now(owner)
    page = finished(owner)

    assert '<span class="status run-failed">Failed</span>' in page
    assert f"<strong>Failed task:</strong> {WEEKLY}" in page
    assert "nothing planned" in page and "0 skipped, 1 failed" in page
    assert "Demo" not in page.split("Last runs")[1]  # no campaign names for every owner


def test_a_week_that_has_not_begun_or_does_not_exist_is_refused_with_the_reason(
    owner: TestClient, proposals: FakeProposals
) -> None:
    next_week = shift_week(this_week(), 1)

    future = run_now(owner, week=next_week)
    assert f"Not started: {next_week} has not begun yet (this is {this_week()})" in future
    missing = run_now(owner, week="2027-W53")
    assert "Not started: 2027-W53 does not exist: 2027 has no week 53" in missing
    nonsense = run_now(owner, week="next week")
    assert "Write a week like 2026-W48" in nonsense

    assert "No runs yet." in finished(owner)
    assert proposals.asked == []


def test_run_now_needs_the_forms_csrf_token(owner: TestClient, proposals: FakeProposals) -> None:
    response = owner.post(RUN_NOW, data={"job_id": WEEKLY, "week": ""}, headers=HTML)
    assert response.status_code == 403
    assert proposals.asked == []


def test_only_owners_see_and_run_the_jobs(
    settings: Settings, proposals: FakeProposals, seeded: SeedResult, engine: Engine
) -> None:
    with engine.connect() as conn:
        tenant_id = repo.tenant_id_by_name(conn, "Demo Werving BV")
    assert tenant_id is not None
    with transaction(engine) as conn:
        service_layer.create_user(
            conn,
            tenant_id=tenant_id,
            email="marketer@example.nl",
            password="a long enough password",
            role="marketer",
            now=datetime.now(UTC),
        )
    with TestClient(
        create_app(settings, analytics=proposals, password_hasher=FAST_PASSWORD_HASHER)
    ) as marketer:
        log_in(marketer, "marketer@example.nl", "a long enough password")
        assert "Scheduled jobs" not in marketer.get("/", headers=HTML).text
        assert marketer.get("/jobs", headers=HTML).status_code == 403
        token = csrf_from(marketer.get("/", headers=HTML).text)
        refused = marketer.post(RUN_NOW, data={"csrf_token": token, "job_id": WEEKLY}, headers=HTML)
        assert refused.status_code == 403
    assert proposals.asked == []


def test_an_airflow_that_does_not_answer_is_said_plainly(
    settings: Settings, proposals: FakeProposals, seeded: SeedResult
) -> None:
    nobody = settings.model_copy(
        update={
            "airflow_url": f"http://127.0.0.1:{free_port()}",
            "airflow_username": "koers",
            "airflow_password": "secret",
            "airflow_timeout_s": 2,
        }
    )
    for client in console(nobody, proposals):
        page = client.get("/jobs", headers=HTML)
        assert page.status_code == 200
        assert "Airflow cannot be reached right now." in page.text
        assert "does not answer" in page.text
        assert "run inside the console" not in page.text

        shown = run_now(client)
        assert "Not started: Airflow at http://127.0.0.1:" in shown


class RefusingAirflow:
    """An Airflow API server that refuses every login (wrong user name or password)."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.dumps({"detail": "Invalid credentials"}).encode()
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_wrong_airflow_credentials_are_said_plainly(
    settings: Settings, proposals: FakeProposals, seeded: SeedResult
) -> None:
    airflow = RefusingAirflow()
    try:
        wrong = settings.model_copy(
            update={
                "airflow_url": airflow.url,
                "airflow_username": "koers",
                "airflow_password": "not-it",
            }
        )
        for client in console(wrong, proposals):
            page = client.get("/jobs", headers=HTML)
            assert page.status_code == 200
            assert "refused the login of &#39;koers&#39;" in page.text
            assert "check the Airflow user name and password" in page.text
    finally:
        airflow.close()


def test_without_airflow_in_production_the_page_says_jobs_are_not_configured(
    settings: Settings, proposals: FakeProposals, seeded: SeedResult
) -> None:
    production = settings.model_copy(
        update={
            "environment": "production",
            "service_token": "t",
            "secure_cookies": False,
            "delivery_key": SecretStr(DELIVERY_KEY),
        }
    )
    for client in console(production, proposals):
        page = client.get("/jobs", headers=HTML)
        assert page.status_code == 200
        assert "Scheduled jobs are not configured here." in page.text
        assert "Airflow is not configured (KOERS_AIRFLOW_URL)" in page.text
        assert "Run now" not in page.text
        shown = run_now(client)
        assert "Not started: Airflow is not configured" in shown
    assert proposals.asked == []


def test_production_with_airflow_needs_its_login_and_names_what_is_missing(
    settings: Settings,
) -> None:
    production = settings.model_copy(
        update={
            "environment": "production",
            "service_token": "t",
            "airflow_url": "http://airflow:8080",
            "airflow_username": "koers",
            "delivery_key": SecretStr(DELIVERY_KEY),
        }
    )
    with pytest.raises(MissingSecret, match="KOERS_AIRFLOW_PASSWORD") as raised:
        create_app(production, password_hasher=FAST_PASSWORD_HASHER)
    assert "KOERS_AIRFLOW_USERNAME" not in str(raised.value)


def test_run_now_of_a_job_that_does_not_exist_says_so(
    owner: TestClient, proposals: FakeProposals
) -> None:
    shown = run_now(owner, job_id="koers_nope")
    assert "There is no scheduled job &#39;koers_nope&#39;." in shown
    assert proposals.asked == []


def test_the_hourly_push_is_listed_after_the_weekly_job_and_runs_without_a_week(
    owner: TestClient,
) -> None:
    page = owner.get("/jobs", headers=HTML).text

    assert page.index(WEEKLY) < page.index("koers_push_due")
    push_card = page[page.index("Hourly push of decided budgets") :]
    assert "Week (optional)" not in push_card.split("Last runs")[0]  # it acts on "now"

    shown = run_now(owner, job_id="koers_push_due")

    assert "Hourly push of decided budgets: a run has started." in shown
    after = finished(owner)
    push_runs = after[after.index("Hourly push of decided budgets") :].split("Weekly budget")[0]
    assert "Succeeded" in push_runs and "No runs yet." not in push_runs
