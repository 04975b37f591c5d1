"""Agencies: adding an employer (console and ``POST /api/v1/tenants``) and the overview of
every employer a person works for.

Who may add an employer: an owner of some employer, who becomes the new one's owner.
Nobody reaches an employer they do not belong to: not through the new employer, not
through the overview, not by switching; and a name never tells whether some other
agency already works for an employer of that name. Bad input is a 4xx, never a 500.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from campaigns_security_kit import (
    HTML,
    NOW,
    add_membership,
    add_tenant,
    add_user,
    csrf_from,
    login,
    make_app,
    memberships,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from campaigns.catalog.domain import Variant
from campaigns.decisions.domain import planned_week
from campaigns.demo import DEMO_PAGE
from koers.db import make_engine, transaction
from koers.events import utcnow
from tests.support import campaigns_db as repo
from tests.support import campaigns_use_cases as service_layer

pytestmark = [pytest.mark.security, pytest.mark.integration]

AGENCY = "owner@bureau.example"
VIEWER = "viewer@bureau.example"
STRANGER = "owner@elders.example"


@dataclass
class Scene:
    engine: Engine
    app: FastAPI
    agency: str
    """Bureau Noord: the agency's own employer, owned by AGENCY, seen by VIEWER."""
    stranger: str
    """Werkgever Elders: another agency's employer, owned by STRANGER."""


def _live_campaign(engine: Engine, tenant_id: str, name: str, *, proposed: bool) -> str:
    slug = f"c-{uuid.uuid4().hex[:10]}"
    with transaction(engine) as conn:
        campaign = service_layer.create_campaign(
            conn,
            tenant_id=tenant_id,
            new=service_layer.NewCampaign(
                slug=slug,
                name=name,
                vacancy_title="Monteur",
                goal="lead",
                weekly_budget=Decimal("300.00"),
                page=DEMO_PAGE,
                variants=(
                    Variant("a", "Reel", "instagram", "video", "Hook", ad_key=f"{slug}-a"),
                    Variant("b", "Post", "linkedin", "image", "Hook", ad_key=f"{slug}-b"),
                ),
            ),
            actor="seed",
            now=NOW,
        )
        service_layer.publish(conn, tenant_id=tenant_id, slug=slug, actor="seed", now=NOW)
        if proposed:
            repo.upsert_allocation_proposal(
                conn,
                campaign_id=campaign.id,
                week=planned_week(utcnow()),
                payload={"allocation": {"a": 150.0, "b": 150.0}},
                event_id=str(uuid.uuid4()),
                proposed_at=NOW,
                received_at=NOW,
            )
    return slug


@pytest.fixture
def scene(make_migrated_database_url: Callable[[str], str], tmp_path: Path) -> Iterator[Scene]:
    url = make_migrated_database_url("campaigns")
    engine = make_engine(url)
    agency, stranger = add_tenant(engine, "Bureau Noord"), add_tenant(engine, "Werkgever Elders")
    add_user(engine, agency, AGENCY)
    add_user(engine, agency, VIEWER, role="viewer")
    add_user(engine, stranger, STRANGER)
    yield Scene(engine, make_app(url, tmp_path), agency, stranger)
    engine.dispose()


def _tenant_count(engine: Engine) -> int:
    with engine.connect() as conn:
        found: int = conn.execute(sa.select(sa.func.count()).select_from(repo.tenants)).scalar_one()
    return found


def _api_post(client: TestClient, body: Any, **kwargs: Any) -> Any:
    """A session-authenticated API call, with the CSRF header the API asks of sessions."""
    token = csrf_from(client.get("/account/password", headers=HTML).text)
    headers = {"X-CSRF-Token": token, **kwargs.pop("headers", {})}
    if isinstance(body, (bytes, str)):
        return client.post("/api/v1/tenants", content=body, headers=headers, **kwargs)
    return client.post("/api/v1/tenants", json=body, headers=headers, **kwargs)


def _console_add(client: TestClient, name: str) -> Any:
    token = csrf_from(client.get("/employers/new", headers=HTML).text)
    return client.post(
        "/employers",
        data={"csrf_token": token, "name": name},
        headers=HTML,
        follow_redirects=False,
    )


def _owner_token(client: TestClient, role: str = "owner") -> str:
    token = csrf_from(client.get("/settings", headers=HTML).text)
    answer = client.post(
        "/api/v1/tokens",
        json={"name": f"script {role}", "role": role},
        headers={"X-CSRF-Token": token},
    )
    assert answer.status_code == 201, answer.text
    secret: str = answer.json()["token"]
    return secret


def test_adding_an_employer_needs_a_login(scene: Scene) -> None:
    with TestClient(scene.app) as anonymous:
        api = anonymous.post("/api/v1/tenants", json={"name": "Nieuw BV"})
        assert api.status_code in (401, 403)  # no session, so no CSRF token either
        assert api.headers["content-type"].startswith("application/problem+json")
        page = anonymous.get("/employers/new", headers=HTML, follow_redirects=False)
        assert page.status_code == 303 and "/login" in page.headers["location"]
        overview = anonymous.get("/employers", headers=HTML, follow_redirects=False)
        assert overview.status_code == 303 and "/login" in overview.headers["location"]
        bad_token = anonymous.post(
            "/api/v1/tenants", json={"name": "Nieuw BV"}, headers={"Authorization": "Bearer nope"}
        )
        assert bad_token.status_code == 401
    assert _tenant_count(scene.engine) == 2


def test_only_an_owner_adds_employers(scene: Scene) -> None:
    with TestClient(scene.app) as owner:
        assert login(owner, AGENCY).status_code == 303
        viewer_token = _owner_token(owner, role="viewer")
        marketer_token = _owner_token(owner, role="marketer")
    for secret in (viewer_token, marketer_token):
        with TestClient(scene.app) as script:
            answer = script.post(
                "/api/v1/tenants",
                json={"name": "Via een token"},
                headers={"Authorization": f"Bearer {secret}"},
            )
            assert answer.status_code == 403, answer.text
    with TestClient(scene.app) as viewer:
        assert login(viewer, VIEWER).status_code == 303
        assert viewer.get("/employers/new", headers=HTML).status_code == 403
        assert _console_add(viewer, "Van de kijker").status_code == 403
        api = _api_post(viewer, {"name": "Van de kijker"})
        assert api.status_code == 403
        assert api.json()["title"] == "Not allowed for your role"
    assert _tenant_count(scene.engine) == 2
    assert memberships(scene.engine, VIEWER) == {"Bureau Noord"}


def test_an_owner_adds_an_employer_and_works_for_it_alone(scene: Scene) -> None:
    secret_campaign = "Geheime campagne Bureau Noord"
    _live_campaign(scene.engine, scene.agency, secret_campaign, proposed=False)
    with TestClient(scene.app) as owner:
        assert login(owner, AGENCY).status_code == 303
        answer = _console_add(owner, "  Bakkerij\tJansen  ")
        assert answer.status_code == 303
        assert answer.headers["location"].endswith("/settings")
        me = owner.get("/api/v1/me").json()
        assert me["tenant_name"] == "Bakkerij Jansen" and me["role"] == "owner"
        assert {m["tenant_name"] for m in me["memberships"]} == {"Bureau Noord", "Bakkerij Jansen"}
        # The new employer starts empty: nothing of the agency's own employer shows.
        assert secret_campaign not in owner.get("/", headers=HTML).text
        assert owner.get("/api/v1/campaigns").json()["items"] == []
        settings = owner.get("/settings", headers=HTML).text
        assert VIEWER not in settings  # the agency's colleagues are not members here
        audit = owner.get("/api/v1/audit").json()
        assert [e["action"] for e in audit] == ["create_employer"]
    assert memberships(scene.engine, AGENCY) == {"Bureau Noord", "Bakkerij Jansen"}
    assert memberships(scene.engine, VIEWER) == {"Bureau Noord"}
    assert memberships(scene.engine, STRANGER) == {"Werkgever Elders"}


def test_an_owner_token_adds_an_employer_owned_by_whoever_made_it(scene: Scene) -> None:
    with TestClient(scene.app) as owner:
        assert login(owner, AGENCY).status_code == 303
        secret = _owner_token(owner)
    with TestClient(scene.app) as script:
        bearer = {"Authorization": f"Bearer {secret}"}
        answer = script.post("/api/v1/tenants", json={"name": "Garage Pietersen"}, headers=bearer)
        assert answer.status_code == 201, answer.text
        assert answer.json()["tenant_name"] == "Garage Pietersen"
        assert answer.json()["role"] == "owner"
        # The token stays a token of its own employer: it reaches nothing of the new one.
        assert [t["tenant_name"] for t in script.get("/api/v1/tenants", headers=bearer).json()] == [
            "Bureau Noord"
        ]
        assert script.get("/api/v1/me", headers=bearer).json()["tenant_name"] == "Bureau Noord"
    assert memberships(scene.engine, AGENCY) == {"Bureau Noord", "Garage Pietersen"}


def test_a_token_whose_maker_no_longer_owns_adds_nothing(scene: Scene) -> None:
    with TestClient(scene.app) as owner:
        assert login(owner, AGENCY).status_code == 303
        secret = _owner_token(owner)
    # The maker is demoted (another owner stays): the token's role is no person's now.
    second = add_user(scene.engine, scene.agency, "tweede@bureau.example")
    with transaction(scene.engine) as conn:
        user = repo.user_by_email(conn, AGENCY)
        assert user is not None and second
        repo.set_membership_role(conn, user_id=user.id, tenant_id=scene.agency, role="viewer")
    with TestClient(scene.app) as script:
        answer = script.post(
            "/api/v1/tenants",
            json={"name": "Zonder eigenaar"},
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert answer.status_code == 403
    assert _tenant_count(scene.engine) == 2


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "   \t "},
        {"name": "x" * 201},
        {"name": "Nul\x00byte BV"},
        {"name": "Bel\x07 BV"},
        {"name": 42},
        {"name": None},
        {},
        {"name": "Goed BV", "owner": "someone-else"},
        ["Goed BV"],
        "not json at all",
    ],
    ids=lambda b: repr(b)[:30],
)
def test_bad_employer_names_get_problem_details(scene: Scene, body: Any) -> None:
    with TestClient(scene.app) as owner:
        assert login(owner, AGENCY).status_code == 303
        if isinstance(body, str):
            answer = _api_post(owner, body, headers={"Content-Type": "application/json"})
        else:
            answer = _api_post(owner, body)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert _tenant_count(scene.engine) == 2


def test_an_oversized_body_is_refused_before_it_is_read(scene: Scene) -> None:
    with TestClient(scene.app) as owner:
        assert login(owner, AGENCY).status_code == 303
        answer = _api_post(owner, {"name": "x" * (2 * 1024 * 1024)})
        assert answer.status_code == 413
    assert _tenant_count(scene.engine) == 2


@pytest.mark.parametrize("name", ["", "x" * 201, "Nul\x00byte BV", "Bel\x07 BV"])
def test_the_console_form_names_the_field_it_refuses(scene: Scene, name: str) -> None:
    with TestClient(scene.app) as owner:
        assert login(owner, AGENCY).status_code == 303
        answer = _console_add(owner, name)
        assert answer.status_code == 422
        assert 'id="e-name"' in answer.text
    assert _tenant_count(scene.engine) == 2


def test_a_name_tells_nothing_about_other_agencies_employers(scene: Scene) -> None:
    """Another agency's employer's name is free to use, with the same answer as any
    other name; only a name among your own employers is refused."""
    with TestClient(scene.app) as owner:
        assert login(owner, AGENCY).status_code == 303
        taken_elsewhere = _api_post(owner, {"name": "Werkgever Elders"})
        never_used = _api_post(owner, {"name": "Werkgever Nergens"})
        assert taken_elsewhere.status_code == never_used.status_code == 201
        own_again = _api_post(owner, {"name": "bureau  noord"})
        assert own_again.status_code == 422
        assert "name" in own_again.text
    assert memberships(scene.engine, AGENCY) == {
        "Bureau Noord",
        "Werkgever Elders",
        "Werkgever Nergens",
    }
    # The other agency's employer of that name is untouched, its owner alone.
    assert memberships(scene.engine, STRANGER) == {"Werkgever Elders"}
    with scene.engine.connect() as conn:
        assert [m.email for m in repo.members_of(conn, scene.stranger)] == [STRANGER]


def test_the_overview_shows_every_own_employer_and_nothing_else(scene: Scene) -> None:
    _live_campaign(scene.engine, scene.agency, "Monteurs Noord", proposed=True)
    _live_campaign(scene.engine, scene.agency, "Chauffeurs Noord", proposed=False)
    _live_campaign(scene.engine, scene.stranger, "Geheim bij Elders", proposed=True)
    with TestClient(scene.app) as owner:
        assert login(owner, AGENCY).status_code == 303
        assert _console_add(owner, "Bakkerij Jansen").status_code == 303
        page = owner.get("/employers", headers=HTML)
        assert page.status_code == 200
        text = page.text
        assert "Bureau Noord" in text and "Bakkerij Jansen" in text
        assert "Monteurs Noord" in text and "Chauffeurs Noord" in text
        assert "<strong>1</strong> decision waiting" in text
        assert "first deadline" in text
        assert "Werkgever Elders" not in text and "Geheim bij Elders" not in text
        # Into another own employer from the overview: a switch, then its campaigns.
        switch = owner.post(
            "/tenant",
            data={"csrf_token": csrf_from(text), "tenant_id": scene.agency, "next": "/decisions"},
            headers=HTML,
            follow_redirects=False,
        )
        assert switch.status_code == 303 and switch.headers["location"].endswith("/decisions")
        assert owner.get("/api/v1/me").json()["tenant_name"] == "Bureau Noord"
        # ... never into one the person does not belong to.
        refused = owner.post(
            "/tenant",
            data={"csrf_token": csrf_from(text), "tenant_id": scene.stranger},
            headers=HTML,
            follow_redirects=False,
        )
        assert refused.status_code == 404
        assert owner.get("/api/v1/me").json()["tenant_name"] == "Bureau Noord"


def test_the_overview_of_a_viewer_lists_only_their_memberships(scene: Scene) -> None:
    add_membership(scene.engine, _user_id(scene.engine, VIEWER), scene.stranger, role="viewer")
    own = add_tenant(scene.engine, "Niet van de kijker")
    _live_campaign(scene.engine, own, "Onzichtbaar", proposed=True)
    with TestClient(scene.app) as viewer:
        assert login(viewer, VIEWER).status_code == 303
        page = viewer.get("/", headers=HTML)
        viewer.post(
            "/tenant",
            data={"csrf_token": csrf_from(page.text), "tenant_id": scene.agency},
            headers=HTML,
        )
        text = viewer.get("/employers", headers=HTML).text
        assert "Bureau Noord" in text and "Werkgever Elders" in text
        assert "Niet van de kijker" not in text and "Onzichtbaar" not in text
        assert "Add an employer" not in text  # a viewer owns nothing


def _user_id(engine: Engine, email: str) -> str:
    with engine.connect() as conn:
        user = repo.user_by_email(conn, email)
    assert user is not None
    return str(user.id)


def test_an_operator_adds_a_first_employer_whose_owner_accepts(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a fresh installation nobody owns an employer, so the first comes from the CLI:
    the employer, and an owner invitation its invitee accepts with their own password."""
    from typer.testing import CliRunner

    from campaigns.cli import app

    monkeypatch.setenv(
        "KOERS_CAMPAIGNS_DATABASE_URL", str(scene.engine.url.render_as_string(False))
    )
    monkeypatch.setenv("KOERS_CAMPAIGNS_URL", "https://console.koers.example")
    runner = CliRunner()
    refused = runner.invoke(app, ["add-employer", "Nul\x00byte", "--owner-email", "a@b.example"])
    assert refused.exit_code == 2 and "name" in refused.output
    refused = runner.invoke(app, ["add-employer", "Goed BV", "--owner-email", "not an address"])
    assert refused.exit_code == 2 and "email" in refused.output
    assert _tenant_count(scene.engine) == 2

    result = runner.invoke(
        app, ["add-employer", "Eerste Werkgever", "--owner-email", "eigenaar@eerste.example"]
    )
    assert result.exit_code == 0, result.output
    link = result.output.split("https://console.koers.example", 1)[1].split()[0]
    assert memberships(scene.engine, "eigenaar@eerste.example") == set()  # not before accepting
    with TestClient(scene.app) as invitee:
        form = invitee.get(link, headers=HTML)
        assert "Eerste Werkgever" in form.text
        accepted = invitee.post(
            link,
            data={
                "csrf_token": csrf_from(form.text),
                "password": "een eigen wachtwoord 1",
                "repeat": "een eigen wachtwoord 1",
            },
            headers=HTML,
            follow_redirects=False,
        )
        assert accepted.status_code == 303
        assert invitee.get("/api/v1/me").json()["role"] == "owner"
    assert memberships(scene.engine, "eigenaar@eerste.example") == {"Eerste Werkgever"}
