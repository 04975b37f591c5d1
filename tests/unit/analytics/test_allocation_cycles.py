"""The engine pauses Python's cycle collector for a call, and leaves it as it found it."""

from __future__ import annotations

import gc
import threading

import pytest

from analytics.allocation import AllocationRequest, allocate, cycles

pytestmark = pytest.mark.unit

REQUEST = {
    "campaign_id": "c",
    "week": "2026-W20",
    "budget": 1000.0,
    "variants": [
        {"variant_id": "a", "channel": "linkedin", "created_week": "2026-W18"},
        {"variant_id": "b", "channel": "tiktok", "created_week": "2026-W18"},
    ],
    "history": [
        {
            "variant_id": v,
            "week": w,
            "spend": 100.0,
            "impressions": 1000,
            "clicks": 40,
            "conversions": c,
        }
        for v, c in (("a", 3), ("b", 6))
        for w in ("2026-W18", "2026-W19")
    ],
}


def test_the_collector_is_off_during_a_call_and_on_again_after() -> None:
    assert gc.isenabled()
    with cycles.paused():
        assert not gc.isenabled()
        with cycles.paused():  # nested
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    allocate(AllocationRequest.model_validate(REQUEST))
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_caller_stays_off() -> None:
    gc.disable()
    try:
        allocate(AllocationRequest.model_validate(REQUEST))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_concurrent_calls_share_one_pause() -> None:
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with cycles.paused():
            inside.set()
            release.wait(5)

    other = threading.Thread(target=hold)
    other.start()
    inside.wait(5)
    allocate(AllocationRequest.model_validate(REQUEST))
    assert not gc.isenabled()  # the other call is still inside its pause
    release.set()
    other.join(5)
    assert gc.isenabled()


def test_a_call_leaves_no_cycles_for_the_collector() -> None:
    request = AllocationRequest.model_validate(REQUEST)
    allocate(request)
    gc.collect()
    allocate(request)
    assert gc.collect() == 0
