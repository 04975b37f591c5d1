"""Python's cycle collector paused while the engine answers (and while analytics builds
its request from stored facts, :func:`analytics.proposals.domain.build_request`).

An allocation of 10,000 creatives makes some hundred thousand small containers (facts,
phrases, the response's dicts); each run of the cycle collector then walks every object
alive, the request's hundreds of thousands of history rows included. Measured on one
call of 10,000 creatives, that was about a third of its time. The engine makes no
reference cycles, so reference counting alone frees its garbage: the collector is
paused for the call and runs again as usual afterwards. Nested and concurrent calls
share one pause; it ends with the last of them and only if the collector was on.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_resume = False


@contextmanager
def paused() -> Iterator[None]:
    """Pause the cycle collector for the ``with`` block (a no-op when it is off)."""
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
