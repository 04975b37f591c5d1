"""Start the real Koers processes (APIs, relays, consumers) for e2e and reliability tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import loopback

BIN = Path(sys.executable).parent
SERVICES = ("campaigns", "landing", "analytics")


def wait_until(predicate, timeout_s: float, interval_s: float = 0.1, message: str = "") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception as exc:  # the thing we wait for may not answer yet
            last_error = exc
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s}s: {message} (last error: {last_error})")


@dataclass
class Stack:
    """The environment of one Koers installation and the processes running in it."""

    workdir: Path
    bootstrap_servers: str
    database_urls: dict[str, str]
    ports: dict[str, int]
    service_token: str = "test-service-token"
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    """Settings a test adds or overrides for every process it starts."""
    migrated: bool = False
    """The databases are at the newest revision already (copies of the session's
    migrated templates): ``start_all`` skips the three ``migrate`` commands, each a
    process that imports a whole service."""

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KOERS_")}
        env.update(
            {
                "KOERS_ENVIRONMENT": "development",
                "KOERS_KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
                "KOERS_SERVICE_TOKEN": self.service_token,
                "KOERS_CAMPAIGNS_SECRET_KEY": "campaigns-test-secret",
                "KOERS_LANDING_SECRET_KEY": "landing-test-secret",
                "KOERS_CAMPAIGNS_DATABASE_URL": self.database_urls["campaigns"],
                "KOERS_LANDING_DATABASE_URL": self.database_urls["landing"],
                "KOERS_ANALYTICS_DATABASE_URL": self.database_urls["analytics"],
                "KOERS_ANALYTICS_URL": self.url("analytics"),
                "KOERS_LANDING_URL": self.url("landing"),
                "KOERS_VAR_DIR": str(self.workdir / "var"),
                "KOERS_DEMO_PASSWORD": "demo-password-for-tests",
                "KOERS_LOG_LEVEL": "INFO",
                # Scripts, not people, fill the forms in these tests.
                "KOERS_LANDING_MIN_FILL_SECONDS": "0",
            }
        )
        env.update(self.extra_env)
        return env

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def run(self, service: str, *args: str, timeout_s: float = 120) -> str:
        """Run a one-shot command (migrate, seed-demo) and return its output."""
        result = subprocess.run(
            [str(BIN / f"koers-{service}"), *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
        output = result.stdout.decode() + result.stderr.decode()
        if result.returncode != 0:
            raise AssertionError(f"koers-{service} {' '.join(args)} failed:\n{output}")
        return output

    def start(self, name: str, service: str, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - lives with the process
        process = subprocess.Popen(
            [str(BIN / f"koers-{service}"), *args],
            env=self.env,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes[name] = process
        return process

    def start_api(self, service: str) -> None:
        self.start(
            f"{service}-api",
            service,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.ports[service]),
        )
        wait_until(  # generous: the test machine is shared and often busy
            lambda: loopback.get(f"{self.url(service)}/healthz", timeout=1).status_code == 200,
            120,
            message=f"{service} /healthz",
        )

    def start_all(self) -> None:
        if not self.migrated:
            for service in SERVICES:
                self.run(service, "migrate")
        for service in SERVICES:
            self.start(f"{service}-relay", service, "relay")
            self.start(f"{service}-consumer", service, "consume")
            self.start_api(service)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        process.send_signal(sig)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def logs(self) -> str:
        parts = []
        for path in sorted(self.workdir.glob("*.log")):
            parts.append(f"===== {path.name}\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)
