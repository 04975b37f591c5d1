"""Writes that arrive together are committed together: page views and leads.

A page view's PageViewed event, and a lead with its LeadSubmitted event, must be durable
before the candidate gets an answer; but a transaction of its own per request (begin,
statements, commit, with SQLAlchemy's bookkeeping around each) cost more CPU than
everything else such a request does. So ``submit`` queues the item and waits; one writer
stores everything queued in a single transaction and then lets each waiting request go
on with its own result. Under load one commit carries the requests of a whole turn of
the event loop (with 10 connections, about 10); a lone request waits for nothing but
its own commit.

Nothing is acknowledged early: a request returns only after the commit that holds its
write. A commit that fails because of one item's data (``isolate`` says which errors are
such: a value the database refuses) is retried item by item, so only that item's request
fails; any other failed commit fails every request it carried (each candidate gets an
error page, and nothing of theirs is stored).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

Commit = Callable[[Sequence[Item]], Sequence[Result]]
"""Stores items in one transaction (a blocking call); returns one result per item."""

RunBlocking = Callable[..., Awaitable[Any]]
"""Runs a blocking call where the app runs database calls (``DatabaseCalls.run``)."""

Isolate = Callable[[Exception], bool]
"""Whether a failed commit may be one item's fault, worth retrying item by item."""


def _never(_exc: Exception) -> bool:
    return False


class GroupCommit(Generic[Item, Result]):
    """Group commit for the requests of one event loop.

    ``commit`` stores a batch in one transaction; ``run`` runs it in line (SQLite) or in
    a worker thread (PostgreSQL). In a thread, requests keep queueing while a commit is
    under way, and up to ``commits_in_flight`` commits overlap (a database server
    commits them in parallel; one at a time would make every request wait for the one
    before it).
    """

    def __init__(
        self,
        commit: Commit[Item, Result],
        run: RunBlocking,
        *,
        max_batch: int = 500,
        commits_in_flight: int = 1,
        isolate: Isolate = _never,
    ) -> None:
        self._commit = commit
        self._isolate = isolate
        self._run = run
        self._max_batch = max_batch
        self._max_writers = commits_in_flight
        self._queue: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writers = 0
        self._starting = 0  # writers scheduled that have not taken a batch yet
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, item: Item) -> Result:
        """Return ``item``'s result once it is committed; raise what its commit raised."""
        loop = asyncio.get_running_loop()
        committed: asyncio.Future[Result] = loop.create_future()
        self._queue.append((item, committed))
        if self._starting == 0 and self._writers < self._max_writers:
            # Scheduled, not run: the requests already in this turn of the event loop
            # queue their items before it takes the queue.
            self._writers += 1
            self._starting += 1
            writer = loop.create_task(self._write_queued())
            self._tasks.add(writer)  # a task nobody holds may be collected mid-commit
            writer.add_done_callback(self._tasks.discard)
        return await committed

    async def _write_queued(self) -> None:
        self._starting -= 1
        batch: list[tuple[Item, asyncio.Future[Result]]] = []
        try:
            while self._queue:
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                await self._write(batch)
                batch = []
        except BaseException:  # cancelled (the app stops): nobody waits forever
            waiting, self._queue = batch + self._queue, []
            for _, committed in waiting:
                committed.cancel()
            raise
        finally:
            self._writers -= 1

    async def _write(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._run(self._commit, [item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError("a group commit must return one result per item")
        except Exception as exc:  # noqa: BLE001 - raised in each request it carried
            if len(batch) > 1 and self._isolate(exc):
                for one in batch:  # one commit each: only the item at fault fails
                    await self._write([one])
                return
            for _, committed in batch:
                if not committed.done():
                    committed.set_exception(exc)
        else:
            for (_, committed), result in zip(batch, results, strict=True):
                if not committed.done():  # else its request was cancelled
                    committed.set_result(result)
