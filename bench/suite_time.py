"""How long the test suite takes on a clean clone: `make test` and CI's SQLite pass.

What it does, in order:

1. ``git clone`` the committed repository at ``--ref`` (default: HEAD) into a temporary
   directory, so nothing of the working tree (``.venv``, caches, ``var/``) helps;
2. ``make setup airflow-setup browser-setup`` there (timed on its own: installing is not
   the suite);
3. ``make test`` against PostgreSQL (``KOERS_TEST_DATABASE_URL``), which runs ruff, mypy
   and pytest, exactly as ``.ci/run`` does; then CI's second pass on SQLite, the command
   read from the clone's own ``.ci/run`` (so a ref before or after a change of that line
   is measured as it was).

Each run is appended to ``bench/suite_time_runs.jsonl`` (ref, commit, wall and CPU
seconds, pytest's summary line, the load average before and after, since the machine is
shared) and the section in docs/benchmarks.md is rewritten from all runs, so a "before"
and an "after" measured with this command stand side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import write_section  # noqa: E402

RUNS = ROOT / "bench" / "suite_time_runs.jsonl"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
SQLITE_PASS = re.compile(r"^env -u KOERS_TEST_DATABASE_URL (.*pytest.*)$", re.MULTILINE)
SUMMARY = re.compile(r"=+ (.*(?:passed|failed).*) in [\d.]+s")


@dataclass(frozen=True)
class Step:
    wall_s: float
    cpu_s: float  # user + system of every process the step started
    summary: str
    exit_code: int


@dataclass(frozen=True)
class Run:
    date: str
    ref: str
    commit: str
    setup_s: float
    make_test: Step
    sqlite_pass: Step
    load_before: str
    load_after: str


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def timed(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> Step:
    """Run ``command``; its wall time, the CPU its processes used, pytest's summary."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with log.open("w") as out:
        done = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summaries = SUMMARY.findall(log.read_text())
    return Step(round(wall, 1), round(cpu, 1), summaries[-1] if summaries else "", done.returncode)


def measure(ref: str, postgres_url: str, keep: Path | None) -> Run:
    workdir = Path(tempfile.mkdtemp(prefix="koers-suite-")) if keep is None else keep
    clone = workdir / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "checkout", "--quiet", ref], cwd=clone, check=True)
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=clone, check=True, capture_output=True
        )
        .stdout.decode()
        .strip()
    )
    env = {k: v for k, v in os.environ.items() if k != "KOERS_TEST_DATABASE_URL"}
    started = time.monotonic()
    subprocess.run(
        ["make", "setup", "airflow-setup", "browser-setup"], cwd=clone, env=env, check=True
    )
    setup_s = round(time.monotonic() - started, 1)
    load_before = load_average()
    make_test = timed(
        ["make", "test"],
        clone,
        {**env, "KOERS_TEST_DATABASE_URL": postgres_url},
        workdir / "make-test.log",
    )
    found = SQLITE_PASS.search((clone / ".ci" / "run").read_text())
    if found is None:
        raise RuntimeError("no SQLite pass found in .ci/run")
    sqlite_pass = timed(shlex.split(found.group(1)), clone, env, workdir / "sqlite-pass.log")
    print(f"logs in {workdir}", file=sys.stderr)
    return Run(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        ref=ref,
        commit=commit,
        setup_s=setup_s,
        make_test=make_test,
        sqlite_pass=sqlite_pass,
        load_before=load_before,
        load_after=load_average(),
    )


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def outcome(step: dict[str, object]) -> str:
    return str(step["summary"] or f"exit {step['exit_code']}")


def report(runs: list[dict[str, object]]) -> str:
    rows = [
        "| date | ref (commit) | `make test` on PostgreSQL | CPU | its pytest | "
        "SQLite pass | CPU | its pytest | load before / after (1, 5, 15 min) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        pg, lite = run["make_test"], run["sqlite_pass"]
        assert isinstance(pg, dict) and isinstance(lite, dict)
        rows.append(
            f"| {run['date']} | {run['ref']} ({run['commit']}) | {minutes(pg['wall_s'])} | "
            f"{minutes(pg['cpu_s'])} | {outcome(pg)} | "
            f"{minutes(lite['wall_s'])} | {minutes(lite['cpu_s'])} | {outcome(lite)} | "
            f"{run['load_before']} / {run['load_after']} |"
        )
    return (
        "Each row is one run of the command on a fresh clone of the ref named; setup "
        "(virtualenvs, npm) is timed apart and left out. `make test` is ruff, mypy and "
        "pytest on PostgreSQL; the SQLite pass is the second pytest line of `.ci/run` as "
        "it stood at that ref. CPU is user + system time of every process the step "
        "started (PostgreSQL's own server processes are not among them). The machine is "
        "shared with other work: the load average says how busy it was.\n\n" + "\n".join(rows)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ref", default="HEAD", help="commit, branch or tag to measure")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("KOERS_TEST_DATABASE_URL", DEFAULT_POSTGRES),
        help="server for the PostgreSQL pass (trust auth, as in .ci/run)",
    )
    parser.add_argument("--workdir", type=Path, help="keep the clone and logs here")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the section from recorded runs"
    )
    args = parser.parse_args()
    if not args.report_only:
        run = measure(args.ref, args.postgres_url, args.workdir)
        with RUNS.open("a") as out:
            out.write(json.dumps(asdict(run)) + "\n")
        print(json.dumps(asdict(run), indent=2))
    runs = [json.loads(line) for line in RUNS.read_text().splitlines() if line.strip()]
    write_section("suite-time", "Test suite time (`make test` and CI's SQLite pass)", report(runs))


if __name__ == "__main__":
    main()
