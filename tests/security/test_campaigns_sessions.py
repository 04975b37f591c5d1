"""Class 2: sessions end when they should, and the session cookie carries nothing personal.

A session cookie copied elsewhere (another browser, a stolen copy) must stop working
when its owner logs out, changes the password, or is removed from the employer. On the
old code logout only cleared the cookie of the browser that clicked, nothing ended the
other copies, and a flash message (a candidate's name, a colleague's address) travelled
inside the signed, readable cookie.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from campaigns_security_kit import (
    HTML,
    PASSWORD,
    add_membership,
    add_tenant,
    add_user,
    choose,
    csrf_from,
    logged_in,
    login,
    make_app,
    session_cookie_payload,
)
from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from campaigns.web.flash import flash
from campaigns.web.rendering import redirect
from koers.db import make_engine

pytestmark = [pytest.mark.security, pytest.mark.integration]

OWNER = "owner@werkgever.example"
COLLEAGUE = "colleague@werkgever.example"


@pytest.fixture
def engine_and_app(
    make_migrated_database_url: Callable[[str], str], tmp_path: Path
) -> Iterator[tuple[Engine, FastAPI]]:
    url = make_migrated_database_url("campaigns")
    engine = make_engine(url)
    yield engine, make_app(url, tmp_path)
    engine.dispose()


def _copy(app: FastAPI, client: TestClient) -> TestClient:
    """A second browser holding a copy of ``client``'s session cookie."""
    copy = TestClient(app)
    for cookie in client.cookies.jar:
        copy.cookies.set(cookie.name, cookie.value)
    return copy


def _post(client: TestClient, url: str, data: dict[str, str]) -> int:
    token = csrf_from(client.get("/", headers=HTML).text)
    answer = client.post(
        url, data={"csrf_token": token, **data}, headers=HTML, follow_redirects=False
    )
    return answer.status_code


def test_logging_out_ends_every_copy_of_the_session(
    engine_and_app: tuple[Engine, FastAPI],
) -> None:
    engine, app = engine_and_app
    add_user(engine, add_tenant(engine, "Werkgever"), OWNER)
    with TestClient(app) as browser:
        assert login(browser, OWNER).status_code == 303
        stolen = _copy(app, browser)
        assert logged_in(stolen)
        assert _post(browser, "/logout", {}) == 303
        assert not logged_in(browser)
        assert not logged_in(stolen), "a copy of the session outlived the logout"


def test_changing_the_password_ends_the_other_sessions(
    engine_and_app: tuple[Engine, FastAPI],
) -> None:
    engine, app = engine_and_app
    add_user(engine, add_tenant(engine, "Werkgever"), OWNER)
    new_password = "a brand new password 2"
    with TestClient(app) as browser, TestClient(app) as other_device:
        assert login(browser, OWNER).status_code == 303
        assert login(other_device, OWNER).status_code == 303
        changed = _post(
            browser,
            "/account/password",
            {
                "current_password": PASSWORD,
                "new_password": new_password,
                "repeat_password": new_password,
            },
        )
        assert changed == 303
        assert logged_in(browser), "the browser that changed it stays logged in"
        assert not logged_in(other_device), "another session outlived the password change"
        with TestClient(app) as fresh:
            assert login(fresh, OWNER).status_code == 401
            assert login(fresh, OWNER, new_password).status_code == 303


def test_removal_from_an_employer_ends_the_sessions_working_there(
    engine_and_app: tuple[Engine, FastAPI],
) -> None:
    engine, app = engine_and_app
    employer = add_tenant(engine, "Werkgever")
    agency = add_tenant(engine, "Bureau")
    add_user(engine, employer, OWNER)
    colleague = add_user(engine, employer, COLLEAGUE, role="marketer")
    add_membership(engine, colleague, agency)
    with TestClient(app) as owner, TestClient(app) as removed:
        assert login(owner, OWNER).status_code == 303
        assert login(removed, COLLEAGUE).status_code == 303
        choose(removed, employer)
        assert "Werkgever" in removed.get("/", headers=HTML).text
        assert _post(owner, f"/settings/members/{colleague}", {"role": "remove"}) == 303
        # Not quietly moved to another employer: the session has ended.
        assert not logged_in(removed), "the removed member's session went on"


def test_flash_messages_and_the_cookie_carry_nothing_personal(
    engine_and_app: tuple[Engine, FastAPI],
) -> None:
    engine, app = engine_and_app
    add_user(engine, add_tenant(engine, "Werkgever"), OWNER)
    candidate = "Jolanda Vermeulen-Achterberg"

    # Any route that tells the next page about a candidate does it through flash().
    @app.post("/test-only/flash-a-candidate", name="flash_a_candidate")
    def flash_a_candidate(request: Request) -> Response:
        flash(request, f"{candidate} is marked as contacted.")
        return redirect(request, "campaign_list")

    with TestClient(app) as browser:
        assert login(browser, OWNER).status_code == 303
        assert OWNER not in session_cookie_payload(browser)
        assert _post(browser, "/test-only/flash-a-candidate", {}) == 303
        carried = session_cookie_payload(browser)
        assert candidate not in carried and "Vermeulen" not in carried
        assert OWNER not in carried
        page = browser.get("/", headers=HTML).text
        assert f"{candidate} is marked as contacted." in page
        assert candidate not in browser.get("/", headers=HTML).text  # shown once
