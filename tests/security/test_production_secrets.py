"""Class 14: relays and consumers refuse to start in production without their secrets.

The real commands (``koers-<service> relay|consume``) in a production environment with
no secrets set: each must exit at once with an error naming the missing setting, instead
of running (and, for a consumer, waiting for a broker for ever).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.support.processes import BIN, SERVICES

pytestmark = pytest.mark.security


@pytest.mark.parametrize("command", ["relay", "consume"])
@pytest.mark.parametrize("service", SERVICES)
def test_a_worker_without_its_production_secrets_refuses_to_start(
    service: str, command: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOERS_")}
    env.update(
        {
            "KOERS_ENVIRONMENT": "production",
            f"KOERS_{service.upper()}_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "KOERS_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",  # nothing listens
            "KOERS_VAR_DIR": str(tmp_path),
        }
    )
    try:
        result = subprocess.run(
            [str(BIN / f"koers-{service}"), command],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"koers-{service} {command} started in production without its secrets")
    output = result.stdout.decode() + result.stderr.decode()
    assert result.returncode != 0
    assert "KOERS_SERVICE_TOKEN" in output, output[-2000:]
