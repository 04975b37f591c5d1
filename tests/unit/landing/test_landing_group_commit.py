"""Page views and leads share commits (``group_commit.py``), and a request is answered
only once its write is committed: with fakes of the commit and the database runner, and
through the app with a real database, concurrent views and concurrent leads."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from landing_support import USER_AGENT, FrozenClock, entry_links, form_token, outbox

from koers.events import CampaignPublished, Envelope, PageViewed, new_envelope
from landing.config import Settings
from landing.main import create_app
from landing.submissions.group_commit import GroupCommit
from landing.submissions.tokens import TokenSigner
from tests.support.event_loop import run_in_own_loop

pytestmark = pytest.mark.unit


def _viewed(n: int) -> Envelope:
    payload = PageViewed(
        variant_id="v-video",
        visitor_key=f"{n:064x}",
        visited_at=FrozenClock().now,
        utm_source=None,
    )
    return new_envelope(payload, source="landing", tenant_id="t1", campaign_id="c1")


class FakeStore:
    """Commits in memory; can be told to fail the next commit."""

    def __init__(self) -> None:
        self.commits: list[list[Envelope]] = []
        self.fail_next = False

    def commit(self, events: Sequence[Envelope]) -> list[None]:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("database is locked")
        self.commits.append(list(events))
        return [None] * len(events)

    def committed(self) -> set[str]:
        return {str(e.event_id) for batch in self.commits for e in batch}


Commit = Callable[[Sequence[Envelope]], Sequence[None]]


async def in_line(commit: Commit, events: Sequence[Envelope]) -> Sequence[None]:
    return commit(events)


async def record_all(
    log: GroupCommit[Envelope, None], events: list[Envelope]
) -> list[BaseException | None]:
    results = await asyncio.gather(*(log.submit(e) for e in events), return_exceptions=True)
    return [r if isinstance(r, BaseException) else None for r in results]


def test_views_arriving_together_share_one_commit_and_return_after_it() -> None:
    store = FakeStore()
    log = GroupCommit(store.commit, in_line)
    events = [_viewed(n) for n in range(10)]
    returned_before_commit: list[bool] = []

    async def view(event: Envelope) -> None:
        await log.submit(event)
        returned_before_commit.append(str(event.event_id) not in store.committed())

    async def main() -> None:
        await asyncio.gather(*(view(e) for e in events))

    run_in_own_loop(main)
    assert [len(batch) for batch in store.commits] == [10]
    assert store.commits[0] == events, "in the order they arrived"
    assert returned_before_commit == [False] * 10


def test_a_lone_view_gets_a_commit_of_its_own_at_once() -> None:
    store = FakeStore()
    log = GroupCommit(store.commit, in_line)

    async def main() -> None:
        await asyncio.wait_for(log.submit(_viewed(1)), timeout=5)
        await asyncio.wait_for(log.submit(_viewed(2)), timeout=5)

    run_in_own_loop(main)
    assert [len(batch) for batch in store.commits] == [1, 1]


def test_a_failed_commit_fails_every_view_it_carried_and_no_other() -> None:
    store = FakeStore()
    log = GroupCommit(store.commit, in_line)
    first, second = [_viewed(n) for n in range(3)], [_viewed(n) for n in range(3, 5)]

    async def main() -> tuple[list[BaseException | None], list[BaseException | None]]:
        store.fail_next = True
        failed = await record_all(log, first)
        stored = await record_all(log, second)
        return failed, stored

    failed, stored = run_in_own_loop(main)
    assert all(isinstance(error, RuntimeError) for error in failed)
    assert stored == [None, None]
    assert store.committed() == {str(e.event_id) for e in second}


def test_batches_are_bounded() -> None:
    store = FakeStore()
    log = GroupCommit(store.commit, in_line, max_batch=4)
    run_in_own_loop(lambda: record_all(log, [_viewed(n) for n in range(10)]))
    assert [len(batch) for batch in store.commits] == [4, 4, 2]


def test_views_keep_queueing_while_a_commit_runs_in_a_worker_thread() -> None:
    """As on PostgreSQL: the commit runs in a thread, the event loop goes on serving, and
    the views that arrive meanwhile go together in the next commit."""
    store = FakeStore()
    first_commit_started = threading.Event()
    release_first_commit = threading.Event()

    def slow_commit(events: Sequence[Envelope]) -> Sequence[None]:
        if not store.commits and not first_commit_started.is_set():
            first_commit_started.set()
            release_first_commit.wait(5)
        return store.commit(events)

    async def in_thread(commit: Commit, events: Sequence[Envelope]) -> Sequence[None]:
        return await asyncio.to_thread(commit, events)

    log = GroupCommit(slow_commit, in_thread, commits_in_flight=1)

    async def main() -> None:
        first = asyncio.ensure_future(log.submit(_viewed(0)))
        await asyncio.to_thread(first_commit_started.wait, 5)
        later = [asyncio.ensure_future(log.submit(_viewed(n))) for n in range(1, 6)]
        await asyncio.sleep(0.05)
        assert not first.done(), "answered before its commit"
        release_first_commit.set()
        await asyncio.wait_for(asyncio.gather(first, *later), timeout=5)

    run_in_own_loop(main)
    assert [len(batch) for batch in store.commits] == [1, 5]


def test_on_a_database_server_commits_overlap_up_to_the_limit() -> None:
    """Views do not wait for a slow commit they are not in, while fewer than
    ``commits_in_flight`` commits run; beyond that they queue for the next."""
    store = FakeStore()
    lock = threading.Lock()
    running = [0, 0]  # now, most at once
    release = threading.Event()

    def slow_commit(events: Sequence[Envelope]) -> Sequence[None]:
        with lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
        release.wait(5)
        with lock:
            running[0] -= 1
            return store.commit(events)

    async def in_thread(commit: Commit, events: Sequence[Envelope]) -> Sequence[None]:
        return await asyncio.to_thread(commit, events)

    log = GroupCommit(slow_commit, in_thread, commits_in_flight=2)

    async def main() -> None:
        views = []
        for n in range(4):  # one view per turn of the event loop
            views.append(asyncio.ensure_future(log.submit(_viewed(n))))
            await asyncio.sleep(0.05)
        assert running[0] == 2, "two commits run, the later views wait for a writer"
        release.set()
        await asyncio.wait_for(asyncio.gather(*views), timeout=5)

    run_in_own_loop(main)
    assert running[1] == 2
    assert len(store.committed()) == 4


def test_a_view_whose_client_went_away_is_still_stored_and_others_go_on() -> None:
    store = FakeStore()
    log = GroupCommit(store.commit, in_line)

    async def main() -> None:
        gone = asyncio.ensure_future(log.submit(_viewed(0)))
        staying = asyncio.ensure_future(log.submit(_viewed(1)))
        await asyncio.sleep(0)
        gone.cancel()
        await asyncio.wait_for(staying, timeout=5)
        await log.submit(_viewed(2))

    run_in_own_loop(main)
    assert len(store.committed()) == 3


def test_concurrent_page_views_each_store_their_event_before_the_page(
    settings: Settings, clock: FrozenClock, engine: sa.Engine, published: CampaignPublished
) -> None:
    """Through the app on the real database: 30 candidates at once (each a different
    phone), every page answered carries a visit whose PageViewed event is stored."""
    app = create_app(settings, clock=clock)
    signer = TokenSigner(settings.secret_key, clock=lambda: clock().timestamp())

    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://landing") as client:
            return await asyncio.gather(
                *(
                    client.get(
                        "/j/klantenservice-utrecht?v=v-video&utm_source=tiktok",
                        headers={"user-agent": f"{USER_AGENT} {n}", "accept": "text/html"},
                    )
                    for n in range(30)
                )
            )

    responses = run_in_own_loop(main)
    assert [r.status_code for r in responses] == [200] * 30
    answered = set()
    for response in responses:
        link = entry_links(response.text)["lead"]
        visit = signer.read_visit(parse_qs(urlsplit(link).query)["visit"][0], "cmp-1")
        assert visit is not None, "the entry links carry the visit"
        answered.add(visit.visitor_key)
    views = outbox(engine, "PageViewed")
    assert len(answered) == 30
    assert sorted(e["payload"]["visitor_key"] for e in views) == sorted(answered)
    assert all(e["payload"]["utm_source"] == "tiktok" for e in views)


def _lead_data(token: str, n: int) -> dict[str, str]:
    return {
        "form_token": token,
        "name": f"Kandidaat {n}",
        "phone": f"06 1234{n:04d}",
        "contact_channel": "whatsapp",
        "best_moment": "evening",
        "consent": "yes",
    }


def test_concurrent_leads_share_commits_and_each_is_stored_once_with_its_event(
    settings: Settings, clock: FrozenClock, engine: sa.Engine, published: CampaignPublished
) -> None:
    """Through the app on the real database: 20 candidates submit at once, two of them
    twice with the same form (a double click). Every 303 names a stored lead, each form
    makes one lead and one LeadSubmitted event, and the leads shared their commits."""
    app = create_app(settings, clock=clock)
    commits: list[int] = []
    slow_server = app.state.engine.dialect.name == "postgresql"

    def committed(conn: object) -> None:
        commits.append(1)
        # On a database server the commit runs in a worker thread while the event loop
        # takes in more requests; a first commit as slow as a busy server's makes the
        # sharing certain instead of a race with a loaded test machine.
        if slow_server and len(commits) == 1:
            time.sleep(0.3)

    sa.event.listen(app.state.engine, "commit", committed)

    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://landing") as client:
            headers = {"user-agent": USER_AGENT, "accept": "text/html"}
            page = await client.get("/j/klantenservice-utrecht?v=v-video", headers=headers)
            forms = [
                await client.get(entry_links(page.text)["lead"], headers=headers) for _ in range(20)
            ]
            tokens = [form_token(form.text) for form in forms]
            commits.clear()
            posts = [_lead_data(token, n) for n, token in enumerate(tokens)]
            posts += [_lead_data(tokens[0], 0), _lead_data(tokens[1], 1)]  # double clicks
            return await asyncio.gather(
                *(
                    client.post("/j/klantenservice-utrecht/lead", data=data, headers=headers)
                    for data in posts
                )
            )

    responses = run_in_own_loop(main)
    assert [r.status_code for r in responses] == [303] * 22
    assert responses[20].headers["location"] == responses[0].headers["location"]
    assert responses[21].headers["location"] == responses[1].headers["location"]
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT lead_id, name FROM leads")).all()
    assert sorted(name for _, name in stored) == sorted(f"Kandidaat {n}" for n in range(20))
    events = outbox(engine, "LeadSubmitted")
    assert sorted(e["payload"]["lead_id"] for e in events) == sorted(
        str(uuid.UUID(str(lead_id))) for lead_id, _ in stored
    )
    # 22 posts: fewer commits means leads that arrived together shared one. How many share
    # depends on the machine's load, so only "some did" is certain.
    assert len(commits) < len(responses), "leads arriving together share a commit"


def test_a_repeated_form_in_a_shared_commit_gets_the_lead_stored_before(
    settings: Settings, clock: FrozenClock, engine: sa.Engine, published: CampaignPublished
) -> None:
    """One form already stored, submitted again together with new ones: the new ones are
    stored, the repeat gets the earlier lead and no second event."""
    app = create_app(settings, clock=clock)

    async def main() -> tuple[httpx.Response, list[httpx.Response]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://landing") as client:
            headers = {"user-agent": USER_AGENT, "accept": "text/html"}
            page = await client.get("/j/klantenservice-utrecht?v=v-video", headers=headers)
            tokens = [
                form_token((await client.get(entry_links(page.text)["lead"])).text)
                for _ in range(4)
            ]
            url = "/j/klantenservice-utrecht/lead"
            first = await client.post(url, data=_lead_data(tokens[0], 0), headers=headers)
            together = await asyncio.gather(
                *(
                    client.post(url, data=_lead_data(token, n), headers=headers)
                    for n, token in enumerate(tokens)
                )
            )
            return first, together

    first, together = run_in_own_loop(main)
    assert [r.status_code for r in [first, *together]] == [303] * 5
    assert together[0].headers["location"] == first.headers["location"]
    assert len(outbox(engine, "LeadSubmitted")) == 4
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM leads")).scalar_one() == 4
