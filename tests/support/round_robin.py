"""One port in front of several landing processes, as a Kubernetes Service is.

Production runs each landing replica as its own pod (one ``koers-landing serve`` process,
its own port) behind a Service whose proxy hands each new TCP connection to one of the
pods. This proxy does the same on loopback: it accepts on one port and pipes each
connection, whole, to the next backend in turn. We chose it over uvicorn's ``--workers``
(several processes accepting on one shared socket) because that is one pod's shape, not
the replicas' one, and the kernel's choice of worker would make "the other process
served it" a matter of chance; here connection *n* goes to backend *n mod N*, and
``connections`` says where each went.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager


class RoundRobinProxy:
    def __init__(self, port: int, backends: Sequence[int], host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self.backends = tuple(backends)
        self.connections = [0] * len(self.backends)
        self.unreachable = 0  # connections whose backend could not be reached
        self.errors: dict[str, int] = {}  # why, by error name
        self._next = itertools.cycle(range(len(self.backends)))
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="round-robin-proxy", daemon=True)
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("the proxy did not start")

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._pipe, self.host, self.port, backlog=1024)
        )
        self._started.set()
        self._loop.run_forever()
        self._server.close()
        with contextlib.suppress(Exception):
            self._loop.run_until_complete(self._server.wait_closed())
        self._loop.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = next(self._next)
        self.connections[index] += 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self.host, self.backends[index]
            )
        except OSError as error:
            self.unreachable += 1
            name = type(error).__name__
            self.errors[name] = self.errors.get(name, 0) + 1
            writer.close()  # the backend is down: the client sees a reset, as with a Service
            return
        await asyncio.gather(
            _copy(reader, upstream_writer), _copy(upstream_reader, writer), return_exceptions=True
        )


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@contextmanager
def round_robin(port: int, backends: Sequence[int]) -> Iterator[RoundRobinProxy]:
    proxy = RoundRobinProxy(port, backends)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


def main() -> None:
    """``python -m tests.support.round_robin PORT BACKEND_PORT...``: serve until SIGTERM,
    then print how many connections went to each backend (the load benchmark runs the
    proxy in its own process, so it takes no CPU from the load driver)."""
    import json
    import signal
    import sys

    port, *backends = (int(arg) for arg in sys.argv[1:])
    proxy = RoundRobinProxy(port, backends)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    proxy.start()
    print(json.dumps({"listening": port}), flush=True)
    stopped.wait()
    proxy.stop()
    said = {
        "connections": proxy.connections,
        "unreachable": proxy.unreachable,
        "errors": proxy.errors,
    }
    print(json.dumps(said), flush=True)


if __name__ == "__main__":
    main()
