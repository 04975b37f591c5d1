"""Rules that hold for every route of the campaigns app, checked over the route table.

The routes are read from the app itself, so a route added tomorrow is checked too:

- every path parameter is classified below (a new kind of parameter fails the test
  until someone says how to fill it for tenant A and tenant B);
- a user of tenant A gets 404 for tenant B's objects, on the console and the API;
- a viewer gets 403 on every state-changing route (session and API token);
- a state-changing console form without a valid CSRF token gets 403, and so does a
  session-authenticated API call without the ``X-CSRF-Token`` header;
- no GET changes anything: both databases (campaigns and landing) are byte-for-byte
  the same after calling every GET route.

Landing is the real landing app on its own database (leads live there); analytics is
deliberately unreachable, so pages show their "unavailable" state.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from insight_testkit import SERVICE_TOKEN, add_landing_leads, landing_app, serve
from sqlalchemy import Engine

from campaigns.audit import repository as audit
from campaigns.catalog.domain import Variant
from campaigns.config import Settings
from campaigns.decisions import repository as decisions_repo
from campaigns.demo import DEMO_PAGE
from campaigns.main import create_app
from campaigns.tenancy.deps import ConsoleUser
from koers.db import make_engine, transaction
from tests.support import campaigns_db as repo
from tests.support import campaigns_use_cases as service_layer
from tests.support.passwords import FAST_PASSWORD_HASHER

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PASSWORD = "route table password 123"
HTML = {"Accept": "text/html"}
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "spend"

# Path parameters that name an object of a tenant: tenant A must never reach B's.
TENANT_OBJECT_PARAMS = {
    "slug",
    "variant_id",
    "user_id",
    "token_id",
    "import_id",
    "lead_id",
    "invitation_id",
}
# Path parameters that only qualify an object named by another parameter.
QUALIFIER_PARAMS = {"week": "2026-W47", "name": "funnel", "platform": "meta"}
# Path parameters that are themselves the credential (a one-time invitation link): the
# routes are public, and a wrong value finds nothing.
CAPABILITY_PARAMS = {"token"}

# Routes anyone may call, and session-only actions that change no tenant data.
PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("GET", "/invite/{token}"),
    ("POST", "/invite/{token}"),
}
# The scheduled jobs' steps (Airflow calls them): every tenant at once, so only the service
# token opens them; a session, a CSRF token or a user's API token gets 401.
SERVICE_TOKEN_ONLY = {
    ("POST", "/internal/v1/weeks/{week}/autopilot"),
    ("POST", "/internal/v1/push-due"),
    ("POST", "/internal/v1/weeks/{week}/benchmarks"),
}
# Your own session and account: every role may log out, switch, change its password and
# choose the language it reads the console in.
SESSION_ONLY = {
    ("POST", "/logout"),
    ("POST", "/tenant"),
    ("POST", "/account/password"),
    ("POST", "/account/language"),
    # A member's own copy of the weekly memo: any role may opt in or mail it to themselves.
    ("POST", "/memo/subscription"),
    ("POST", "/memo/send-to-me"),
}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}

# A valid body per API operation that has one, so a 404/403 cannot hide behind a 422.
PAGE_BODY = {
    "employer_name": "Werkgever",
    "headline": "Kom werken",
    "entry_points": ["lead"],
}
JSON_BODIES: dict[str, dict[str, Any]] = {
    "create_campaign": {"name": "Nieuw", "vacancy_title": "Monteur", "weekly_budget": "100.00"},
    "update_campaign": {"name": "Anders", "vacancy_title": "Monteur", "weekly_budget": "90.00"},
    "transition_campaign": {"to": "paused"},
    "create_creative": {"name": "Extra", "channel": "snapchat", "hook": "Kijk"},
    "update_creative": {"name": "Anders", "channel": "instagram", "hook": "Nieuw"},
    "creative_action": {"action": "pause"},
    "save_page": PAGE_BODY,
    "invite_member": {"email": "new-person@example.nl", "role": "viewer"},
    "change_member": {"role": "viewer"},
    "create_token": {"name": "script"},
    "create_employer": {"name": "Nieuwe werkgever"},
}
FILE_BODIES = {"upload_spend_import", "spend_import_upload"}
# Console forms: fields every form may carry; each handler reads the ones it needs.
FORM_FIELDS = {
    "to": "paused",
    "action": "pause",
    "role": "viewer",
    "name": "Token",
    "email": "someone@example.nl",
    "outcome": "contacted",
    "channel": "whatsapp",
    "reason": "Not now",
    "decision": "approve",
    "confirm": "yes",
    "tenant_id": "",
}


@dataclass
class TenantObjects:
    tenant_id: str
    slug: str
    variant_id: str
    user_id: str
    token_id: str
    token: str
    import_id: str = ""
    lead_id: str = ""
    invitation_id: str = ""

    def value(self, param: str) -> str:
        if param in QUALIFIER_PARAMS:
            return QUALIFIER_PARAMS[param]
        return str(getattr(self, param))


@dataclass
class World:
    app: FastAPI
    engine: Engine
    landing_engine: Engine
    a: TenantObjects
    b: TenantObjects
    viewer_token: str
    clients: dict[str, TestClient] = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    name: str
    params: tuple[str, ...]

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    def url(self, objects: TenantObjects) -> str:
        return re.sub(r"{(\w+)}", lambda m: objects.value(m.group(1)), self.path)


def routes_of(app: FastAPI) -> list[Route]:
    found = []
    for context in iter_route_contexts(app.routes):
        path = context.path or ""
        for method in sorted(context.methods or ()):
            if method == "HEAD":
                continue
            params = tuple(re.findall(r"{(\w+)}", path))
            found.append(Route(method, path, context.name or "", params))
    return found


def _tenant(conn: sa.Connection, name: str, slug: str, owner_email: str) -> tuple[str, str, str]:
    tenant_id = str(uuid.uuid4())
    repo.add_tenant(conn, tenant_id, name)
    owner = service_layer.create_user(
        conn, tenant_id=tenant_id, email=owner_email, password=PASSWORD, role="owner", now=NOW
    )
    colleague = service_layer.create_user(
        conn,
        tenant_id=tenant_id,
        email=f"colleague-{slug}@example.nl",
        password=PASSWORD,
        role="marketer",
        now=NOW,
    )
    service_layer.create_campaign(
        conn,
        tenant_id=tenant_id,
        new=service_layer.NewCampaign(
            slug=slug,
            name=f"Campaign {slug}",
            vacancy_title="Klantenservice",
            goal="lead",
            weekly_budget=Decimal("500.00"),
            page={**DEMO_PAGE, "employer_name": name},
            variants=(
                Variant("instagram", "Reel", "instagram", "video", "Hook", ad_key=f"{slug}-ig"),
                Variant("linkedin", "Post", "linkedin", "image", "Hook", ad_key=f"{slug}-li"),
            ),
        ),
        actor=owner_email,
        now=NOW,
    )
    service_layer.publish(conn, tenant_id=tenant_id, slug=slug, actor=owner_email, now=NOW)
    del owner
    return tenant_id, colleague, slug


@pytest.fixture
def world(make_migrated_database_url: Callable[[str], str], tmp_path: Path) -> Iterator[World]:
    database_url = make_migrated_database_url("campaigns")
    landing, landing_engine = landing_app(make_migrated_database_url("landing"), tmp_path / "cv")
    engine = make_engine(database_url)
    with transaction(engine) as conn:
        a_id, a_colleague, a_slug = _tenant(conn, "Werkgever A", "a-camp", "owner-a@example.nl")
        b_id, b_colleague, b_slug = _tenant(conn, "Werkgever B", "b-camp", "owner-b@example.nl")
        viewer = service_layer.create_user(
            conn,
            tenant_id=a_id,
            email="viewer-a@example.nl",
            password=PASSWORD,
            role="viewer",
            now=NOW,
        )
        del viewer
        a_token, a_secret = service_layer.create_api_token(
            conn, tenant_id=a_id, name="a", role="owner", actor="t", now=NOW
        )
        _, viewer_secret = service_layer.create_api_token(
            conn, tenant_id=a_id, name="a-viewer", role="viewer", actor="t", now=NOW
        )
        b_token, b_secret = service_layer.create_api_token(
            conn, tenant_id=b_id, name="b", role="owner", actor="t", now=NOW
        )
        invitations = {
            tid: service_layer.invite_member(
                conn, tenant_id=tid, email="invited@example.nl", role="viewer", actor="t", now=NOW
            )[0].id
            for tid in (a_id, b_id)
        }
        campaigns = {
            slug: repo.campaign_by_slug(conn, tid, slug)
            for tid, slug in ((a_id, a_slug), (b_id, b_slug))
        }
    a = TenantObjects(a_id, a_slug, "instagram", a_colleague, a_token.id, a_secret)
    b = TenantObjects(b_id, b_slug, "instagram", b_colleague, b_token.id, b_secret)
    for objects in (a, b):
        objects.invitation_id = invitations[objects.tenant_id]
        campaign = campaigns[objects.slug]
        assert campaign is not None
        with transaction(engine) as conn:  # a pushed week's bulk file, to download
            decisions_repo.save_files(
                conn,
                tenant_id=objects.tenant_id,
                campaign_id=campaign.id,
                week=QUALIFIER_PARAMS["week"],
                files={"meta": ("week.csv", b"Campaign ID\r\n")},
                at=NOW,
            )
        objects.lead_id = add_landing_leads(
            landing_engine,
            tenant_id=objects.tenant_id,
            campaign_id=campaign.id,
            variant_id="instagram",
            count=1,
            start=NOW,
        )[0]
    with serve(landing) as landing_url:
        settings = Settings(
            database_url=database_url,
            secret_key="route-table-secret-key",
            var_dir=tmp_path / "var",
            landing_url=landing_url,
            analytics_url="http://127.0.0.1:1",
            service_token=SERVICE_TOKEN,
            kafka_bootstrap_servers="127.0.0.1:1",
        )
        app = create_app(settings, password_hasher=FAST_PASSWORD_HASHER)
        # One lifespan for the whole test; the other clients share the started app.
        with TestClient(app) as api_client:
            for objects in (a, b):
                objects.import_id = _upload_import(api_client, objects)
            yield World(app, engine, landing_engine, a, b, viewer_secret)
    engine.dispose()
    landing_engine.dispose()


def _upload_import(client: TestClient, objects: TenantObjects) -> str:
    response = client.post(
        f"/api/v1/campaigns/{objects.slug}/spend-imports",
        headers={"Authorization": f"Bearer {objects.token}"},
        files={"file": ("meta.csv", (FIXTURES / "meta_nl_days.csv").read_bytes(), "text/csv")},
    )
    assert response.status_code in (200, 201), response.text
    body = response.json()
    return str(body.get("import_id") or body["id"])


def session(world: World, email: str) -> tuple[TestClient, str]:
    """A logged-in console client and its session's CSRF token."""
    if email not in world.clients:
        client = TestClient(world.app)
        form = client.get("/login", headers=HTML).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        answer = client.post(
            "/login",
            data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
            headers=HTML,
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        page = client.get("/", headers=HTML).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf
        world.clients[email] = client
        world.csrf[email] = csrf.group(1)
    return world.clients[email], world.csrf[email]


@pytest.fixture
def closing(world: World) -> Iterator[World]:
    yield world
    for client in world.clients.values():
        client.close()


def call(
    client: TestClient,
    route: Route,
    url: str,
    *,
    csrf: str | None,
    headers: dict[str, str] | None = None,
) -> int:
    """Send a request the way its caller would (form, JSON or file) and return the status."""
    all_headers = dict(headers or {})
    kwargs: dict[str, Any] = {}
    if route.api:
        if csrf is not None:
            all_headers["X-CSRF-Token"] = csrf
        if route.name in FILE_BODIES:
            kwargs["files"] = {"file": ("x.csv", b"Ad name;Amount spent (EUR)\n", "text/csv")}
        elif route.name in JSON_BODIES:
            kwargs["json"] = JSON_BODIES[route.name]
    else:
        all_headers.update(HTML)
        if route.method in STATE_CHANGING:
            data = dict(FORM_FIELDS)
            if csrf is not None:
                data["csrf_token"] = csrf
            kwargs["data"] = data
    response = client.request(
        route.method, url, headers=all_headers, follow_redirects=False, **kwargs
    )
    assert response.status_code < 500, f"{route.method} {url}: {response.text[:300]}"
    return response.status_code


def test_every_route_is_classified(world: World) -> None:
    openapi = world.app.openapi()["paths"]
    problems = []
    for route in routes_of(world.app):
        unknown = (
            set(route.params) - TENANT_OBJECT_PARAMS - set(QUALIFIER_PARAMS) - CAPABILITY_PARAMS
        )
        if unknown:
            problems.append(f"{route.method} {route.path}: classify parameter(s) {unknown}")
        if route.method not in {"GET", *STATE_CHANGING}:
            problems.append(f"{route.method} {route.path}: unexpected method")
        operation = openapi.get(route.path, {}).get(route.method.lower(), {})
        if (
            "requestBody" in operation
            and route.name not in JSON_BODIES
            and route.name not in FILE_BODIES
            and "application/json" in operation["requestBody"].get("content", {})
        ):
            problems.append(f"{route.method} {route.path}: add an example body to JSON_BODIES")
        if (
            route.params
            and not set(route.params) & TENANT_OBJECT_PARAMS
            and not set(route.params) <= CAPABILITY_PARAMS
            and (route.method, route.path) not in SERVICE_TOKEN_ONLY
        ):
            problems.append(f"{route.method} {route.path}: names no tenant object; classify it")
    assert not problems, "\n".join(problems)


def test_tenant_a_gets_404_for_tenant_b_objects(closing: World) -> None:
    check_isolation(closing)


def check_isolation(world: World) -> None:
    client, csrf = session(world, "owner-a@example.nl")
    token = {"Authorization": f"Bearer {world.a.token}"}
    checked = []
    for route in routes_of(world.app):
        if not set(route.params) & TENANT_OBJECT_PARAMS:
            continue
        url = route.url(world.b)
        status = call(client, route, url, csrf=csrf)
        assert status == 404, f"{route.method} {url} as tenant A's owner: {status}"
        if route.api:
            status = call(client, route, url, csrf=None, headers=token)
            assert status == 404, f"{route.method} {url} with A's token: {status}"
        checked.append(route.path)
    assert len(checked) >= 30  # the campaign, creative, page, import and lead routes


def test_the_same_requests_reach_tenant_a_objects(closing: World) -> None:
    """The 404s above are about the tenant: A's own objects are found by the same routes."""
    world = closing
    client, _ = session(world, "owner-a@example.nl")
    for route in routes_of(world.app):
        if route.method != "GET" or not set(route.params) & TENANT_OBJECT_PARAMS:
            continue
        url = route.url(world.a)
        headers = {"Authorization": f"Bearer {world.a.token}"} if route.api else HTML
        status = client.get(url, headers=headers, follow_redirects=False).status_code
        # The test lead sent no CV; a chart is only served under a key its dashboard
        # issued, and with analytics unreachable the dashboard issues none.
        if route.name in {"lead_cv", "dashboard_chart"}:
            continue
        assert status == 200, f"GET {url}: {status}"


def test_a_viewer_cannot_change_anything(closing: World) -> None:
    check_viewer(closing)


def check_viewer(world: World) -> None:
    client, csrf = session(world, "viewer-a@example.nl")
    token = {"Authorization": f"Bearer {world.viewer_token}"}
    checked = 0
    before = snapshot(world)
    for route in routes_of(world.app):
        key = (route.method, route.path)
        if route.method not in STATE_CHANGING or key in PUBLIC or key in SESSION_ONLY:
            continue
        url = route.url(world.a)
        status = call(client, route, url, csrf=csrf)
        if key in SERVICE_TOKEN_ONLY:
            assert status == 401, f"{route.method} {url} as a viewer: {status}"
            status = call(client, route, url, csrf=None, headers=token)
            assert status == 401, f"{route.method} {url} with a viewer token: {status}"
            continue
        assert status == 403, f"{route.method} {url} as a viewer: {status}"
        if route.api:
            status = call(client, route, url, csrf=None, headers=token)
            assert status == 403, f"{route.method} {url} with a viewer token: {status}"
        checked += 1
    assert checked >= 30
    assert snapshot(world) == before


def test_state_changes_without_a_valid_csrf_token_are_refused(closing: World) -> None:
    world = closing
    client, csrf = session(world, "owner-a@example.nl")
    before = snapshot(world)
    for route in routes_of(world.app):
        key = (route.method, route.path)
        if route.method not in STATE_CHANGING or key in PUBLIC:
            continue
        url = route.url(world.a)
        for wrong in (None, "forged-" + csrf[:10]):
            status = call(client, route, url, csrf=wrong)
            refused = 401 if key in SERVICE_TOKEN_ONLY else 403  # a session never opens it
            assert status == refused, f"{route.method} {url} with CSRF token {wrong!r}: {status}"
    # The login form, too, needs the token of the session that showed it.
    fresh = TestClient(world.app)
    answer = fresh.post(
        "/login",
        data={"email": "owner-a@example.nl", "password": PASSWORD},
        headers=HTML,
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert snapshot(world) == before


def test_no_get_changes_state(closing: World) -> None:
    check_gets_change_nothing(closing)


def check_gets_change_nothing(world: World) -> None:
    client, _ = session(world, "owner-a@example.nl")
    token = {"Authorization": f"Bearer {world.a.token}"}
    before = snapshot(world)
    called = 0
    for route in routes_of(world.app):
        if route.method != "GET":
            continue
        for objects in (world.a, world.b):
            url = route.url(objects)
            call(client, route, url, csrf=None)
            if route.api:
                call(client, route, url, csrf=None, headers=token)
            called += 1
    assert called >= 40
    assert snapshot(world) == before


def test_without_credentials_nothing_is_served(closing: World) -> None:
    world = closing
    anonymous = TestClient(world.app)
    for route in routes_of(world.app):
        key = (route.method, route.path)
        if key in PUBLIC or route.path.startswith("/static"):
            continue
        status = call(anonymous, route, route.url(world.a), csrf=None)
        if route.api or key in SERVICE_TOKEN_ONLY:
            expected = {401} if route.method == "GET" or key in SERVICE_TOKEN_ONLY else {401, 403}
        else:
            expected = {303} if route.method == "GET" else {403}
        assert status in expected, f"{route.method} {route.path} anonymously: {status}"


def test_the_checks_catch_a_route_that_forgets_them(closing: World) -> None:
    """A route without the tenant filter, the role check or GET-safety is caught."""
    world = closing

    def careless_change(slug: str, user: ConsoleUser) -> dict[str, str]:
        with transaction(world.engine) as conn:
            found = conn.execute(
                sa.select(repo.campaigns.c.id).where(repo.campaigns.c.slug == slug)
            ).scalar_one()  # no tenant filter
            audit.record(
                conn,
                tenant_id=user.tenant_id,
                actor=user.actor,
                action="careless",
                object_type="campaign",
                object_id=found,
                before=None,
                after=None,
            )
        return {"changed": found}

    world.app.add_api_route(
        "/campaigns/{slug}/careless", careless_change, methods=["POST"], name="careless_post"
    )
    world.app.add_api_route(
        "/campaigns/{slug}/careless", careless_change, methods=["GET"], name="careless_get"
    )
    with pytest.raises(AssertionError, match="careless"):
        check_isolation(world)
    with pytest.raises(AssertionError, match="careless"):
        check_viewer(world)
    with pytest.raises(AssertionError):
        check_gets_change_nothing(world)


def snapshot(world: World) -> str:
    """A digest of every row of every table in both databases."""
    digest = hashlib.sha256()
    for engine in (world.engine, world.landing_engine):
        with engine.connect() as conn:
            for table in sorted(sa.inspect(conn).get_table_names()):
                rows = conn.execute(sa.text(f'SELECT * FROM "{table}"')).all()
                digest.update(table.encode())
                for row in sorted(repr(tuple(r)) for r in rows):
                    digest.update(row.encode())
    return digest.hexdigest()
