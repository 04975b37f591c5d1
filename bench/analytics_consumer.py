"""Consumer throughput: candidate events/s from the broker into stored weekly facts.

What it does, end to end, with the real pieces:

1. starts a real embedded broker (``koers.broker.EmbeddedBroker``) on a free port;
2. publishes N valid candidate events (page views, entry starts, quiz completions, leads,
   applications) for a few campaigns, and keeps the funnel counts they must produce;
3. migrates a fresh analytics database (SQLite, and with ``--postgres`` a new PostgreSQL
   database) and runs ONE ``koers-analytics consume`` process against it;
4. waits until every event is recorded as processed, stops the consumer (SIGTERM) and
   checks the stored weekly facts equal what was sent, cell by cell;
5. writes the figures into docs/benchmarks.md (section ``analytics-consumer``; with
   ``--events`` of 1,000,000 or more, section ``analytics-backlog``).

The consumer's resident memory (RSS, from /proc) is sampled at every progress check
while it drains, so a backlog run shows whether memory stays flat: the drain counts as
flat when RSS at the end is within 10 % (or 16 MiB) of RSS once a tenth was applied,
after the first batches have warmed the caches.

Throughput is measured from the first to the last applied event, from the
``processed_at`` the consumer writes beside each event's effect: events applied after
the first applied batch, divided by the time between the first and the last batch. The
group join and the process start-up are reported separately (wall clock), as they are
paid once per process, not per event.

Run from the repository root:
    .venv/bin/python bench/analytics_consumer.py --events 50000 [--postgres URL]
    .venv/bin/python bench/analytics_consumer.py --events 1000000 --repeats 1 \
        --poll-interval 2 [--postgres URL]      (the backlog: about 4 min per database)
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from kafka import KafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import write_section

from analytics.storage.schema import migrate_database, weekly_funnel_table
from koers.broker import EmbeddedBroker
from koers.db import make_engine
from koers.events import (
    CANDIDATE_EVENTS_TOPIC,
    ApplicationSubmitted,
    EntryStarted,
    LeadSubmitted,
    PageViewed,
    Payload,
    QuizCompleted,
    new_envelope,
)
from koers.messaging.schema import processed_events_table

TARGET_EVENTS_PER_S = 5_000
BACKLOG_EVENTS = 1_000_000
FLAT_GROWTH = 0.10  # RSS may grow this much (or FLAT_SLACK_KIB) from 10 % applied to the end
FLAT_SLACK_KIB = 16 * 1024
CAMPAIGNS = 4
VARIANTS = ("instagram-1", "tiktok-1", "linkedin-1", "facebook-1", "instagram-2")
FIRST_VISIT = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)  # a Monday; 12 weeks follow
Cell = tuple[str, str, str, str]  # campaign, variant, ISO week, counter


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def candidate_events(count: int, seed: int) -> tuple[list[tuple[str, bytes]], Counter[Cell]]:
    """``count`` serialised envelopes (key, value) and the counters they must move."""
    rng = random.Random(seed)
    campaigns = [f"bench-{uuid.uuid4().hex[:8]}" for _ in range(CAMPAIGNS)]
    messages: list[tuple[str, bytes]] = []
    expected: Counter[Cell] = Counter()
    for _ in range(count):
        campaign, variant = rng.choice(campaigns), rng.choice(VARIANTS)
        visited_at = FIRST_VISIT + timedelta(minutes=rng.randrange(0, 12 * 7 * 24 * 60))
        iso = visited_at.isocalendar()
        week = f"{iso.year}-W{iso.week:02d}"
        visit = {"variant_id": variant, "visitor_key": uuid.uuid4().hex, "visited_at": visited_at}
        kind = rng.random()
        payload: Payload
        counters: tuple[str, ...]
        if kind < 0.55:
            payload, counters = PageViewed(**visit), ("visits", "unique_visitors")
        elif kind < 0.75:
            entry = rng.choice(("quiz", "lead", "apply"))
            payload = EntryStarted(**visit, entry_point=entry)  # type: ignore[arg-type]
            counters = (f"{entry}_starts",)
        elif kind < 0.87:
            qualified = rng.random() < 0.4
            payload = QuizCompleted(**visit, score=70 if qualified else 30, qualified=qualified)
            counters = (
                ("quiz_completions", "qualified_quiz") if qualified else ("quiz_completions",)
            )
        elif kind < 0.96:
            payload = LeadSubmitted(**visit, lead_id=uuid.uuid4().hex, contact_channel="phone")
            counters = ("leads",)
        else:
            payload = ApplicationSubmitted(**visit, application_id=uuid.uuid4().hex)
            counters = ("applications",)
        envelope = new_envelope(payload, source="bench", tenant_id="bench", campaign_id=campaign)
        messages.append((campaign, envelope.to_bytes()))
        for counter in counters:
            expected[(campaign, variant, week, counter)] += 1
    return messages, expected


def publish(bootstrap_servers: str, messages: list[tuple[str, bytes]]) -> float:
    """Publish every message (acks=all); return the seconds it took."""
    producer = KafkaProducer(
        bootstrap_servers=bootstrap_servers.split(","),
        acks="all",
        linger_ms=20,
        batch_size=256 * 1024,
        max_request_size=4 * 1024 * 1024,
    )
    started = time.perf_counter()
    try:
        for key, value in messages:
            producer.send(CANDIDATE_EVENTS_TOPIC, key=key.encode(), value=value)
        producer.flush(timeout=300)
    finally:
        producer.close(timeout=10)
    return time.perf_counter() - started


@dataclass(frozen=True)
class Run:
    backend: str
    events: int
    throughput: float
    applied_seconds: float
    wall_seconds: float
    events_per_cpu_second: float | None
    counts_match: bool
    cells: int
    rss: tuple[tuple[int, int], ...] = ()  # (events applied, consumer RSS in KiB)

    def rss_at(self, share: float) -> int:
        """RSS (KiB) at the first sample with at least ``share`` of the events applied."""
        for done, kib in self.rss:
            if done >= share * self.events:
                return kib
        return self.rss[-1][1] if self.rss else 0

    @property
    def rss_flat(self) -> bool:
        start, end = self.rss_at(0.1), self.rss_at(1.0)
        return end - start <= max(FLAT_GROWTH * start, FLAT_SLACK_KIB)


def stored_counts(engine: sa.Engine, campaigns: set[str]) -> Counter[Cell]:
    table = weekly_funnel_table
    keys = {"campaign_id", "variant_id", "iso_week"}
    counters = [column.name for column in table.columns if column.name not in keys]
    stored: Counter[Cell] = Counter()
    with engine.connect() as conn:
        for row in conn.execute(sa.select(table).where(table.c.campaign_id.in_(campaigns))):
            for counter in counters:
                value = row._mapping[counter]
                if value:
                    stored[(row.campaign_id, row.variant_id, row.iso_week, counter)] = value
    return stored


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a running process (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime


def rss_kib(pid: int) -> int | None:
    """Resident set size of a running process in KiB (Linux /proc), None elsewhere."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def run_consumer(
    backend: str,
    database_url: str,
    bootstrap_servers: str,
    expected: Counter[Cell],
    events: int,
    timeout_s: float,
    poll_interval_s: float,
) -> Run:
    """One ``koers-analytics consume`` process until every event is applied."""
    migrate_database(database_url)
    engine = make_engine(database_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOERS_")}
    env |= {
        "KOERS_ANALYTICS_DATABASE_URL": database_url,
        "KOERS_KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers,
        "KOERS_LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).parent / "koers-analytics"), "consume"]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env)
    processed = processed_events_table
    # CPU of the consumer between the first applied batch and the last (start-up and
    # the group join excluded): a figure that does not depend on what else the machine
    # is doing, beside the wall-clock rate that does.
    cpu_first: tuple[float, int] | None = None
    cpu_last: tuple[float, int] | None = None
    rss: list[tuple[int, int]] = []
    try:
        deadline = time.monotonic() + timeout_s
        done = 0
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the consumer exited early with {process.returncode}")
            cpu = cpu_seconds(process.pid)
            with engine.connect() as conn:
                done = conn.scalar(sa.select(sa.func.count()).select_from(processed)) or 0
            if cpu is not None and done:
                if cpu_first is None:
                    cpu_first = (cpu, done)
                cpu_last = (cpu, done)
            resident = rss_kib(process.pid)
            if resident is not None and done:
                rss.append((done, resident))
            if done >= events:
                break
            time.sleep(poll_interval_s)
        wall = time.perf_counter() - started
        if done < events:
            raise RuntimeError(f"only {done} of {events} events applied in {timeout_s}s")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    with engine.connect() as conn:
        first, last = conn.execute(
            sa.select(sa.func.min(processed.c.processed_at), sa.func.max(processed.c.processed_at))
        ).one()
        first_batch = (
            conn.scalar(
                sa.select(sa.func.count())
                .select_from(processed)
                .where(processed.c.processed_at == first)
            )
            or 0
        )
        total = conn.scalar(sa.select(sa.func.count()).select_from(processed)) or 0
    stored = stored_counts(engine, {campaign for campaign, *_ in expected})
    engine.dispose()
    applied_seconds = (last - first).total_seconds()
    throughput = (total - first_batch) / applied_seconds if applied_seconds > 0 else float("inf")
    per_cpu = None
    if cpu_first and cpu_last and cpu_last[0] > cpu_first[0]:
        per_cpu = (cpu_last[1] - cpu_first[1]) / (cpu_last[0] - cpu_first[0])
    return Run(
        backend=backend,
        events=total,
        throughput=throughput,
        applied_seconds=applied_seconds,
        wall_seconds=wall,
        events_per_cpu_second=per_cpu,
        counts_match=stored == expected and total == events,
        cells=len(expected),
        rss=tuple(rss),
    )


def fresh_postgres(admin_url: str) -> tuple[str, str]:
    """Create an empty database on the server of ``admin_url``; (its URL, its name)."""
    name = f"koers_bench_{uuid.uuid4().hex[:10]}"
    url = sa.engine.make_url(admin_url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False), name


def drop_postgres(admin_url: str, name: str) -> None:
    url = sa.engine.make_url(admin_url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def load_average() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.1f} (1 min), {five:.1f} (5 min)"


def median_run(runs: list[Run]) -> Run:
    """The run with the median events/s (the upper one of an even count)."""
    return sorted(runs, key=lambda run: run.throughput)[len(runs) // 2]


def report(runs: list[Run], events: int, publish_seconds: float, load: str, repeats: int) -> str:
    lines = [
        f"{events:,} valid candidate events for {CAMPAIGNS} campaigns x {len(VARIANTS)} "
        f"creatives x 12 weeks, published to the embedded broker in {publish_seconds:.1f} s, "
        "then applied by ONE `koers-analytics consume` process into a fresh database "
        "(a fresh broker and database per run). *events/s* counts from the first to the "
        "last applied event (the consumer's `processed_at`); *events per CPU-second* "
        "divides the same events by the consumer process's own CPU time over that stretch, "
        "so it depends less on what else the machine runs; wall clock adds process start "
        f"and the consumer-group join. Target: >= {TARGET_EVENTS_PER_S:,} events/s. "
        f"Machine load average at the start: {load}; the machine is shared, so each "
        f"database is run {repeats} time(s) and the run with the median events/s is shown "
        "(every run is listed below the table).",
        "",
        "| database | events applied | events/s | events per CPU-second | applying (s) | "
        "wall clock (s) | stored counts = sent | consumer RSS at 10 % / 50 % / end (MiB) "
        "| memory flat |",
        "|---|---:|---:|---:|---:|---:|---|---|---|",
    ]
    backends = list(dict.fromkeys(run.backend for run in runs))
    for backend in backends:
        run = median_run([r for r in runs if r.backend == backend])
        per_cpu = f"{run.events_per_cpu_second:,.0f}" if run.events_per_cpu_second else "n/a"
        lines.append(
            f"| {run.backend} | {run.events:,} | {run.throughput:,.0f} | {per_cpu} | "
            f"{run.applied_seconds:.1f} | {run.wall_seconds:.1f} | "
            f"{'yes' if run.counts_match else 'NO'} ({run.cells:,} cells) | "
            f"{run.rss_at(0.1) / 1024:.0f} / {run.rss_at(0.5) / 1024:.0f} / "
            f"{run.rss_at(1.0) / 1024:.0f} | {'yes' if run.rss_flat else 'NO'} |"
        )
    lines.append("")
    for backend in backends:
        every = ", ".join(f"{r.throughput:,.0f}" for r in runs if r.backend == backend)
        lines.append(f"- {backend}, events/s of every run: {every}")
    lines += [
        "",
        "Memory is flat when the consumer's RSS at the end is within "
        f"{FLAT_GROWTH:.0%} (or {FLAT_SLACK_KIB // 1024} MiB) of its RSS once a tenth of the "
        "events was applied. The consumer's RSS over the drain (sampled at every progress "
        "check, shown at each tenth):",
        "",
        "| applied | " + " | ".join(backends) + " |",
        "|---:|" + "---:|" * len(backends),
    ]
    shown = [median_run([r for r in runs if r.backend == backend]) for backend in backends]
    for tenth in range(1, 11):
        cells = " | ".join(f"{run.rss_at(tenth / 10) / 1024:.0f} MiB" for run in shown)
        lines.append(f"| {tenth * 10} % | {cells} |")
    peaks = " | ".join(
        f"{max((k for _d, k in run.rss), default=0) / 1024:.0f} MiB" for run in shown
    )
    samples = " | ".join(f"{len(run.rss)} samples" for run in shown)
    lines += [f"| peak | {peaks} |", f"| (sampled) | {samples} |"]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000, help="candidate events to send")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also run against a fresh database on this PostgreSQL server "
        "(e.g. postgresql://postgres@127.0.0.1:5432/postgres)",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="run PostgreSQL only")
    parser.add_argument("--repeats", type=int, default=3, help="runs per database")
    parser.add_argument(
        "--poll-interval", type=float, default=0.2, help="seconds between progress checks"
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds per run")
    parser.add_argument("--no-write", action="store_true", help="print, do not write the page")
    args = parser.parse_args()

    load = load_average()
    messages, expected = candidate_events(args.events, args.seed)
    databases: list[tuple[str, str | None]] = [] if args.no_sqlite else [("SQLite (WAL)", None)]
    if args.postgres:
        databases.append(("PostgreSQL", args.postgres))
    runs: list[Run] = []
    publish_seconds: list[float] = []
    with tempfile.TemporaryDirectory(prefix="koers-bench-") as workdir:
        for index, (backend, admin_url) in enumerate(
            database for database in databases for _ in range(args.repeats)
        ):
            # A broker per run: the consume command's group id is fixed, so a second run
            # on the same broker would start from the first one's committed offsets.
            broker = EmbeddedBroker(port=free_port(), log_path=Path(workdir) / f"b{index}.log")
            broker.start()
            try:
                publish_seconds.append(publish(broker.bootstrap_servers, messages))
                if admin_url is None:
                    url, name = f"sqlite:///{Path(workdir) / f'analytics-{index}.db'}", ""
                else:
                    url, name = fresh_postgres(admin_url)
                try:
                    runs.append(
                        run_consumer(
                            backend,
                            url,
                            broker.bootstrap_servers,
                            expected,
                            args.events,
                            args.timeout,
                            args.poll_interval,
                        )
                    )
                    print(runs[-1], flush=True)
                finally:
                    if admin_url is not None:
                        drop_postgres(admin_url, name)
            finally:
                broker.stop()
    markdown = report(runs, args.events, min(publish_seconds), load, args.repeats)
    print(markdown)
    if not args.no_write:
        if args.events >= BACKLOG_EVENTS:
            title = f"Analytics consumer: a backlog of {args.events:,} events"
            write_section("analytics-backlog", title, markdown)
        else:
            write_section("analytics-consumer", "Analytics consumer throughput", markdown)
    return 0 if all(run.counts_match and run.rss_flat for run in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
