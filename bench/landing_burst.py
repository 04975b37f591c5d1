"""A candidate burst at ten times the normal rate for 60 s on two landing processes.

What it builds, then measures:

1. a fresh landing database (PostgreSQL, as in production; ``--sqlite`` for a file) with
   one published campaign (quiz, lead form, apply), applied by landing's own handlers;
2. two ``koers-landing serve`` processes as two replicas would run: CVs in the database,
   the form rate limit shared in Redis (``--limit database`` keeps it in the database),
   production limits (10 forms per minute per address, a burst of 20), each process its
   own port, and ONE port in front of them: the round-robin proxy of
   ``tests/support/round_robin.py`` in its own process (a Kubernetes Service's shape);
3. an open-loop load driver (httpx, asyncio): candidates arrive on a fixed schedule at
   ``--normal-rate`` x ``--factor`` per second whether or not earlier ones were answered,
   each from its own address (``X-Forwarded-For``, as the ingress sets it; uvicorn trusts
   it from 127.0.0.1), and each walks one journey: the page from an ad, one entry form,
   and its submission: a lead (50 %), the quiz (30 %) or an application with a PDF CV
   (20 %). A candidate fills in a form in seconds; the burst sends it at once, so the
   minimum fill time is off;
4. after the burst, counts what the database holds for the campaign (leads, applications,
   quiz results) against the submissions the processes acknowledged (303), and counts
   5xx answers and failed requests.

"Normal" is 5 candidates a second starting a journey (18,000 an hour, a large agency's
busiest hour); the burst is 50 a second, about 150 requests a second.

Run from the repository root (Redis at 127.0.0.1:6379, PostgreSQL at 127.0.0.1:5432):
    .venv/bin/python bench/landing_burst.py
The figures go into docs/benchmarks.md (section ``landing-burst``) unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import write_section  # noqa: E402
from bench.analytics_consumer import drop_postgres, fresh_postgres  # noqa: E402
from koers.db import make_engine, migrate, transaction  # noqa: E402
from koers.events import new_envelope  # noqa: E402
from landing.cli import MIGRATIONS_DIR  # noqa: E402
from landing.handlers import handlers  # noqa: E402
from landing.submissions.repository import applications, leads, quiz_results  # noqa: E402
from tests.support.landing_app import campaign, minimal_pdf  # noqa: E402

BIN = Path(sys.executable).parent
TENANT = "bench"
JOURNEYS = (("lead", 0.5), ("quiz", 0.3), ("apply", 0.2))
TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    failures: Counter[str] = field(default_factory=Counter)  # request kind -> no answer
    acknowledged: Counter[str] = field(default_factory=Counter)  # journey -> 303s
    late_starts: list[float] = field(default_factory=list)  # how late each journey began

    def record(self, kind: str, started: float, response: httpx.Response) -> None:
        self.latencies[kind].append(time.perf_counter() - started)
        self.statuses[kind][response.status_code] += 1


def prepare(database_url: str, slug: str) -> str:
    """Migrate and publish the campaign as landing's consumer would; its id."""
    migrate(database_url, MIGRATIONS_DIR)
    campaign_id = f"cmp-{slug}"
    envelope = new_envelope(
        campaign(slug=slug), source="campaigns", tenant_id=TENANT, campaign_id=campaign_id
    )
    engine = make_engine(database_url)
    with transaction(engine) as conn:
        for handler in handlers(("127.0.0.1",))[envelope.type]:
            handler(conn, envelope)
    engine.dispose()
    return campaign_id


def start_processes(
    args: argparse.Namespace, database_url: str, workdir: Path
) -> tuple[list[subprocess.Popen[bytes]], subprocess.Popen[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOERS_")}
    env |= {
        "KOERS_ENVIRONMENT": "development",
        "KOERS_LANDING_DATABASE_URL": database_url,
        "KOERS_LANDING_SECRET_KEY": uuid.uuid4().hex,
        "KOERS_SERVICE_TOKEN": "bench-service-token",
        "KOERS_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",  # the relay is not measured here
        "KOERS_LANDING_CV_STORAGE": "database",
        "KOERS_LANDING_CV_DIR": str(workdir / "no-cvs"),
        "KOERS_LANDING_MIN_FILL_SECONDS": "0",
        "KOERS_LOG_LEVEL": "WARNING",
    }
    if args.limit == "redis":
        env["KOERS_LANDING_REDIS_URL"] = args.redis
    else:
        env["KOERS_LANDING_RATE_LIMIT_SHARED"] = "true"
    servers = []
    for n, port in enumerate((args.port + 1, args.port + 2)):
        log = open(workdir / f"landing-{n}.log", "ab")  # noqa: SIM115 - lives with the process
        servers.append(
            subprocess.Popen(
                [str(BIN / "koers-landing"), "serve", "--port", str(port)],
                env=env,
                cwd=workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    ports = (args.port, args.port + 1, args.port + 2)
    proxy = subprocess.Popen(
        [sys.executable, "-m", "tests.support.round_robin", *map(str, ports)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    for port in (args.port + 1, args.port + 2, args.port):
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing answers on {port}; see {workdir}")
            time.sleep(0.2)
    return servers, proxy


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def journey(
    client: httpx.AsyncClient, base: str, slug: str, kind: str, pdf: bytes, tally: Tally
) -> None:
    """One candidate: the page, one entry form, its submission."""
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    headers = {"x-forwarded-for": address}
    step = "page"
    try:
        started = time.perf_counter()
        tally.record(
            "page", started, await client.get(f"{base}/j/{slug}?v=v-video", headers=headers)
        )
        step, started = "form", time.perf_counter()
        form = await client.get(f"{base}/j/{slug}/{kind}?v=v-video", headers=headers)
        tally.record("form", started, form)
        found = TOKEN.search(form.text)
        if not found:
            tally.failures["form without token"] += 1
            return
        data: dict[str, str] = {"form_token": found.group(1)}
        files = None
        if kind == "quiz":
            data |= {"q0": "0", "q1": "0"}
        else:
            data |= {"name": "Sanne de Vries", "phone": "06 12345678", "consent": "yes"}
            if kind == "lead":
                data["contact_channel"] = "whatsapp"
            else:
                data["email"] = "sanne@example.nl"
                files = {"cv": ("cv.pdf", pdf, "application/pdf")}
        step, started = f"submit {kind}", time.perf_counter()
        sent = await client.post(f"{base}/j/{slug}/{kind}", data=data, files=files, headers=headers)
        tally.record(f"submit {kind}", started, sent)
        if sent.status_code == 303:
            tally.acknowledged[kind] += 1
    except httpx.HTTPError as error:
        tally.failures[f"{step}: {type(error).__name__}"] += 1


async def burst(args: argparse.Namespace, base: str, slug: str) -> tuple[Tally, float, int]:
    rate = args.normal_rate * args.factor
    total = int(rate * args.seconds)
    rng = random.Random(args.seed)
    kinds = rng.choices([k for k, _ in JOURNEYS], [w for _, w in JOURNEYS], k=total)
    pdf = minimal_pdf("Curriculum vitae")
    tally = Tally()
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=100)
    async with httpx.AsyncClient(timeout=30, limits=limits, follow_redirects=False) as client:
        tasks = []
        began = time.perf_counter()
        for n, kind in enumerate(kinds):
            due = began + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tally.late_starts.append(max(0.0, time.perf_counter() - due))
            tasks.append(asyncio.create_task(journey(client, base, slug, kind, pdf, tally)))
        # Journeys still unanswered this long after the last one began count as failed
        # (a candidate gives up), so an overloaded run still ends and reports.
        _done, pending = await asyncio.wait(tasks, timeout=args.patience)
        for task in pending:
            task.cancel()
        tally.failures["journey unfinished after the wait"] += len(pending)
        await asyncio.gather(*pending, return_exceptions=True)
        elapsed = time.perf_counter() - began
    return tally, elapsed, total


def stored(database_url: str, campaign_id: str) -> Counter[str]:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        by_entry = conn.execute(
            sa.select(leads.c.entry_point, sa.func.count())
            .where(leads.c.campaign_id == campaign_id)
            .group_by(leads.c.entry_point)
        ).all()
        cvs = conn.scalar(
            sa.select(sa.func.count())
            .select_from(applications.join(leads))
            .where(leads.c.campaign_id == campaign_id, applications.c.cv_file.is_not(None))
        )
        quizzes = conn.scalar(
            sa.select(sa.func.count()).where(quiz_results.c.campaign_id == campaign_id)
        )
    engine.dispose()
    counts: Counter[str] = Counter({entry: n for entry, n in by_entry})
    counts["apply with CV"] = cvs or 0
    counts["quiz"] = quizzes or 0
    return counts


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def report(
    args: argparse.Namespace,
    tally: Tally,
    elapsed: float,
    total: int,
    counts: Counter[str],
    cpu: list[float],
    proxy_figures: dict[str, Any],
    loads: tuple[float, float],
) -> tuple[str, bool]:
    rate = args.normal_rate * args.factor
    tally.failures = +tally.failures  # drop zero counts
    fives = sum(n for st in tally.statuses.values() for code, n in st.items() if code >= 500)
    failed = sum(tally.failures.values())
    sent = Counter({kind: sum(tally.statuses[f"submit {kind}"].values()) for kind, _ in JOURNEYS})
    rows = []
    for kind in ("page", "form", "submit lead", "submit quiz", "submit apply"):
        lat = tally.latencies[kind]
        codes = ", ".join(f"{c}: {n:,}" for c, n in sorted(tally.statuses[kind].items()))
        rows.append(
            f"| {kind} | {len(lat):,} | {percentile(lat, 0.5) * 1000:.0f} | "
            f"{percentile(lat, 0.95) * 1000:.0f} | {percentile(lat, 0.99) * 1000:.0f} | "
            f"{max(lat, default=0) * 1000:.0f} | {codes} |"
        )
    stored_of = {"lead": counts["lead"], "quiz": counts["quiz"], "apply": counts["apply"]}
    # Lost: acknowledged (303) but not stored. More stored than acknowledged is no loss:
    # a submission the server took whose answer the driver stopped waiting for.
    lost = {k: max(0, tally.acknowledged[k] - stored_of[k]) for k, _ in JOURNEYS}
    unanswered = total - sum(sent.values())
    ok = (
        fives == 0
        and failed == 0
        and unanswered == 0
        and all(v == 0 for v in lost.values())
        and all(tally.acknowledged[k] == sent[k] for k, _ in JOURNEYS)
        and counts["apply with CV"] == counts["apply"]
    )
    requests = sum(len(v) for v in tally.latencies.values())
    late = percentile(tally.late_starts, 0.99)
    database = "SQLite (WAL)" if args.sqlite else "PostgreSQL"
    why_unreachable = proxy_figures.get("errors") or ""
    limit_home = "Redis" if args.limit == "redis" else "the database"
    acked = tally.acknowledged
    checks = [
        ("5xx answers", f"{fives}", fives == 0),
        (
            "requests without an answer",
            f"{failed} ({dict(tally.failures) or 'none'})",
            failed == 0,
        ),
        (
            "submissions sent / acknowledged (303)",
            f"{sum(sent.values()):,} / {sum(acked.values()):,}",
            sent == acked,
        ),
        (
            "leads stored / acknowledged",
            f"{counts['lead']:,} / {acked['lead']:,}",
            not lost["lead"],
        ),
        (
            "quiz results stored / acknowledged (stored >= acknowledged)",
            f"{counts['quiz']:,} / {acked['quiz']:,}",
            not lost["quiz"],
        ),
        (
            "applications stored (with their CV) / acknowledged (stored >= acknowledged)",
            f"{counts['apply']:,} ({counts['apply with CV']:,}) / {acked['apply']:,}",
            not lost["apply"] and counts["apply with CV"] == counts["apply"],
        ),
    ]
    check_rows = "\n".join(
        f"| {name} | {figure} | {'yes' if met else 'NO'} |" for name, figure, met in checks
    )
    markdown = f"""
{total:,} candidates in {args.seconds} s: {args.factor:g}x the normal rate of
{args.normal_rate:g} journeys/s, so {rate:g} journeys/s ({requests / elapsed:,.0f} requests/s
over {elapsed:.1f} s), open loop (the 99th percentile journey started {late * 1000:.0f} ms
late). Two `koers-landing serve` processes (one uvicorn worker each) on {database}, CVs
in the database, the form rate limit shared in {limit_home} at production settings
(10/min, burst 20, per address; every candidate its own address); one port in front
(round-robin proxy process; connections per process:
{", ".join(f"{n:,}" for n in proxy_figures.get("connections", []))}; connections the proxy
could not pass on: {proxy_figures.get("unreachable", "?")} {why_unreachable}). Journeys:
lead 50 %, quiz 30 %, apply with a PDF CV 20 %; each is the page, the entry form and its
submission. Load driver: httpx on asyncio, same machine.

| request | count | p50 ms | p95 ms | p99 ms | max ms | statuses |
|---|---:|---:|---:|---:|---:|---|
{chr(10).join(rows)}

| check | figure | met |
|---|---|---|
{check_rows}

CPU over the burst (user + system): the two landing processes {cpu[0]:.1f} s and
{cpu[1]:.1f} s ({(cpu[0] + cpu[1]) / elapsed:.0%} of one CPU together), the proxy
{cpu[2]:.1f} s, the load driver {cpu[3]:.1f} s. Machine load average (1 min)
{loads[0]:.1f} before and {loads[1]:.1f} after, on {os.cpu_count()} CPUs shared with other
work (the load driver, the proxy, PostgreSQL and Redis run on the same CPUs).
"""
    return markdown, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--normal-rate", type=float, default=5.0, help="journeys/s normally")
    parser.add_argument("--factor", type=float, default=10.0)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--port", type=int, default=18400, help="proxy; processes +1, +2")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead")
    parser.add_argument("--limit", choices=("redis", "database"), default="redis")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument(
        "--patience", type=float, default=90, help="seconds to wait for the last journeys"
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    slug = f"burst-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="koers-burst-") as tmp:
        workdir = Path(tmp)
        name = ""
        if args.sqlite:
            database_url = f"sqlite:///{workdir / 'landing.db'}"
        else:
            database_url, name = fresh_postgres(args.postgres)
        try:
            campaign_id = prepare(database_url, slug)
            servers, proxy = start_processes(args, database_url, workdir)
            try:
                load_before = os.getloadavg()[0]
                cpu_before = [cpu_seconds(s.pid) for s in (*servers, proxy)]
                driver_before = time.process_time()
                base = f"http://127.0.0.1:{args.port}"
                tally, elapsed, total = asyncio.run(burst(args, base, slug))
                cpu = [
                    cpu_seconds(s.pid) - b
                    for s, b in zip((*servers, proxy), cpu_before, strict=True)
                ]
                cpu.append(time.process_time() - driver_before)
                load_after = os.getloadavg()[0]
            finally:
                died = [s.returncode for s in servers if s.poll() is not None]
                if died:
                    for log in sorted(workdir.glob("landing-*.log")):
                        print(f"== {log.name}\n{log.read_text(errors='replace')[-3000:]}")
                    raise RuntimeError(f"a landing process exited during the burst: {died}")
                proxy.send_signal(signal.SIGTERM)
                out, _ = proxy.communicate(timeout=30)
                for server in servers:
                    server.send_signal(signal.SIGTERM)
                for server in servers:
                    server.wait(timeout=30)
            said = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
            proxy_figures = next((f for f in said if "connections" in f), {})
            counts = stored(database_url, campaign_id)
        finally:
            if name:
                drop_postgres(args.postgres, name)
    markdown, ok = report(
        args, tally, elapsed, total, counts, cpu, proxy_figures, (load_before, load_after)
    )
    print(markdown)
    if not args.no_write:
        write_section(
            "landing-burst", "Landing: a candidate burst at 10x on two processes", markdown
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
