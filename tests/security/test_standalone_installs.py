"""Issue 12, class 13: each service installs and starts on its own, as its container image would.

A fresh virtualenv gets only the chassis and one service, installed from their
pyproject.toml (not editable), under the repository's pins. The service's app and CLI
must import and its database migrations must run: an import the package does not declare
would crash the container on start.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.security, pytest.mark.packaging]

ROOT = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).parent / "uv"


@pytest.mark.parametrize("service", ["campaigns", "landing", "analytics"])
def test_a_service_installed_alone_imports_its_app_and_migrates(
    service: str, tmp_path: Path
) -> None:
    # Build from copies: setuptools leaves build/ folders beside the sources it builds.
    sources = tmp_path / "src"
    for package in ("libs/koers", f"services/{service}"):
        shutil.copytree(
            ROOT / package,
            sources / package,
            ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"),
        )
    venv = tmp_path / "venv"
    subprocess.run([str(UV), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            str(UV),
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python),
            "-c",
            str(ROOT / "constraints.txt"),
            str(ROOT / "libs" / "koers"),
            str(ROOT / "services" / service),
        ],
        check=True,
        cwd=tmp_path,
    )
    # Run from an empty folder, so nothing of the checkout can be imported by accident.
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    imports = subprocess.run(
        [str(python), "-c", f"import {service}.main, {service}.cli"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert imports.returncode == 0, imports.stderr
    env[f"KOERS_{service.upper()}_DATABASE_URL"] = f"sqlite:///{tmp_path / 'service.db'}"

    migrated = subprocess.run(
        [str(venv / "bin" / f"koers-{service}"), "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    assert (tmp_path / "service.db").stat().st_size > 0
