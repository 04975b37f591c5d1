"""Class 14 (campaigns): no console redirect is built from the Host header or leads to
another site, and the login's ``next`` only ever returns to a path on this site.

On the old code every redirect was an absolute URL made from the request's Host header.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from campaigns_security_kit import HTML, add_tenant, add_user, csrf_from, login, make_app
from fastapi import FastAPI
from fastapi.testclient import TestClient

from koers.db import make_engine

pytestmark = [pytest.mark.security, pytest.mark.integration]

OWNER = "owner@werkgever.example"
EVIL = {"Host": "evil.example"}


@pytest.fixture
def app(make_migrated_database_url: Callable[[str], str], tmp_path: Path) -> Iterator[FastAPI]:
    url = make_migrated_database_url("campaigns")
    engine = make_engine(url)
    add_user(engine, add_tenant(engine, "Werkgever"), OWNER)
    engine.dispose()
    yield make_app(url, tmp_path)


def _same_site(location: str) -> bool:
    parts = urlsplit(location)
    return (
        not parts.scheme
        and not parts.netloc
        and location.startswith("/")
        and not location.startswith("//")
        and "\\" not in location
    )


def test_redirects_never_follow_the_host_header(app: FastAPI) -> None:
    with TestClient(app) as browser:
        to_login = browser.get("/campaigns/x", headers={**HTML, **EVIL}, follow_redirects=False)
        assert to_login.status_code == 303
        assert _same_site(to_login.headers["location"]), to_login.headers["location"]
        token = csrf_from(browser.get("/login", headers=HTML).text)
        logged = browser.post(
            "/login",
            data={"email": OWNER, "password": "security test password 1", "csrf_token": token},
            headers={**HTML, **EVIL},
            follow_redirects=False,
        )
        assert logged.status_code == 303
        assert _same_site(logged.headers["location"]), logged.headers["location"]
        token = csrf_from(browser.get("/", headers=HTML).text)
        out = browser.post(
            "/logout", data={"csrf_token": token}, headers={**HTML, **EVIL}, follow_redirects=False
        )
        assert _same_site(out.headers["location"]), out.headers["location"]


@pytest.mark.parametrize(
    "next_path",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example/phish",
        "\\\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "/%0d%0aLocation:%20https://evil.example",
        "/\tevil",
    ],
)
def test_the_login_never_sends_anyone_to_another_site(app: FastAPI, next_path: str) -> None:
    with TestClient(app) as browser:
        answer = login(browser, OWNER, next=next_path)
        assert answer.status_code == 303
        location = answer.headers["location"]
        assert _same_site(location), location  # at worst a path on this site


def test_the_login_returns_to_the_page_asked_for(app: FastAPI) -> None:
    with TestClient(app) as browser:
        asked = browser.get("/audit?page=2", headers=HTML, follow_redirects=False)
        location = asked.headers["location"]
        assert location.startswith("/login?next=")
        form = browser.get(location, headers=HTML).text
        assert 'name="next" value="/audit?page=2"' in form
        answer = login(browser, OWNER, next="/audit?page=2")
        assert answer.headers["location"] == "/audit?page=2"
