"""Landing pages under load: the candidate page and the lead form, one worker process.

What it builds, then measures:

1. a landing database (SQLite by default, ``--postgres URL`` for PostgreSQL) with one
   published campaign (quiz, lead form, apply), applied by landing's own handlers;
2. the real app, ``koers-landing serve`` (one uvicorn worker, uvloop + httptools) on a
   free port, with the rate limit off (every request comes from 127.0.0.1) and no
   minimum fill time;
3. a small keep-alive HTTP/1.1 load generator (raw sockets on uvloop) with 10
   connections. On a machine with two or more CPUs the server is pinned to one CPU and
   the load generator to another (``os.sched_setaffinity``), so the client does not
   take the server's CPU; the client's own CPU use is reported to show it was not the
   bottleneck:
   - ``GET /j/{slug}?v=...``: a warm-up, then a fixed duration; requests/s, latency
     percentiles, errors. Every view writes its PageViewed event to the outbox, and the
     stored PageViewed events are counted against the 200 responses;
   - ``POST /j/{slug}/lead``: fresh form tokens fetched beforehand (each used once),
     a warm-up, then the measured posts; requests/s, latency, and the stored leads and
     LeadSubmitted events counted against the successful (303) responses;
   - the server's CPU time per request (from ``/proc``), which depends much less on
     what else the machine runs than requests/s do;
4. the page's weight: its HTML gzip-compressed, and the whole page (HTML + every
   stylesheet, script and image it references; the employer's own media excluded).

Targets (issue 4): GET >= 1,500 req/s, p99 <= 25 ms at 10 connections; POST >= 500 req/s
with stored rows == successes; HTML <= 14 KB compressed; whole page <= 100 KB.
The figures go into docs/benchmarks.md (section ``landing-pages``) unless
``--no-report``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import write_section  # noqa: E402

BIN = Path(sys.executable).parent
SLUG = "bench-klantenservice"
PAGE_PATH = f"/j/{SLUG}?v=v-video&utm_source=tiktok"
TARGETS = {"get_rps": 1500.0, "get_p99_ms": 25.0, "post_rps": 500.0, "html_gz": 14 * 1024}
PAGE_LIMIT = 100 * 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def database(workdir: Path, postgres: str | None) -> Iterator[str]:
    if not postgres:
        yield f"sqlite:///{workdir / 'landing.db'}"
        return
    admin_url = postgres.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"koers_bench_landing_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(database_url: str) -> None:
    """Migrate and publish one campaign through landing's own consumer handlers."""
    from koers.db import make_engine, migrate, transaction
    from koers.events import (
        CampaignPublished,
        PageSnapshot,
        QuizOption,
        QuizQuestion,
        VariantState,
        new_envelope,
    )
    from landing.cli import MIGRATIONS_DIR
    from landing.handlers import HANDLERS

    migrate(database_url, MIGRATIONS_DIR)
    published = CampaignPublished(
        slug=SLUG,
        name="Klantenservice Utrecht",
        weekly_budget=700,
        page=PageSnapshot(
            version=1,
            employer_name="Acme Zorgverzekeringen",
            headline="Word klantenservicemedewerker in Utrecht",
            intro=(
                "Help klanten verder met hun vragen over zorg en declaraties, vanuit ons "
                "kantoor in Utrecht of thuis.\n\nJe krijgt een goede inwerkperiode, een "
                "vast team en een salaris tot 3.200 euro per maand."
            ),
            entry_points=("quiz", "lead", "apply"),
            quiz=tuple(
                QuizQuestion(
                    question=f"Vraag {n}: werk je graag met mensen?",
                    options=(QuizOption(label="Ja", score=5), QuizOption(label="Nee", score=0)),
                )
                for n in range(1, 5)
            ),
            quiz_pass_score=10,
            logo_url="/media/acme-logo.png",
            hero_image_url="/media/acme-team.jpg",
            hero_alt="Het klantenserviceteam aan het werk",
        ),
        variants=(
            VariantState(
                variant_id="v-video",
                name="Video",
                channel="tiktok",
                creative_format="video",
                hook="Een dag als klantenheld",
            ),
        ),
    )
    engine = make_engine(database_url)
    envelope = new_envelope(published, source="campaigns", tenant_id="acme", campaign_id="cmp-1")
    with transaction(engine) as conn:
        for handler in HANDLERS[envelope.type]:
            handler(conn, envelope)
    engine.dispose()


# --- CPUs: keep the load generator off the server's CPU -------------------------------------


@dataclass(frozen=True)
class Placement:
    server_cpus: set[int] | None
    client_cpus: set[int] | None

    def describe(self) -> str:
        if self.server_cpus is None or self.client_cpus is None:
            return "not pinned (fewer than 2 CPUs available to this process)"
        return (
            f"server pinned to CPU {_cpus(self.server_cpus)}, load generator to CPU "
            f"{_cpus(self.client_cpus)} (os.sched_setaffinity)"
        )


def plan_cpus() -> Placement:
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return Placement(None, None)
    return Placement({available[0]}, {available[1]})


def _cpus(cpus: set[int]) -> str:
    return ",".join(str(c) for c in sorted(cpus))


SPEED_CHECK = """
import time
started = time.process_time()
total = 0
for i in range(2_000_000):
    total += i
print(time.process_time() - started)
"""


def speed_check(cpus: set[int] | None) -> float:
    """CPU seconds a fixed pure-Python loop takes on the server's CPU right now: how fast
    this machine was when measured (busy neighbours slow even CPU time down)."""
    process = subprocess.run(
        [sys.executable, "-c", SPEED_CHECK],
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
    )
    return float(process.stdout)


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (every thread), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


# --- the server ----------------------------------------------------------------------------------


@contextlib.contextmanager
def landing_server(
    workdir: Path, database_url: str, cpus: set[int] | None
) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOERS_")}
    env.update(
        {
            "KOERS_LANDING_DATABASE_URL": database_url,
            "KOERS_LANDING_SECRET_KEY": "bench-secret",
            "KOERS_SERVICE_TOKEN": "bench-token",
            "KOERS_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
            "KOERS_LANDING_CV_DIR": str(workdir / "cvs"),
            "KOERS_LANDING_RATE_LIMIT_PER_MINUTE": "0",
            "KOERS_LANDING_MIN_FILL_SECONDS": "0",
            "KOERS_LOG_LEVEL": "WARNING",
        }
    )
    log = open(workdir / "landing.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [str(BIN / "koers-landing"), "serve", "--port", str(port)],
        env=env,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    if cpus is not None:
        os.sched_setaffinity(process.pid, cpus)  # before it starts threads: they inherit it
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError((workdir / "landing.log").read_text()[-3000:])
            time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# --- a small keep-alive load generator ---------------------------------------------------


@dataclass
class LoadResult:
    statuses: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    server_cpu_seconds: float = 0.0
    load_average: float = 0.0  # 1-minute load average, sampled mid-run

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def client_cpu_share(self) -> float:
        """How busy the load generator kept its own CPU (1.0 = saturated)."""
        return self.client_cpu_seconds / self.seconds if self.seconds else 0.0

    @property
    def server_cpu_us_per_request(self) -> float:
        return self.server_cpu_seconds / self.requests * 1e6 if self.requests else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    def status_text(self) -> str:
        parts = [f"{status}: {count:,}" for status, count in sorted(self.statuses.items())]
        parts += [f"{error}: {count:,}" for error, count in sorted(self.errors.items())]
        return ", ".join(parts)


class Connection:
    """One keep-alive HTTP/1.1 connection; responses must carry Content-Length."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        match = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        body = await self.reader.readexactly(int(match.group(1))) if match else b""
        return status, body

    def close(self) -> None:
        self.writer.close()


async def run_load(
    port: int,
    next_request: Callable[[], bytes | None],
    connections: int,
    *,
    until: float | None = None,
    server_pid: int | None = None,
    timeout_s: float = 30.0,
) -> LoadResult:
    """``connections`` workers send ``next_request()`` one after another until it gives
    None or the ``until`` deadline (``time.monotonic``) passes."""
    result = LoadResult()

    async def worker() -> None:
        conn = await Connection.open(port)
        try:
            while until is None or time.monotonic() < until:
                raw = next_request()
                if raw is None:
                    return
                started = time.perf_counter()
                try:
                    status, _ = await asyncio.wait_for(conn.request(raw), timeout_s)
                except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                    name = type(exc).__name__
                    result.errors[name] = result.errors.get(name, 0) + 1
                    conn.close()
                    conn = await Connection.open(port)
                    continue
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                result.statuses[status] = result.statuses.get(status, 0) + 1
        finally:
            conn.close()

    async def sample_load() -> None:
        await asyncio.sleep(((until - time.monotonic()) / 2) if until else 1.0)
        result.load_average = os.getloadavg()[0]

    server_cpu = process_cpu_seconds(server_pid) if server_pid else 0.0
    client_cpu = time.process_time()
    started = time.perf_counter()
    sampler = asyncio.ensure_future(sample_load())
    await asyncio.gather(*(worker() for _ in range(connections)))
    result.seconds = time.perf_counter() - started
    result.client_cpu_seconds = time.process_time() - client_cpu
    if server_pid:
        result.server_cpu_seconds = process_cpu_seconds(server_pid) - server_cpu
    if not sampler.done():
        sampler.cancel()
        result.load_average = os.getloadavg()[0]
    return result


def run(coroutine_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run on uvloop (installed with the landing service): a cheaper client loop."""
    import uvloop

    return uvloop.run(coroutine_factory())


def get_request(path: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n"
        "Accept-Language: nl-NL,nl;q=0.9\r\nUser-Agent: Mozilla/5.0 (bench phone)\r\n\r\n"
    ).encode()


def post_request(path: str, form: dict[str, str]) -> bytes:
    body = urlencode(form).encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nUser-Agent: Mozilla/5.0 (bench phone)\r\n\r\n"
    ).encode() + body


# --- the measurements ------------------------------------------------------------------------


def measure_get(
    port: int, server_pid: int, warmup_s: float, seconds: float, connections: int
) -> tuple[LoadResult, LoadResult]:
    """The warm-up and the measured run (both write PageViewed events)."""
    raw = get_request(PAGE_PATH)
    warmup = run(
        lambda: run_load(port, lambda: raw, connections, until=time.monotonic() + warmup_s)
    )
    measured = run(
        lambda: run_load(
            port,
            lambda: raw,
            connections,
            until=time.monotonic() + seconds,
            server_pid=server_pid,
        )
    )
    return warmup, measured


def fetch_form_tokens(port: int, count: int, connections: int) -> list[str]:
    """Open the lead form ``count`` times (each a new visit) and keep its token."""
    tokens: list[str] = []
    raw = get_request(f"/j/{SLUG}/lead?v=v-video")

    async def collect() -> None:
        remaining = [count]

        async def worker() -> None:
            conn = await Connection.open(port)
            try:
                while remaining[0] > 0:
                    remaining[0] -= 1
                    _, body = await conn.request(raw)
                    found = re.search(rb'name="form_token" value="([^"]+)"', body)
                    assert found, "no form token in the lead form"
                    tokens.append(found.group(1).decode())
            finally:
                conn.close()

        await asyncio.gather(*(worker() for _ in range(connections)))

    run(collect)
    return tokens


def lead_posts(tokens: list[str]) -> Callable[[], bytes | None]:
    """Each token used exactly once, then None (the run ends)."""
    pending = list(reversed(tokens))

    def next_post() -> bytes | None:
        if not pending:
            return None
        n = len(pending)
        return post_request(
            f"/j/{SLUG}/lead?lang=nl",
            {
                "form_token": pending.pop(),
                "name": f"Kandidaat {n}",
                "phone": "06 12345678",
                "email": "",
                "contact_channel": "whatsapp",
                "best_moment": "evening",
                "consent": "yes",
                "website": "",
            },
        )

    return next_post


def measure_post(
    port: int, server_pid: int, warmup_tokens: list[str], tokens: list[str], connections: int
) -> tuple[LoadResult, LoadResult]:
    warmup = run(lambda: run_load(port, lead_posts(warmup_tokens), connections))
    measured = run(lambda: run_load(port, lead_posts(tokens), connections, server_pid=server_pid))
    return warmup, measured


@dataclass(frozen=True)
class Stored:
    leads: int
    lead_events: int
    page_views: int


def stored_counts(database_url: str) -> Stored:
    from koers.db import make_engine
    from landing.db import metadata
    from landing.submissions.repository import leads

    engine = make_engine(database_url)
    outbox = metadata.tables["outbox"]

    def events(event_type: str) -> sa.Select[int]:
        return (
            sa.select(sa.func.count())
            .select_from(outbox)
            .where(outbox.c.value.contains(f'"type":"{event_type}"'))
        )

    with engine.connect() as conn:
        stored = Stored(
            leads=int(conn.execute(sa.select(sa.func.count()).select_from(leads)).scalar_one()),
            lead_events=int(conn.execute(events("LeadSubmitted")).scalar_one()),
            page_views=int(conn.execute(events("PageViewed")).scalar_one()),
        )
    engine.dispose()
    return stored


@dataclass
class PageWeight:
    html: int
    html_gzip: int
    assets: dict[str, tuple[int, int]]  # url -> (bytes, gzip bytes)
    media_excluded: list[str]

    @property
    def total(self) -> int:
        return self.html + sum(raw for raw, _ in self.assets.values())

    @property
    def total_gzip(self) -> int:
        return self.html_gzip + sum(packed for _, packed in self.assets.values())


def measure_weight(url: str) -> PageWeight:
    """The landing page (one PageViewed) and everything it references."""
    with httpx.Client(base_url=url) as client:
        html = client.get(PAGE_PATH).content
        references = re.findall(rb'(?:href|src|poster)="(/[^"]*)"', html)
        assets: dict[str, tuple[int, int]] = {}
        media: list[str] = []
        for raw in references:
            path = raw.decode().replace("&amp;", "&")
            if path.startswith("/media/"):
                media.append(path)  # the employer's own logo and photo
                continue
            if not (path.startswith("/static/") or path.endswith((".css", ".js"))):
                continue  # links to other pages (next steps, language switch)
            body = client.get(path).content
            assets[path] = (len(body), len(gzip.compress(body, 9)))
    return PageWeight(len(html), len(gzip.compress(html, 9)), assets, media)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured GET duration")
    parser.add_argument("--warmup", type=float, default=3.0, help="GET warm-up duration")
    parser.add_argument("--leads", type=int, default=5_000, help="measured lead POSTs")
    parser.add_argument("--warmup-leads", type=int, default=300, help="warm-up lead POSTs")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--postgres", help="run on this PostgreSQL server instead of SQLite")
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args()

    placement = plan_cpus()
    if placement.client_cpus is not None:
        os.sched_setaffinity(0, placement.client_cpus)
    load_before = os.getloadavg()
    speed = speed_check(placement.server_cpus)
    with tempfile.TemporaryDirectory() as tmp, database(Path(tmp), args.postgres) as db_url:
        workdir = Path(tmp)
        prepare(db_url)
        with landing_server(workdir, db_url, placement.server_cpus) as (url, pid):
            port = int(url.rsplit(":", 1)[1])
            weight = measure_weight(url)
            get_warmup, got = measure_get(port, pid, args.warmup, args.seconds, args.connections)
            tokens = fetch_form_tokens(port, args.warmup_leads + args.leads, args.connections)
            post_warmup, posted = measure_post(
                port,
                pid,
                tokens[: args.warmup_leads],
                tokens[args.warmup_leads :],
                args.connections,
            )
            stored = stored_counts(db_url)
    load_after = os.getloadavg()

    views_answered = 1 + get_warmup.statuses.get(200, 0) + got.statuses.get(200, 0)
    lead_successes = post_warmup.statuses.get(303, 0) + posted.statuses.get(303, 0)
    checks = {
        "GET req/s": got.rps >= TARGETS["get_rps"],
        "GET p99": got.percentile(99) <= TARGETS["get_p99_ms"],
        "GET all 200": set(got.statuses) == {200} and not got.errors,
        "views stored": stored.page_views == views_answered,
        "POST req/s": posted.rps >= TARGETS["post_rps"],
        "POST all 303": set(posted.statuses) == {303} and not posted.errors,
        "stored == successes": stored.leads == lead_successes == stored.lead_events,
        "HTML gzip": weight.html_gzip <= TARGETS["html_gz"],
        "whole page": weight.total <= PAGE_LIMIT,
    }
    database_kind = "PostgreSQL" if args.postgres else "SQLite (WAL, synchronous=NORMAL)"
    lines = [
        f"One `koers-landing serve` process (one uvicorn worker on uvloop + httptools, "
        f"{database_kind}); {args.connections} keep-alive connections from a raw-socket "
        f"client on uvloop on the same machine; {placement.describe()}. Every page view "
        "has its PageViewed event committed to the outbox before the response (views "
        "arriving together share a commit); every lead is stored with its LeadSubmitted "
        "event before the 303.",
        "",
        "| measure | figure | target | met |",
        "|---|---|---|---|",
        f"| page `GET` throughput | {got.rps:,.0f} req/s ({got.requests:,} requests in "
        f"{got.seconds:.1f} s after a {args.warmup:g} s warm-up; {got.status_text()}) | "
        f"≥ 1,500 req/s | {_yes(checks['GET req/s'] and checks['GET all 200'])} |",
        f"| page `GET` latency at {args.connections} connections | p50 "
        f"{got.percentile(50):.1f} ms, p90 {got.percentile(90):.1f} ms, p99 "
        f"{got.percentile(99):.1f} ms, max {max(got.latencies_ms, default=0):.1f} ms | "
        f"p99 ≤ 25 ms | {_yes(checks['GET p99'])} |",
        f"| PageViewed events stored / page views answered 200 (warm-up included) | "
        f"{stored.page_views:,} / {views_answered:,} | equal | {_yes(checks['views stored'])} |",
        f"| lead `POST` throughput | {posted.rps:,.0f} req/s ({posted.requests:,} posts in "
        f"{posted.seconds:.1f} s after {args.warmup_leads:,} warm-up posts; "
        f"{posted.status_text()}; p50 {posted.percentile(50):.1f} ms, p99 "
        f"{posted.percentile(99):.1f} ms) | ≥ 500 req/s | "
        f"{_yes(checks['POST req/s'] and checks['POST all 303'])} |",
        f"| stored leads / LeadSubmitted events / 303 responses (warm-up included) | "
        f"{stored.leads:,} / {stored.lead_events:,} / {lead_successes:,} | all equal | "
        f"{_yes(checks['stored == successes'])} |",
        f"| page HTML | {weight.html:,} B, gzip -9 {weight.html_gzip:,} B | ≤ 14 KB "
        f"compressed | {_yes(checks['HTML gzip'])} |",
        f"| whole page (HTML + {', '.join(sorted(weight.assets))}) | {weight.total:,} B "
        f"({weight.total_gzip:,} B gzip) | ≤ 100 KB | {_yes(checks['whole page'])} |",
        "",
        "Server CPU time per request (user + system, every thread of the server process, "
        f"from /proc): page `GET` {got.server_cpu_us_per_request:,.0f} µs, lead `POST` "
        f"{posted.server_cpu_us_per_request:,.0f} µs; at that cost one CPU the server had "
        f"to itself would serve about {_capacity(got)} page views/s and {_capacity(posted)} "
        f"leads/s. The load generator kept its own CPU {got.client_cpu_share:.0%} busy "
        f"during the `GET` run and {posted.client_cpu_share:.0%} during the `POST` run, so "
        "it was not what limited them.",
        "",
        f"Machine load average (1 min) {load_before[0]:.1f} before the run, "
        f"{got.load_average:.1f} during the `GET` run, {posted.load_average:.1f} during the "
        f"`POST` run and {load_after[0]:.1f} after it, on {os.cpu_count()} CPUs shared with "
        "other work. Speed check: 2,000,000 additions in a Python loop took "
        f"{speed * 1000:,.0f} ms of CPU on the server's CPU just before the run. "
        "Requests/s and latency are only comparable between runs at a similar load, and "
        "even CPU time per request rises on a busy machine (shared cores and caches): "
        "compare runs with a similar speed check.",
        f"Employer media left out of the page weight: {', '.join(weight.media_excluded)}.",
    ]
    markdown = "\n".join(lines)
    print(markdown)
    if not args.no_report:
        write_section("landing-pages", "Landing pages: throughput, latency, weight", markdown)


def _capacity(result: LoadResult) -> str:
    per_request = result.server_cpu_us_per_request
    return f"{1e6 / per_request:,.0f}" if per_request else "?"


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


if __name__ == "__main__":
    main()
