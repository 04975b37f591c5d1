"""Where an async route makes a (blocking) database call: in line for SQLite, in a
worker thread for a database server.

A SQLite transaction is a library call into a local file; in WAL mode with
``synchronous=NORMAL`` (``koers.db``) a commit appends to the log without an fsync and
takes about a tenth of a millisecond. Handing it to a worker thread and back costs more
than that, and the worker and the event loop then contend for the GIL: every system call
either of them makes gives it up, and taking it back can wait for the other thread's
switch interval. Measured with ``bench/landing_pages.py`` on SQLite, the in-line call
cut a page view's server CPU time by 20-35 %. The price: while another process holds
SQLite's write lock (a relay batch, the retention job) the event loop waits for it, and
with it the requests that need no database; the writes among them would wait anyway.

A PostgreSQL call waits on the network and, at commit, on the server's fsync, so it runs
in a worker thread: the event loop serves other requests meanwhile, and concurrent
commits share their fsyncs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

P = ParamSpec("P")
T = TypeVar("T")


class DatabaseCalls:
    def __init__(self, engine: Engine) -> None:
        self.in_line = engine.dialect.name == "sqlite"

    async def run(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``call(*args, **kwargs)``, in line or in a worker thread (see above)."""
        if self.in_line:
            return call(*args, **kwargs)
        return await run_in_threadpool(call, *args, **kwargs)
