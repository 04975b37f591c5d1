"""The overview's short hold on analytics' and landing's answers: kept for their time to
live per employer, shared by concurrent askers, forgotten when a contact is recorded, and
never holding an outage."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from campaigns.overview.cache import OverviewSources

pytestmark = pytest.mark.unit


POOL = ThreadPoolExecutor(8, thread_name_prefix="overview-sources-test")


def answer(sources: OverviewSources, key, read):  # type: ignore[no-untyped-def]
    return sources.ask(key, read, POOL).result(timeout=5)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_answers_are_kept_per_source_and_employer_for_their_time_to_live() -> None:
    clock = Clock()
    sources = OverviewSources({"funnels": 60.0, "contact_facts": 30.0}, clock=clock)
    reads: list[str] = []

    def read(label: str):  # type: ignore[no-untyped-def]
        return lambda: reads.append(label) or label

    answer(sources, ("funnels", "t-1", ("c-1",)), read("f1"))
    answer(sources, ("contact_facts", "t-1", ("c-1",)), read("k1"))
    answer(sources, ("funnels", "t-2", ("c-9",)), read("f2"))
    clock.now += 31
    assert answer(sources, ("funnels", "t-1", ("c-1",)), read("again")) == "f1"
    assert answer(sources, ("contact_facts", "t-1", ("c-1",)), read("k2")) == "k2"
    answer(sources, ("funnels", "t-1", ("c-1", "c-2")), read("f3"))  # another question
    clock.now += 30
    assert answer(sources, ("funnels", "t-1", ("c-1",)), read("f4")) == "f4"

    assert reads == ["f1", "k1", "f2", "k2", "f3", "f4"]


def test_forgetting_an_employers_contact_facts_leaves_the_rest() -> None:
    sources = OverviewSources(clock=Clock())
    answer(sources, ("contact_facts", "t-1", ()), lambda: "old")
    answer(sources, ("contact_facts", "t-2", ()), lambda: "theirs")
    answer(sources, ("funnels", "t-1", ()), lambda: "funnels")

    sources.forget("t-1", "contact_facts")

    assert answer(sources, ("contact_facts", "t-1", ()), lambda: "new") == "new"
    assert answer(sources, ("contact_facts", "t-2", ()), lambda: "x") == "theirs"
    assert answer(sources, ("funnels", "t-1", ()), lambda: "x") == "funnels"


def test_a_read_under_way_when_forgotten_answers_but_is_not_kept() -> None:
    sources = OverviewSources(clock=Clock())
    started, go_on = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        go_on.wait(5)
        return "before the contact"

    under_way = sources.ask(("contact_facts", "t-1", ()), slow, POOL)
    started.wait(5)
    sources.forget("t-1", "contact_facts")
    go_on.set()
    assert under_way.result(5) == "before the contact"

    assert answer(sources, ("contact_facts", "t-1", ()), lambda: "after") == "after"


def test_concurrent_askers_share_one_read_and_an_outage_is_not_kept() -> None:
    """The askers hold no pool thread while they wait: they share the read's future."""
    sources = OverviewSources(clock=Clock())
    calls = []

    def slow() -> str:
        calls.append(1)
        time.sleep(0.2)
        return "answer"

    asked = [sources.ask(("funnels", "t-1", ()), slow, POOL) for _ in range(8)]
    answers = [future.result(timeout=5) for future in asked]

    def down() -> str:
        raise ConnectionError("analytics is down")

    with pytest.raises(ConnectionError):
        answer(sources, ("funnels", "t-3", ()), down)
    assert answers == ["answer"] * 8 and len(calls) == 1
    assert answer(sources, ("funnels", "t-3", ()), lambda: "back") == "back"


def test_a_read_cancelled_before_it_ran_is_asked_again() -> None:
    sources = OverviewSources(clock=Clock())
    busy, free = ThreadPoolExecutor(1), threading.Event()
    busy.submit(free.wait, 5)  # the pool's only thread is taken: the read waits in line

    queued = sources.ask(("funnels", "t-1", ()), lambda: "never", busy)
    assert queued.cancel()
    free.set()

    assert answer(sources, ("funnels", "t-1", ()), lambda: "asked again") == "asked again"
    busy.shutdown()


def test_a_computed_value_is_kept_only_when_complete_and_until_forgotten() -> None:
    clock = Clock()
    sources = OverviewSources(clock=clock)

    def follow_up(value: str):  # type: ignore[no-untyped-def]
        return lambda: value

    def complete(value: str) -> bool:
        return value != "partial"

    key = ("follow_up", "t-1", ("c-1",))
    partial = sources.kept_or_compute(key, follow_up("partial"), keep=complete)
    whole = sources.kept_or_compute(key, follow_up("whole"), keep=complete)
    kept = sources.kept_or_compute(key, follow_up("newer"), keep=complete)
    sources.forget("t-1", "follow_up")
    after_a_dismissal = sources.kept_or_compute(key, follow_up("fresh"), keep=complete)
    clock.now += 31
    later = sources.kept_or_compute(key, follow_up("later"), keep=complete)

    assert (partial, whole, kept, after_a_dismissal, later) == (
        "partial",
        "whole",
        "whole",
        "fresh",
        "later",
    )
