"""SIGKILL the landing process while many candidates open the page at once.

Page views share commits (``landing/group_commit.py``): a view waits for the commit that
holds its PageViewed event. So every page the server answered before the kill has its
event in the outbox; a view lost with the process was never answered. Each candidate
here has a phone of their own (user agent), so each answered page carries a visit of
its own, and its visitor key names the event that must be stored.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa

from koers.db import make_engine, transaction
from koers.events import new_envelope
from koers.messaging.schema import outbox_table
from landing.handlers import HANDLERS
from landing.submissions.tokens import TokenSigner
from tests.conftest import free_port
from tests.support import loopback
from tests.support.processes import SERVICES, Stack
from tests.support.published_pages import lead_form_campaign

pytestmark = pytest.mark.reliability

VIEWS = 3000
KILL_AFTER = 800  # answered views before the SIGKILL
CAMPAIGN_ID = "cmp-views"
SLUG = "views-under-fire"


def _publish(database_url: str) -> None:
    """The page, applied by landing's own consumer handlers (no broker needed)."""
    published = lead_form_campaign(SLUG, "Kill")
    envelope = new_envelope(published, source="campaigns", tenant_id="t1", campaign_id=CAMPAIGN_ID)
    engine = make_engine(database_url)
    with transaction(engine) as conn:
        for handler in HANDLERS[envelope.type]:
            handler(conn, envelope)
    engine.dispose()


def _visitor_key(html: str, signer: TokenSigner) -> str:
    found = html.split('data-entry="lead" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    visit = signer.read_visit(parse_qs(urlsplit(found).query)["visit"][0], CAMPAIGN_ID)
    assert visit is not None
    return visit.visitor_key


@pytest.mark.timeout(600)
def test_every_answered_page_view_survives_a_sigkill(
    tmp_path: Path, make_migrated_database_url: Callable[[str], str]
) -> None:
    workdir = tmp_path / "stack"
    (workdir / "var").mkdir(parents=True)
    stack = Stack(
        workdir=workdir,
        bootstrap_servers="127.0.0.1:1",  # nothing is published here: the outbox is the proof
        database_urls={s: make_migrated_database_url(s) for s in SERVICES},
        ports={s: free_port() for s in SERVICES},
    )
    signer = TokenSigner("landing-test-secret")
    try:
        _publish(stack.database_urls["landing"])
        stack.start_api("landing")
        page_url = f"{stack.url('landing')}/j/{SLUG}?v=v1"

        answered: dict[int, str] = {}  # candidate -> the visit's key
        lock = threading.Lock()
        killed = threading.Event()
        client = loopback.client(timeout=30, limits=httpx.Limits(max_connections=20))

        def view(candidate: int) -> None:
            if killed.is_set():
                return
            try:
                response = client.get(page_url, headers={"user-agent": f"phone {candidate}"})
            except httpx.HTTPError:
                return  # the connection died with the process: not answered
            if response.status_code != 200:
                return
            key = _visitor_key(response.text, signer)
            with lock:
                answered[candidate] = key
                if len(answered) >= KILL_AFTER and not killed.is_set():
                    killed.set()
                    stack.kill("landing-api", signal.SIGKILL)

        started = time.monotonic()
        with client, ThreadPoolExecutor(max_workers=20) as pool:
            list(pool.map(view, range(VIEWS)))
        print(
            f"{len(answered)} views answered in {time.monotonic() - started:.1f}s, then killed",
            flush=True,
        )
        assert killed.is_set(), "the process was killed while candidates were viewing"
        answered_keys = set(answered.values())
        assert len(answered_keys) == len(answered) >= KILL_AFTER

        engine = make_engine(stack.database_urls["landing"])
        with engine.connect() as conn:
            values = conn.execute(
                sa.select(outbox_table.c.value).where(
                    outbox_table.c.value.contains('"type":"PageViewed"')
                )
            ).scalars()
            stored_keys = [v.split('"visitor_key":"', 1)[1].split('"', 1)[0] for v in values]
        engine.dispose()
        missing = answered_keys - set(stored_keys)
        assert not missing, f"{len(missing)} answered views have no stored PageViewed event"
        assert len(stored_keys) == len(set(stored_keys)), "each view stored once"
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop_all()
