"""A real ``airflow standalone`` (api-server, scheduler, dag-processor, triggerer) from
``.venv-airflow`` on a free port, with the repo's DAG folder and a known user.

Used by ``test_airflow_scheduler.py``: the product's ``AirflowScheduler`` talks to it over
the REST API v2 as it would to production's api-server.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import free_port
from tests.dags.test_airflow_dags import airflow_env, require_airflow_venv
from tests.support import loopback

STARTUP_TIMEOUT_S = 240


class AlertInbox:
    """A local webhook that keeps the JSON bodies POSTed to it (the DAGs' failure alerts)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                inbox.received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/alerts"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass(frozen=True)
class AirflowServer:
    base_url: str
    username: str
    password: str
    home: Path
    alerts: AlertInbox

    def token(self) -> str:
        response = loopback.post(
            f"{self.base_url}/auth/token",
            json={"username": self.username, "password": self.password},
            timeout=60,
        )
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def api(self) -> httpx.Client:
        """An authenticated client for the REST API v2 (what the tests check with)."""
        return loopback.client(
            base_url=f"{self.base_url}/api/v2",
            headers={"Authorization": f"Bearer {self.token()}"},
            timeout=60,
        )

    def logs(self) -> str:
        return (self.home / "standalone.log").read_text(errors="replace")[-6000:]


def start_airflow_standalone(home: Path, **variables: str) -> Iterator[AirflowServer]:
    """Start ``airflow standalone`` in ``home``; yield once its API lists both DAGs.

    Its failure alerts go to an :class:`AlertInbox` (``KOERS_ALERT_WEBHOOK_URL``)."""
    alerts = AlertInbox()
    executable = require_airflow_venv("airflow")
    port = free_port()
    username, password = "koers", secrets.token_urlsafe(12)
    # The simple auth manager keeps users' passwords in this file and only generates
    # one for a user it does not hold, so the test knows the password in advance.
    (home / "simple_auth_manager_passwords.json.generated").write_text(
        json.dumps({username: password}) + "\n"
    )
    env = airflow_env(home, **variables)
    env.update(
        {
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{username}:admin",
            # Runs only when triggered: no scheduled run competes with the tests' own.
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "false",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "false",
            "AIRFLOW__CORE__PARALLELISM": "4",
            # The DAG files do not change during a test: parsed at start, not every 30 s
            # (each parse imports Airflow again, on two cores the suite shares).
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "3600",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "AIRFLOW_VAR_KOERS_ALERT_WEBHOOK_URL": alerts.url,
            # Standalone starts its components as `airflow ...` from the PATH.
            "PATH": f"{executable.parent}:{env.get('PATH', '')}",
        }
    )
    log_file = (home / "standalone.log").open("wb")
    process = subprocess.Popen(
        [str(executable), "standalone"],
        env=env,
        cwd=home,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = AirflowServer(f"http://127.0.0.1:{port}", username, password, home, alerts)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            assert process.poll() is None, f"airflow standalone exited:\n{server.logs()}"
            try:
                with server.api() as api:
                    dags = api.get("/dags").json().get("dags", [])
                if {"koers_weekly_allocation", "koers_daily_retention"} <= {
                    dag["dag_id"] for dag in dags
                }:
                    break
            except (httpx.HTTPError, ValueError):
                pass
            assert time.monotonic() < deadline, f"Airflow did not come up:\n{server.logs()}"
            time.sleep(2)
        yield server
    finally:
        # Standalone starts its components as children: stop its whole process group.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log_file.close()
        alerts.close()
