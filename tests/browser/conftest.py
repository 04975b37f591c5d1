"""Fixtures for the browser tests: the real landing app under uvicorn on a free port,
a published campaign, and Debian's Chromium driven by Playwright on a phone viewport.

axe-core comes from npm (``tests/browser/node_modules``, installed by ``make test`` with
``npm ci --prefix tests/browser``); no browser is ever downloaded.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from browser_support import ARTIFACTS, publish_campaign, publish_demo_campaign

from koers.db import make_engine, migrate
from landing.cli import MIGRATIONS_DIR
from landing.config import Settings
from landing.main import create_app

HERE = Path(__file__).resolve().parent
AXE_PATH = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0 Mobile Safari/537.36"
    ),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process keeps its own
        pass


@pytest.fixture(scope="session")
def landing_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The landing app (real uvicorn, real SQLite) with one published campaign."""
    workdir = tmp_path_factory.mktemp("landing-browser")
    database_url = f"sqlite:///{workdir / 'landing.db'}"
    migrate(database_url, MIGRATIONS_DIR)
    engine = make_engine(database_url)
    publish_campaign(engine)
    publish_demo_campaign(engine)
    engine.dispose()
    settings = Settings(
        database_url=database_url,
        secret_key="browser-test-secret",
        service_token="browser-test-token",
        kafka_bootstrap_servers="127.0.0.1:1",
        cv_dir=workdir / "cvs",
        min_fill_seconds=0,  # Playwright types faster than people; tested in unit tests
        rate_limit_per_minute=0,
    )
    port = _free_port()
    server = _Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the landing server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (Debian package 'chromium')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> Path:
    if not AXE_PATH.exists():
        pytest.fail(
            f"{AXE_PATH} is missing: `make test` installs it (npm ci --prefix tests/browser)"
        )
    return AXE_PATH


def _context(chromium: Any, **options: Any) -> Any:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return chromium.new_context(**{**PHONE, **options})


@pytest.fixture
def phone(chromium: Any, axe_source: Path) -> Iterator[Any]:
    """A phone-sized page; CSP bypassed so axe-core can be injected into it (the CSP
    itself is tested with :func:`strict_phone`)."""
    context = _context(chromium, bypass_csp=True, locale="nl-NL")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def strict_phone(chromium: Any) -> Iterator[Any]:
    """A phone-sized page that obeys the CSP, for tests of the CSP and of scripts."""
    context = _context(chromium, locale="nl-NL")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def no_js_phone(chromium: Any) -> Iterator[Any]:
    context = _context(chromium, java_script_enabled=False, locale="nl-NL")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def narrow_phone(chromium: Any) -> Iterator[Any]:
    """The narrowest phone candidates use (360 px), obeying the CSP."""
    context = _context(chromium, viewport={"width": 360, "height": 780}, locale="nl-NL")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(
        viewport={"width": 1440, "height": 900}, device_scale_factor=1, locale="nl-NL"
    )
    page = context.new_page()
    yield page
    context.close()
