"""docs/architecture.md's package map matches the tree, so a newcomer can trust it.

In a folder of its own: pytest puts a test module's folder on sys.path, and from
``tests/unit`` the test folders ``landing/`` and ``campaigns/`` would shadow the real
packages (installed in editable mode, found after sys.path) for the rest of the run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
SERVICES = ("campaigns", "landing", "analytics")
NOT_FEATURES = {"migrations"}


def _listed_packages() -> set[str]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Package map", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^- `((?:campaigns|landing|analytics)/[\w/]+)/`", section, re.M))


def _feature_packages() -> set[str]:
    found = set()
    for service in SERVICES:
        root = ROOT / "services" / service / service
        for init in root.glob("*/__init__.py"):
            if init.parent.name not in NOT_FEATURES:
                found.add(f"{service}/{init.parent.name}")
    return found


def test_every_listed_package_exists() -> None:
    missing = {
        name
        for name in _listed_packages()
        if not (ROOT / "services" / name.split("/")[0] / name).is_dir()
    }
    assert not missing, f"docs/architecture.md lists packages that do not exist: {missing}"


def test_every_feature_package_is_listed() -> None:
    unlisted = _feature_packages() - _listed_packages()
    assert not unlisted, f"feature packages missing from docs/architecture.md: {unlisted}"
