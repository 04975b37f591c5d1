"""Real analytics and landing apps for the dashboard and leads-inbox tests.

Each is the service's own ``create_app`` on its own migrated database, served by uvicorn
on a free port in a thread, so the console's HTTP clients talk real HTTP to the real
routes. Analytics is fed the campaigns outbox (what the relay would publish) plus
candidate events, through its own consumer handlers; landing gets leads through its own
repository, as its lead form stores them.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from koers.db import make_engine, transaction
from koers.events import (
    ApplicationSubmitted,
    EntryStarted,
    Envelope,
    LeadSubmitted,
    PageViewed,
    Payload,
    new_envelope,
    parse_envelope,
)
from tests.support import campaigns_db as campaigns_repo
from tests.support import campaigns_use_cases as service_layer

SERVICE_TOKEN = "insight-tests-service-token"
PASSWORD = "a long enough password for tests"
HTML = {"Accept": "text/html,application/xhtml+xml"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1 in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# --- analytics ----------------------------------------------------------------------------


def analytics_app(database_url: str) -> tuple[FastAPI, sa.Engine]:
    from analytics.config import Settings
    from analytics.main import create_app
    from analytics.storage.schema import migrate_database

    migrate_database(database_url)
    settings = Settings(
        database_url=database_url,
        service_token=SERVICE_TOKEN,
        kafka_bootstrap_servers="127.0.0.1:1",
    )
    return create_app(settings), make_engine(database_url)


def apply_to_analytics(engine: sa.Engine, envelopes: Iterable[Envelope]) -> int:
    """Apply events with analytics' consumer handlers, one transaction each."""
    from analytics.facts.handlers import HANDLERS

    applied = 0
    for envelope in envelopes:
        with transaction(engine) as conn:
            for handler in HANDLERS.get(envelope.type, []):
                handler(conn, envelope)
        applied += 1
    return applied


def campaigns_outbox(engine: sa.Engine, event_type: str | None = None) -> list[Envelope]:
    """What the campaigns relay would publish, parsed as consumers parse it."""
    table = campaigns_repo.outbox
    query = sa.select(table.c.value).order_by(table.c.id)
    with engine.connect() as conn:
        envelopes = [parse_envelope(row.value.encode()) for row in conn.execute(query)]
    return [e for e in envelopes if event_type is None or e.type == event_type]


def candidate_events(
    *,
    tenant_id: str,
    campaign_id: str,
    variant_id: str,
    visited_at: datetime,
    visits: int,
    leads: int,
    applications: int,
) -> list[Envelope]:
    """Landing's events for ``visits`` visitors, of whom some leave a lead or apply."""
    envelopes: list[Envelope] = []

    def add(payload: Payload) -> None:
        envelopes.append(
            new_envelope(
                payload,
                source="landing",
                tenant_id=tenant_id,
                campaign_id=campaign_id,
                occurred_at=visited_at,
            )
        )

    for n in range(visits):
        key = f"visitor-{variant_id}-{n:05d}"
        common = {"variant_id": variant_id, "visitor_key": key, "visited_at": visited_at}
        add(PageViewed(**common))
        if n < leads:
            add(EntryStarted(**common, entry_point="lead"))
            add(LeadSubmitted(**common, lead_id=str(uuid.uuid4()), contact_channel="whatsapp"))
        elif n < leads + applications:
            add(EntryStarted(**common, entry_point="apply"))
            add(ApplicationSubmitted(**common, application_id=str(uuid.uuid4())))
    return envelopes


# --- landing --------------------------------------------------------------------------------


def landing_app(database_url: str, cv_dir: Path) -> tuple[FastAPI, sa.Engine]:
    from koers.db import migrate
    from landing.cli import MIGRATIONS_DIR
    from landing.config import Settings
    from landing.main import create_app

    migrate(database_url, MIGRATIONS_DIR)
    settings = Settings(
        database_url=database_url,
        secret_key="landing-secret-for-insight-tests",
        service_token=SERVICE_TOKEN,
        kafka_bootstrap_servers="127.0.0.1:1",
        cv_dir=cv_dir,
    )
    return create_app(settings), make_engine(database_url)


def add_landing_leads(
    engine: sa.Engine,
    *,
    tenant_id: str,
    campaign_id: str,
    variant_id: str,
    count: int,
    entry_point: str = "lead",
    contact_channel: str = "whatsapp",
    start: datetime,
    name_prefix: str = "Candidate",
) -> list[str]:
    """Store leads as landing's lead form does; returns their ids, oldest first."""
    from landing.submissions.repository import Lead, insert_leads

    leads = [
        Lead(
            lead_id=uuid.uuid4(),
            tenant_id=tenant_id,
            campaign_id=campaign_id,
            variant_id=variant_id,
            entry_point=entry_point,
            name=f"{name_prefix} {n:03d}",
            phone_e164=f"+3161234{n:04d}",
            email=f"candidate{n}@example.nl",
            contact_channel=contact_channel,
            best_moment="evening",
            consent_text="Ik geef toestemming.",
            consented_at=start + timedelta(minutes=n),
            form_nonce=uuid.uuid4().hex,
            utm={"utm_source": variant_id},
            visited_at=start + timedelta(minutes=n) - timedelta(minutes=3),
            created_at=start + timedelta(minutes=n),
        )
        for n in range(count)
    ]
    with transaction(engine) as conn:
        insert_leads(conn, *leads)
    return [str(lead.lead_id) for lead in leads]


# --- the campaigns side ----------------------------------------------------------------------


def add_person(engine: sa.Engine, *, tenant_id: str, email: str, role: str, now: datetime) -> str:
    with transaction(engine) as conn:
        return service_layer.create_user(
            conn, tenant_id=tenant_id, email=email, password=PASSWORD, role=role, now=now
        )


def add_tenant(engine: sa.Engine, name: str) -> str:
    tenant_id = str(uuid.uuid4())
    with transaction(engine) as conn:
        campaigns_repo.add_tenant(conn, tenant_id, name)
    return tenant_id


def csrf_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token."""
    token = csrf_from(client.get("/login", headers=HTML).text)
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/", headers=HTML).text)
