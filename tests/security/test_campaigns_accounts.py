"""Class 1 (accounts across tenants) and class 14's member e-mails.

No employer can take over or even probe another's account: adding a member is an
invitation the invitee accepts (a one-time, expiring link); nobody sets another
account's password; the answer does not tell whether an address has an account;
switching goes only into accepted memberships; someone with several employers chooses.
On the old code adding an existing address silently joined that account to the tenant
(ignoring the password given), and the answers differed for known and unknown addresses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from campaigns_security_kit import (
    HTML,
    PASSWORD,
    add_membership,
    add_tenant,
    add_user,
    csrf_from,
    logged_in,
    login,
    make_app,
    memberships,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from koers.db import make_engine

pytestmark = [pytest.mark.security, pytest.mark.integration]

VICTIM = "victim@werkgever-a.example"
ATTACKER = "owner@werkgever-b.example"
STRANGER = "nobody-yet@elders.example"


@dataclass
class Scene:
    engine: Engine
    app: FastAPI
    a: str
    b: str


@pytest.fixture
def scene(make_migrated_database_url: Callable[[str], str], tmp_path: Path) -> Iterator[Scene]:
    url = make_migrated_database_url("campaigns")
    engine = make_engine(url)
    a, b = add_tenant(engine, "Werkgever A"), add_tenant(engine, "Werkgever B")
    add_user(engine, a, VICTIM)
    add_user(engine, b, ATTACKER)
    yield Scene(engine, make_app(url, tmp_path), a, b)
    engine.dispose()


def _add_member(client: TestClient, email: str, password: str = "attacker-chosen-123") -> object:
    token = csrf_from(client.get("/settings", headers=HTML).text)
    return client.post(
        "/settings/members",
        data={"csrf_token": token, "email": email, "role": "owner", "password": password},
        headers=HTML,
        follow_redirects=False,
    )


def _invite_link(html: str) -> str:
    match = re.search(r"https://console\.koers\.example(/invite/[A-Za-z0-9_\-]+)", html)
    assert match, "the answer shows no invitation link"
    return match.group(1)


def _normalised(html: str) -> str:
    """The answer with what legitimately differs per request taken out."""
    html = re.sub(r'name="csrf_token" value="[^"]+"', "", html)
    html = re.sub(r"/invite/[A-Za-z0-9_\-]+", "/invite/TOKEN", html)
    html = re.sub(r"/settings/invitations/[0-9a-f-]+/", "/settings/invitations/ID/", html)
    html = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", "WHEN", html)
    return html.replace(VICTIM, "ADDRESS").replace(STRANGER, "ADDRESS")


def test_adding_an_existing_account_neither_joins_it_nor_touches_its_password(
    scene: Scene,
) -> None:
    with TestClient(scene.app) as attacker:
        assert login(attacker, ATTACKER).status_code == 303
        _add_member(attacker, VICTIM)
    assert memberships(scene.engine, VICTIM) == {"Werkgever A"}, "joined without accepting"
    with TestClient(scene.app) as someone:
        assert login(someone, VICTIM, "attacker-chosen-123").status_code == 401
        assert login(someone, VICTIM).status_code == 303


@pytest.mark.parametrize("password", ["", "attacker-chosen-123"])
def test_the_answer_is_the_same_whether_or_not_an_address_has_an_account(
    scene: Scene, password: str
) -> None:
    with TestClient(scene.app) as attacker:
        assert login(attacker, ATTACKER).status_code == 303
        known = _add_member(attacker, VICTIM, password)
        unknown = _add_member(attacker, STRANGER, password)
    assert known.status_code == unknown.status_code  # type: ignore[attr-defined]
    # Each page lists the open invitations made so far; compare the part about this one.
    known_text = _normalised(known.text).split("Open invitations")[0]  # type: ignore[attr-defined]
    unknown_text = _normalised(unknown.text).split("Open invitations")[0]  # type: ignore[attr-defined]
    assert known_text == unknown_text


def test_a_new_person_accepts_with_their_own_password_once(scene: Scene) -> None:
    with TestClient(scene.app) as owner:
        assert login(owner, ATTACKER).status_code == 303
        link = _invite_link(_add_member(owner, STRANGER).text)  # type: ignore[attr-defined]
    assert memberships(scene.engine, STRANGER) == set()
    with TestClient(scene.app) as invitee:
        page = invitee.get(link, headers=HTML)
        assert page.status_code == 200 and "Werkgever B" in page.text
        chosen = "my own secret pass 42"
        answer = invitee.post(
            link,
            data={"csrf_token": csrf_from(page.text), "password": chosen, "repeat": chosen},
            headers=HTML,
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert logged_in(invitee)
    assert memberships(scene.engine, STRANGER) == {"Werkgever B"}
    with TestClient(scene.app) as again:
        assert again.get(link, headers=HTML).status_code == 404  # one time only
        assert login(again, STRANGER, chosen).status_code == 303


def test_an_existing_user_accepts_by_logging_in_and_then_chooses(scene: Scene) -> None:
    with TestClient(scene.app) as owner:
        assert login(owner, ATTACKER).status_code == 303
        link = _invite_link(_add_member(owner, VICTIM).text)  # type: ignore[attr-defined]
    with TestClient(scene.app) as someone_else:
        page = someone_else.get(link, headers=HTML)
        wrong = someone_else.post(
            link,
            data={"csrf_token": csrf_from(page.text), "password": "guessing-the-victim"},
            headers=HTML,
            follow_redirects=False,
        )
        assert wrong.status_code in (401, 422)
    assert memberships(scene.engine, VICTIM) == {"Werkgever A"}
    with TestClient(scene.app) as victim:
        page = victim.get(link, headers=HTML)
        answer = victim.post(
            link,
            data={"csrf_token": csrf_from(page.text), "password": PASSWORD},
            headers=HTML,
            follow_redirects=False,
        )
        assert answer.status_code == 303
    assert memberships(scene.engine, VICTIM) == {"Werkgever A", "Werkgever B"}


def test_someone_with_several_employers_chooses_one_after_login(scene: Scene) -> None:
    agency = add_user(scene.engine, scene.a, "bureau@agency.example", role="marketer")
    add_membership(scene.engine, agency, scene.b, role="viewer")
    with TestClient(scene.app) as browser:
        assert login(browser, "bureau@agency.example").status_code == 303
        home = browser.get("/", headers=HTML, follow_redirects=False)
        assert home.status_code == 303 and home.headers["location"].startswith("/employer")
        assert browser.get("/api/v1/me").status_code == 401
        chooser = browser.get("/employer", headers=HTML).text
        assert "Werkgever A" in chooser and "Werkgever B" in chooser
        switch = browser.post(
            "/tenant",
            data={"csrf_token": csrf_from(chooser), "tenant_id": scene.b},
            headers=HTML,
            follow_redirects=False,
        )
        assert switch.status_code == 303
        assert browser.get("/api/v1/me").json()["tenant_name"] == "Werkgever B"


def test_switching_only_into_accepted_memberships(scene: Scene) -> None:
    with TestClient(scene.app) as owner:
        assert login(owner, ATTACKER).status_code == 303
        _add_member(owner, VICTIM)  # invited, not accepted
    with TestClient(scene.app) as victim:
        assert login(victim, VICTIM).status_code == 303
        page = victim.get("/", headers=HTML).text
        refused = victim.post(
            "/tenant",
            data={"csrf_token": csrf_from(page), "tenant_id": scene.b},
            headers=HTML,
            follow_redirects=False,
        )
        assert refused.status_code == 404
        assert victim.get("/api/v1/me").json()["tenant_name"] == "Werkgever A"


@pytest.mark.parametrize(
    "address",
    [
        "a@b",
        "two@@at.example",
        "no-at-sign.example",
        "spaces in@side.example",
        "<script>@x.example",
        "dots..together@x.example",
        "x" * 310 + "@example.nl",
    ],
)
def test_member_addresses_are_real_e_mail_addresses(scene: Scene, address: str) -> None:
    with TestClient(scene.app) as owner:
        assert login(owner, ATTACKER).status_code == 303
        console = _add_member(owner, address)
        assert console.status_code == 422  # type: ignore[attr-defined]
        assert 'id="e-email"' in console.text  # type: ignore[attr-defined]
        token = csrf_from(owner.get("/settings", headers=HTML).text)
        api = owner.post(
            "/api/v1/members",
            json={"email": address, "role": "viewer"},
            headers={"X-CSRF-Token": token},
        )
        assert api.status_code == 422
        assert "email" in api.text
    assert memberships(scene.engine, address) == set()
