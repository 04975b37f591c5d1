"""Long-running worker processes (relay, consumer) that stop cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType


def run_until_signalled(loop: Callable[[threading.Event], None]) -> None:
    """Run ``loop(stop)``; SIGTERM or SIGINT sets ``stop`` so the loop can finish its batch."""
    stop = threading.Event()

    def _request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, _request_stop)
    loop(stop)
