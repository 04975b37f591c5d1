"""What the campaigns security tests share: a migrated database (PostgreSQL when
``KOERS_TEST_DATABASE_URL`` is set, else SQLite), the app, and logging in over HTTP.

Written against the console's and API's HTTP surface where it can be, so the same test
shows the defect on the old code and its absence on the new.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from campaigns.config import Settings
from campaigns.main import create_app
from koers.db import transaction
from tests.support import campaigns_db as repo
from tests.support import campaigns_use_cases as service_layer
from tests.support.passwords import FAST_PASSWORD_HASHER

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PASSWORD = "security test password 1"
HTML = {"Accept": "text/html"}
SECRET = "security-test-session-secret"


class NoAnalytics:
    """Analytics that is never reached in these tests."""

    def campaign_funnel(self, campaign_id: str) -> None:
        return None

    def close(self) -> None:
        pass


def make_app(database_url: str, tmp_path: Path) -> FastAPI:
    settings = Settings(
        database_url=database_url,
        secret_key=SECRET,
        var_dir=tmp_path / "var",
        console_url="https://console.koers.example",
        landing_url="http://127.0.0.1:1",
        analytics_url="http://127.0.0.1:1",
        kafka_bootstrap_servers="127.0.0.1:1",
    )
    return create_app(settings, analytics=NoAnalytics(), password_hasher=FAST_PASSWORD_HASHER)  # type: ignore[arg-type]


def add_tenant(engine: Engine, name: str) -> str:
    tenant_id = str(uuid.uuid4())
    with transaction(engine) as conn:
        repo.add_tenant(conn, tenant_id, name)
    return tenant_id


def add_user(engine: Engine, tenant_id: str, email: str, role: str = "owner") -> str:
    with transaction(engine) as conn:
        user_id: str = service_layer.create_user(
            conn, tenant_id=tenant_id, email=email, password=PASSWORD, role=role, now=NOW
        )
    return user_id


def add_membership(engine: Engine, user_id: str, tenant_id: str, role: str = "viewer") -> None:
    with transaction(engine) as conn:
        repo.add_membership(conn, user_id=user_id, tenant_id=tenant_id, role=role, created_at=NOW)


def memberships(engine: Engine, email: str) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(repo.tenants.c.name)
            .join(repo.memberships, repo.memberships.c.tenant_id == repo.tenants.c.id)
            .join(repo.users, repo.users.c.id == repo.memberships.c.user_id)
            .where(repo.users.c.email == email)
        )
        return {r.name for r in rows}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD, **extra: str) -> Any:
    token = csrf_from(client.get("/login", headers=HTML).text)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, **extra},
        headers=HTML,
        follow_redirects=False,
    )


def choose(client: TestClient, tenant_id: str) -> None:
    """Choose the employer when the console asks (someone with several)."""
    page = client.get("/", headers=HTML)
    if "/employer" in str(page.url):
        answer = client.post(
            "/tenant",
            data={"csrf_token": csrf_from(page.text), "tenant_id": tenant_id},
            headers=HTML,
            follow_redirects=False,
        )
        assert answer.status_code == 303


def logged_in(client: TestClient) -> bool:
    """True when the console's home page shows (no redirect to the login)."""
    answer = client.get("/", headers=HTML, follow_redirects=False)
    return answer.status_code == 200


def session_cookie_payload(client: TestClient) -> str:
    """What the signed session cookie carries, decoded: anyone holding it can read this."""
    value = next(c.value for c in client.cookies.jar if c.name.endswith("koers_session"))
    data = value.split(".")[0]
    return base64.b64decode(data + "=" * (-len(data) % 4)).decode()


def session_data(client: TestClient) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(session_cookie_payload(client))
    return found
