"""Two ``koers-landing serve`` OS processes behind ONE port (a round-robin proxy, as a
Kubernetes Service spreads connections over pods; see tests/support/round_robin.py for
why not uvicorn's workers) share the form rate limit, in the database or in Redis, and
serve each other's CVs. Only the database (and Redis) is shared, as between pods."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from koers.db import make_engine, migrate, transaction
from koers.events import new_envelope
from landing.cli import MIGRATIONS_DIR
from landing.handlers import handlers
from landing.submissions.repository import applications
from tests.conftest import free_port
from tests.support import loopback
from tests.support.landing_app import apply_data, campaign, form_token, minimal_pdf
from tests.support.processes import wait_until
from tests.support.round_robin import RoundRobinProxy, round_robin

pytestmark = pytest.mark.reliability

BIN = Path(sys.executable).parent
SERVICE_TOKEN = "replica-test-service-token"
TENANT = "acme"
USER_AGENT = "Mozilla/5.0 (KoersReplicaPhone)"


def publish(database_url: str, slug: str) -> None:
    """Apply the campaign's publication as landing's consumer does."""
    envelope = new_envelope(
        campaign(slug=slug), source="campaigns", tenant_id=TENANT, campaign_id=f"cmp-{slug}"
    )
    engine = make_engine(database_url)
    with transaction(engine) as conn:
        for handler in handlers(("127.0.0.1",))[envelope.type]:
            handler(conn, envelope)
    engine.dispose()


@pytest.fixture
def replicas(
    request: pytest.FixtureRequest,
    make_database_url: Callable[[str], str],
    tmp_path: Path,
) -> Iterator[tuple[RoundRobinProxy, str, str]]:
    """Two landing processes on one database, CVs in it, the limit in ``request.param``."""
    database_url = make_database_url("landing")
    migrate(database_url, MIGRATIONS_DIR)
    slug = f"replicas-{uuid.uuid4().hex[:8]}"
    publish(database_url, slug)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOERS_")}
    env.update(
        {
            "KOERS_ENVIRONMENT": "development",
            "KOERS_LANDING_DATABASE_URL": database_url,
            # One secret for both, as in production; fresh per run so Redis buckets of
            # earlier runs are other clients' buckets.
            "KOERS_LANDING_SECRET_KEY": secrets.token_hex(16),
            "KOERS_SERVICE_TOKEN": SERVICE_TOKEN,
            "KOERS_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
            "KOERS_LANDING_CV_STORAGE": "database",
            "KOERS_LANDING_CV_DIR": str(tmp_path / "no-cvs-here"),
            "KOERS_LANDING_MIN_FILL_SECONDS": "0",
            "KOERS_LANDING_PAGE_CACHE_SECONDS": "0",
            # A burst of 4, then one form per 100 s: the test never sees a refill.
            "KOERS_LANDING_RATE_LIMIT_PER_MINUTE": "0.6",
            "KOERS_LANDING_RATE_LIMIT_BURST": "4",
        }
    )
    if request.param == "redis":
        env["KOERS_LANDING_REDIS_URL"] = request.getfixturevalue("redis_url")
    else:
        env["KOERS_LANDING_RATE_LIMIT_SHARED"] = "true"
    ports = [free_port(), free_port()]
    processes = []
    for n, port in enumerate(ports):
        log = open(tmp_path / f"landing-{n}.log", "ab")  # noqa: SIM115 - lives with the process
        processes.append(
            subprocess.Popen(
                [str(BIN / "koers-landing"), "serve", "--port", str(port)],
                env=env,
                cwd=tmp_path,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        for port in ports:
            wait_until(
                lambda port=port: (
                    loopback.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
                ),
                120,
                message=f"landing on {port}",
            )
        with round_robin(free_port(), ports) as proxy:
            yield proxy, slug, database_url
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if any(process.returncode not in (0, -signal.SIGTERM) for process in processes):
            for path in sorted(tmp_path.glob("landing-*.log")):
                print(path.read_text(errors="replace")[-3000:])


def fresh_connection() -> httpx.Client:
    """A client that opens a new connection per request, so the proxy alternates."""
    return loopback.client(
        headers={"user-agent": USER_AGENT},
        limits=httpx.Limits(max_keepalive_connections=0),
        timeout=10,
    )


@pytest.mark.parametrize("replicas", ["database", "redis"], indirect=True)
def test_two_processes_behind_one_port_share_the_limit_and_each_others_cvs(
    replicas: tuple[RoundRobinProxy, str, str], tmp_path: Path
) -> None:
    proxy, slug, database_url = replicas
    pdf = minimal_pdf("Sanne's cv")
    with fresh_connection() as client:
        form = client.get(f"{proxy.url}/j/{slug}/apply")  # opened on one process...
        assert form.status_code == 200, form.text
        sent = client.post(  # ...sent to the other
            f"{proxy.url}/j/{slug}/apply",
            data=apply_data(form_token(form.text)),
            files={"cv": ("Mijn cv.pdf", pdf, "application/pdf")},
        )
        assert sent.status_code == 303, sent.text  # to the thank-you page
        engine = make_engine(database_url)
        with engine.connect() as conn:
            [lead_id] = conn.scalars(sa.select(applications.c.lead_id)).all()
        engine.dispose()

        # Two downloads on two fresh connections: one of them reaches the process that
        # did not take the CV.
        cv_url = f"{proxy.url}/internal/v1/tenants/{TENANT}/leads/{lead_id}/cv"
        auth = {"authorization": f"Bearer {SERVICE_TOKEN}"}
        downloads = [client.get(cv_url, headers=auth) for _ in range(2)]

        # The limit: the application took 1 of the burst of 4, wherever it landed; the
        # next 3 forms (refused for their token: 400) pass, then both processes say 429.
        statuses = [
            client.post(f"{proxy.url}/j/{slug}/lead", data={"form_token": "x"}).status_code
            for _ in range(6)
        ]

    assert [d.status_code for d in downloads] == [200, 200]
    assert all(d.content == pdf for d in downloads)
    assert statuses == [400, 400, 400, 429, 429, 429]
    # 2 form GETs/POSTs + 2 downloads + 6 posts = 10 connections, alternating.
    assert proxy.connections == [5, 5]
    assert not (tmp_path / "no-cvs-here").exists()  # nothing on either process's disk
