"""A NUL-byte lead inside a busy group commit on PostgreSQL (issue 12, class 5).

A real ``koers-landing serve`` process on PostgreSQL takes many lead forms at once, so
its leads share commits; one of them carries a NUL character, which PostgreSQL refuses.
That candidate gets a form error; every other lead is stored, with exactly one
LeadSubmitted event each; and the process's log never shows the candidate's name.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from koers.db import make_engine, transaction
from koers.events import new_envelope
from koers.messaging.schema import outbox_table
from landing.handlers import HANDLERS
from landing.submissions.repository import leads
from tests.conftest import POSTGRES_URL, free_port
from tests.support import loopback
from tests.support.processes import wait_until
from tests.support.published_pages import lead_form_campaign

pytestmark = pytest.mark.reliability

SLUG = "nul-in-de-groep"
CANDIDATES = 300
BAD_NAME = "Nul\x00Byte Kandidaat"
SECRET_SURNAME = "Kandidaat-Geheimnaam"


@pytest.fixture
def database_url(make_migrated_database_url: Callable[[str], str]) -> str:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL only: set KOERS_TEST_DATABASE_URL")
    url = make_migrated_database_url("landing")
    engine = make_engine(url)
    envelope = new_envelope(
        lead_form_campaign(SLUG, "NUL"), source="campaigns", tenant_id="t1", campaign_id="c1"
    )
    with transaction(engine) as conn:
        for handler in HANDLERS[envelope.type]:
            handler(conn, envelope)
    engine.dispose()
    return url


@pytest.fixture
def landing(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    log_path = tmp_path / "landing.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOERS_")}
    env.update(
        {
            "KOERS_LANDING_DATABASE_URL": database_url,
            "KOERS_LANDING_SECRET_KEY": "nul-test-secret",
            "KOERS_SERVICE_TOKEN": "nul-test-token",
            "KOERS_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
            "KOERS_LANDING_RATE_LIMIT_PER_MINUTE": "0",
            "KOERS_LANDING_MIN_FILL_SECONDS": "0",
            "KOERS_LANDING_CV_DIR": str(tmp_path / "cvs"),
            "KOERS_LOG_LEVEL": "DEBUG",
        }
    )
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "koers-landing"), "serve", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: loopback.get(f"{url}/healthz", timeout=1).status_code == 200,
            60,
            message="landing /healthz",
        )
        yield url, log_path
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _form_token(client: httpx.Client) -> str:
    page = client.get(f"/j/{SLUG}/lead")
    page.raise_for_status()
    match = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def test_a_nul_byte_lead_in_a_busy_group_commit_costs_no_other_lead(
    landing: tuple[str, Path], database_url: str
) -> None:
    url, log_path = landing
    with loopback.client(base_url=url, timeout=30) as client:
        tokens = [_form_token(client) for _ in range(CANDIDATES)]
    names = [f"Kandidaat {i}" for i in range(CANDIDATES)]
    bad = CANDIDATES // 2
    names[bad] = f"{BAD_NAME} {SECRET_SURNAME}"

    def send(index: int) -> int:
        with loopback.client(base_url=url, timeout=30) as client:
            response = client.post(
                f"/j/{SLUG}/lead",
                data={
                    "form_token": tokens[index],
                    "name": names[index],
                    "phone": "06 12345678",
                    "contact_channel": "whatsapp",
                    "consent": "yes",
                },
                follow_redirects=False,
            )
            return response.status_code

    with ThreadPoolExecutor(max_workers=100) as pool:
        answers = list(pool.map(send, range(CANDIDATES)))

    assert answers[bad] == 422
    assert [a for i, a in enumerate(answers) if i != bad] == [303] * (CANDIDATES - 1)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            stored = {row.name: str(row.lead_id) for row in conn.execute(sa.select(leads))}
            events = [
                json.loads(v) for v in conn.execute(sa.select(outbox_table.c.value)).scalars()
            ]
    finally:
        engine.dispose()
    assert set(stored) == set(names) - {names[bad]}
    submitted = sorted(e["payload"]["lead_id"] for e in events if e["type"] == "LeadSubmitted")
    assert submitted == sorted(stored.values())
    assert SECRET_SURNAME not in log_path.read_text(errors="replace")
