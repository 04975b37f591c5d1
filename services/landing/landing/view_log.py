"""Page views committed to the outbox in groups.

Every page view's PageViewed event must be durable before the page is sent, but a
transaction of its own per view (begin, insert, commit, with SQLAlchemy's bookkeeping
around each) cost more CPU than everything else a view does. So views that arrive
together are written together: ``record`` queues the event and waits; one writer
commits everything queued in a single transaction and then lets each waiting view go
on. Under load one commit carries the views of a whole turn of the event loop (with 10
connections, about 10 views); a lone view waits for nothing but its own commit.

Nothing is acknowledged early: a view returns only after the commit that holds its
event, and a failed commit fails every view it carried (each candidate gets an error
page, and no event of theirs is stored).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from koers.events import Envelope

CommitEvents = Callable[[Sequence[Envelope]], None]
"""Stores events in one transaction (a blocking call)."""

RunBlocking = Callable[[CommitEvents, Sequence[Envelope]], Awaitable[None]]
"""Runs a blocking call where the app runs database calls (``DatabaseCalls.run``)."""

Waiting = list[tuple[Envelope, "asyncio.Future[None]"]]


class ViewLog:
    """Group commit of outbox events for the requests of one event loop.

    ``commit`` stores a batch in one transaction; ``run`` runs it in line (SQLite) or in
    a worker thread (PostgreSQL). In a thread, views keep queueing while a commit is
    under way, and up to ``commits_in_flight`` commits overlap (a database server
    commits them in parallel; one at a time would make every view wait for the one
    before it).
    """

    def __init__(
        self,
        commit: CommitEvents,
        run: RunBlocking,
        *,
        max_batch: int = 500,
        commits_in_flight: int = 1,
    ) -> None:
        self._commit = commit
        self._run = run
        self._max_batch = max_batch
        self._max_writers = commits_in_flight
        self._queue: Waiting = []
        self._writers = 0
        self._starting = 0  # writers scheduled that have not taken a batch yet
        self._tasks: set[asyncio.Task[None]] = set()

    async def record(self, envelope: Envelope) -> None:
        """Return once ``envelope`` is committed; raise what its commit raised."""
        loop = asyncio.get_running_loop()
        committed: asyncio.Future[None] = loop.create_future()
        self._queue.append((envelope, committed))
        if self._starting == 0 and self._writers < self._max_writers:
            # Scheduled, not run: the requests already in this turn of the event loop
            # queue their views before it takes the queue.
            self._writers += 1
            self._starting += 1
            writer = loop.create_task(self._write_queued())
            self._tasks.add(writer)  # a task nobody holds may be collected mid-commit
            writer.add_done_callback(self._tasks.discard)
        await committed

    async def _write_queued(self) -> None:
        self._starting -= 1
        batch: Waiting = []
        try:
            while self._queue:
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                try:
                    await self._run(self._commit, [envelope for envelope, _ in batch])
                except Exception as exc:  # noqa: BLE001 - raised in each view it carried
                    _settle(batch, exc)
                else:
                    _settle(batch, None)
                batch = []
        except BaseException:  # cancelled (the app stops): nobody waits forever
            waiting, self._queue = batch + self._queue, []
            for _, committed in waiting:
                committed.cancel()
            raise
        finally:
            self._writers -= 1


def _settle(batch: Waiting, error: Exception | None) -> None:
    for _, committed in batch:
        if committed.done():  # its request was cancelled (the client went away)
            continue
        if error is None:
            committed.set_result(None)
        else:
            committed.set_exception(error)
