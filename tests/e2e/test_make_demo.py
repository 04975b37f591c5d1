"""``make demo`` in short (two weeks, a small budget) against a started stack: the weekly
job runs on autopilot each week, candidates reach the real landing page, spend comes in
as Meta CSVs through the API, analytics holds both, and the bulk files and chart exist."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from campaigns.catalog import repository as catalog_repo
from campaigns.decisions import repository as decisions_repo
from koers.broker import EmbeddedBroker
from koers.db import make_engine
from tests.support.processes import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]


def test_a_short_demo_runs_two_weeks_on_autopilot_through_the_real_stack(
    broker: EmbeddedBroker, make_stack: Callable[[str], Stack], tmp_path: Path
) -> None:
    stack = make_stack(broker.bootstrap_servers)
    stack.extra_env["KOERS_CAMPAIGNS_URL"] = f"http://127.0.0.1:{stack.ports['campaigns']}"
    stack.start_all()
    stack.run("campaigns", "seed-demo")
    out = tmp_path / "demo"

    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "deploy" / "dev" / "demo.py"),
            "--weeks",
            "2",
            "--budget",
            "60",
            "--out",
            str(out),
            "--no-report",
        ],
        env={**stack.env, "COLUMNS": "160"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=800,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "Leads per week" in result.stdout and "total" in result.stdout
    assert "Refused by the candidate pages" not in result.stdout  # every lead was taken
    assert sorted(p.name for p in (out / "spend").iterdir())[0].startswith("meta-")
    assert (out / "leads-vs-equal-split.svg").read_bytes().startswith(b"<?xml")
    engine = make_engine(stack.database_urls["campaigns"])
    try:
        with engine.connect() as conn:
            [campaign_id] = conn.execute(
                sa.select(catalog_repo.campaigns.c.id).where(
                    catalog_repo.campaigns.c.slug.like("demo-acht-weken-%")
                )
            ).scalars()
            weeks = sorted(p.name for p in (out / "spend").iterdir())
            decisions = [
                decisions_repo.decision_for(conn, campaign_id, w.removeprefix("meta-")[:8])
                for w in weeks
            ]
            files = decisions_repo.files_of(conn, campaign_id)
    finally:
        engine.dispose()
    # Autopilot decided each week (applied, or held with its reasons: never skipped).
    assert all(d is not None and d.status in ("autopilot", "held") for d in decisions)
    assert any(d is not None and d.status == "autopilot" for d in decisions)
    # The push of the autopilot weeks wrote the csv adapter's bulk files, and so did the demo.
    assert files and all((out / "bulk" / f.week / f.filename).exists() for f in files)
