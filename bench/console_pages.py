"""Console pages under a year of data: p50/p95 per page with the real services behind them.

What it builds, then measures:

1. a campaigns database with one tenant, 50 published campaigns of 10 creatives each;
   an analytics database with 52 ISO weeks of funnel counters and 7 days of delivery
   per week for each creative (26,000 weekly rows, 182,000 daily rows), plus the
   campaigns' CampaignPublished events applied by analytics' own handlers; a landing
   database with 100 leads per campaign;
2. the three real apps, each its own uvicorn process (one worker) on a free port:
   analytics and landing with the service token, the console talking to both;
3. logged in as the tenant's owner, sequential requests (one at a time, so the figures
   are latencies, not throughput) to: the campaign list, a campaign's page, its
   dashboard, its dashboard charts (SVG, first request and again), and the leads inbox
   (plain, filtered, second page) — cycling over all 50 campaigns.

SQLite by default; ``--postgres URL`` puts the three databases on that server instead
(created and dropped by the run). The figures go into docs/benchmarks.md (section
``console-pages``) unless ``--no-report``. The target: every HTML page p95 < 200 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import sqlalchemy as sa

from koers.isoweeks import iso_week

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import write_section  # noqa: E402

TOKEN = "bench-service-token"
PASSWORD = "bench password that is long enough"
EMAIL = "owner@bench.example"
CHANNELS = ("instagram", "tiktok", "linkedin", "facebook", "snapchat", "indeed")
TARGET_MS = 200.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- databases ------------------------------------------------------------------------------


@contextlib.contextmanager
def databases(workdir: Path, postgres: str | None) -> Iterator[dict[str, str]]:
    """URLs of three fresh databases; on PostgreSQL they are dropped afterwards."""
    names = ("campaigns", "analytics", "landing")
    if not postgres:
        yield {name: f"sqlite:///{workdir / f'{name}.db'}" for name in names}
        return
    admin_url = postgres.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    suffix = uuid.uuid4().hex[:8]
    created = {name: f"koers_bench_{name}_{suffix}" for name in names}
    with admin.connect() as conn:
        for database in created.values():
            conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    try:
        yield {
            name: sa.engine.make_url(admin_url)
            .set(database=database)
            .render_as_string(hide_password=False)
            for name, database in created.items()
        }
    finally:
        with admin.connect() as conn:
            for database in created.values():
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


@dataclass(frozen=True)
class Seeded:
    slugs: list[str]
    campaign_ids: list[str]
    tenant_id: str
    weekly_rows: int
    daily_rows: int
    leads: int


def seed(urls: dict[str, str], *, campaigns: int, creatives: int, weeks: int, leads: int) -> Seeded:
    from analytics.facts.handlers import HANDLERS as ANALYTICS_HANDLERS
    from analytics.storage.schema import daily_delivery_table, migrate_database, weekly_funnel_table
    from campaigns.catalog import service as catalog
    from campaigns.catalog.domain import Variant
    from campaigns.cli import migrate_database as migrate_campaigns
    from campaigns.demo import DEMO_PAGE
    from campaigns.schema import outbox as campaigns_outbox
    from campaigns.tenancy import repository as tenancy_repo
    from campaigns.tenancy import service as tenancy
    from koers.db import make_engine, migrate, transaction
    from koers.events import parse_envelope
    from landing.cli import MIGRATIONS_DIR as LANDING_MIGRATIONS
    from landing.submissions.repository import Lead, insert_leads

    rng = random.Random(20261123)
    now = datetime.now(UTC)
    today = now.date()
    last_monday = today - timedelta(days=today.weekday() + 7)
    mondays = [last_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]

    migrate_campaigns(urls["campaigns"])
    migrate_database(urls["analytics"])
    migrate(urls["landing"], LANDING_MIGRATIONS)
    console_db = make_engine(urls["campaigns"])
    analytics_db = make_engine(urls["analytics"])
    landing_db = make_engine(urls["landing"])

    tenant_id = str(uuid.uuid4())
    slugs: list[str] = []
    with transaction(console_db) as conn:
        tenancy_repo.add_tenant(conn, tenant_id, "Bench Werving BV")
        tenancy.create_user(
            conn, tenant_id=tenant_id, email=EMAIL, password=PASSWORD, role="owner", now=now
        )
        for c in range(campaigns):
            slug = f"bench-campaign-{c:02d}"
            variants = [
                Variant(
                    variant_id=f"v{v:02d}",
                    name=f"{CHANNELS[v % len(CHANNELS)].title()} creative {v + 1}",
                    channel=CHANNELS[v % len(CHANNELS)],
                    creative_format=("image", "video", "carousel")[v % 3],
                    hook=f"Hook {v}",
                )
                for v in range(creatives)
            ]
            catalog.create_campaign(
                conn,
                tenant_id=tenant_id,
                new=catalog.NewCampaign(
                    slug=slug,
                    name=f"Bench vacancy {c:02d}",
                    vacancy_title=f"Medewerker {c:02d}",
                    goal="lead",
                    weekly_budget=Decimal("2500.00"),
                    page=DEMO_PAGE,
                    variants=variants,
                ),
                actor="bench",
                now=now,
            )
            catalog.publish(conn, tenant_id=tenant_id, slug=slug, actor="bench", now=now)
            slugs.append(slug)
        outbox = campaigns_outbox
        published = [
            parse_envelope(row.value.encode())
            for row in conn.execute(sa.select(outbox.c.value).order_by(outbox.c.id))
        ]
    campaign_ids = [e.campaign_id for e in published if e.type == "CampaignPublished"]
    for envelope in published:
        with transaction(analytics_db) as conn:
            for handler in ANALYTICS_HANDLERS.get(envelope.type, []):
                handler(conn, envelope)

    weekly: list[dict[str, object]] = []
    daily: list[dict[str, object]] = []
    for campaign_id in campaign_ids:
        for v in range(creatives):
            quality = rng.uniform(0.5, 2.0)
            for monday in mondays:
                visits = rng.randint(50, 400)
                starts = int(visits * rng.uniform(0.1, 0.3))
                leads_n = int(starts * rng.uniform(0.2, 0.5) * quality / 1.25)
                weekly.append(
                    {
                        "campaign_id": campaign_id,
                        "variant_id": f"v{v:02d}",
                        "iso_week": iso_week(monday),
                        "visits": visits,
                        "quiz_starts": starts // 2,
                        "lead_starts": starts // 3,
                        "apply_starts": starts - starts // 2 - starts // 3,
                        "quiz_completions": starts // 3,
                        "qualified_quiz": starts // 6,
                        "leads": leads_n,
                        "applications": leads_n // 4,
                        "interviews": leads_n // 6,
                        "hires": leads_n // 20,
                    }
                )
                for d in range(7):
                    clicks = visits // 7 + rng.randint(0, 10)
                    daily.append(
                        {
                            "campaign_id": campaign_id,
                            "variant_id": f"v{v:02d}",
                            "day": monday + timedelta(days=d),
                            "spend": Decimal(f"{clicks * rng.uniform(0.4, 1.6):.2f}"),
                            "impressions": clicks * rng.randint(40, 120),
                            "clicks": clicks,
                            "import_id": "bench",
                        }
                    )
    with transaction(analytics_db) as conn:
        for start in range(0, len(weekly), 5000):
            conn.execute(sa.insert(weekly_funnel_table), weekly[start : start + 5000])
        for start in range(0, len(daily), 10000):
            conn.execute(sa.insert(daily_delivery_table), daily[start : start + 10000])

    created = now - timedelta(days=60)
    all_leads = []
    for campaign_id in campaign_ids:
        for n in range(leads):
            channel = ("whatsapp", "phone", "email")[n % 3]
            moment = created + timedelta(minutes=37 * n)
            all_leads.append(
                Lead(
                    lead_id=uuid.uuid4(),
                    tenant_id=tenant_id,
                    campaign_id=campaign_id,
                    variant_id=f"v{n % creatives:02d}",
                    entry_point=("lead", "apply")[n % 2],
                    name=f"Kandidaat {n:03d}",
                    phone_e164=f"+316{rng.randint(10_000_000, 99_999_999)}",
                    email=f"kandidaat{n}@example.nl",
                    contact_channel=channel,
                    best_moment=("morning", "afternoon", "evening")[n % 3],
                    consent_text="Ik geef toestemming.",
                    consented_at=moment,
                    form_nonce=uuid.uuid4().hex,
                    utm={},
                    visited_at=moment - timedelta(minutes=2),
                    created_at=moment,
                )
            )
    with transaction(landing_db) as conn:
        for start in range(0, len(all_leads), 2000):
            insert_leads(conn, *all_leads[start : start + 2000])
    for engine in (console_db, analytics_db, landing_db):
        engine.dispose()
    return Seeded(slugs, campaign_ids, tenant_id, len(weekly), len(daily), len(all_leads))


# --- the services -------------------------------------------------------------------------------


@contextlib.contextmanager
def service(factory: str, env: dict[str, str], log: Path) -> Iterator[str]:
    """``uvicorn --factory`` in its own process; yields the base URL once /healthz answers."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", factory,
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    with log.open("w") as output:
        process = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{factory} exited; see {log}:\n{log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{factory} did not start; see {log}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Timings:
    label: str
    samples_ms: list[float]
    statuses: set[int]
    incomplete: int = 0
    """Answers without what the page should show (e.g. analytics timed out)."""

    def row(self) -> str:
        ordered = sorted(self.samples_ms)
        p50 = statistics.median(ordered)
        p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
        mark = "yes" if p95 < TARGET_MS else "**no**"
        return (
            f"| {self.label} | {len(ordered)} | {p50:.1f} | {p95:.1f} | {max(ordered):.1f} "
            f"| {', '.join(str(s) for s in sorted(self.statuses))} | {self.incomplete} | {mark} |"
        )


@contextlib.contextmanager
def console_stack(urls: dict[str, str], workdir: Path) -> Iterator[tuple[str, str]]:
    """Analytics, landing and the console on their own ports over ``urls``' databases,
    without a broker; (analytics URL, console URL)."""
    common = {"KOERS_SERVICE_TOKEN": TOKEN, "KOERS_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}
    with (
        service(
            "analytics.main:create_app",
            {**common, "KOERS_ANALYTICS_DATABASE_URL": urls["analytics"]},
            workdir / "analytics.log",
        ) as analytics_url,
        service(
            "landing.main:create_app",
            {
                **common,
                "KOERS_LANDING_DATABASE_URL": urls["landing"],
                "KOERS_LANDING_SECRET_KEY": "bench-landing-secret",
                "KOERS_LANDING_CV_DIR": str(workdir / "cvs"),
            },
            workdir / "landing.log",
        ) as landing_url,
        service(
            "campaigns.main:create_app",
            {
                **common,
                "KOERS_CAMPAIGNS_DATABASE_URL": urls["campaigns"],
                "KOERS_CAMPAIGNS_SECRET_KEY": "bench-console-secret",
                "KOERS_ANALYTICS_URL": analytics_url,
                "KOERS_LANDING_URL": landing_url,
            },
            workdir / "campaigns.log",
        ) as console_url,
    ):
        yield analytics_url, console_url


def timed(client: httpx.Client, url: str, timings: Timings, check: Callable[[str], bool]) -> str:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    timings.samples_ms.append(elapsed)
    timings.statuses.add(response.status_code)
    if response.status_code != 200:
        raise RuntimeError(f"unexpected answer from {url}: {response.status_code}")
    if not check(response.text):
        timings.incomplete += 1
    return response.text


def log_in(client: httpx.Client) -> None:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    response = client.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    response.raise_for_status()
    if "/login" in str(response.url):
        raise RuntimeError("could not log in")


def measure(console: str, slugs: list[str], rounds: int) -> tuple[list[Timings], int]:
    pages = {
        name: Timings(name, [], set())
        for name in (
            "Campaign list `/`",
            "Campaign page `/campaigns/{slug}`",
            "Dashboard `/campaigns/{slug}/dashboard`",
            "Dashboard chart SVG, first request (drawn)",
            "Dashboard chart SVG, again (cached)",
            "Leads inbox `/leads?campaign={slug}`",
            "Leads inbox, filtered (`entry_point=apply&status=new`)",
            "Leads inbox, page 3",
        )
    }
    t = list(pages.values())
    drawn: set[str] = set()
    notices = [0]
    chart = re.compile(r'src="([^"]*/dashboard/charts/[a-z_]+\.svg\?[^"]+)"')
    with httpx.Client(base_url=console, timeout=30, follow_redirects=True) as client:
        log_in(client)
        for slug in slugs[:3]:  # warm up imports, pools and caches of the processes
            client.get("/")
            client.get(f"/campaigns/{slug}/dashboard")
            client.get(f"/leads?campaign={slug}")
        for _ in range(rounds):
            for slug in slugs:
                timed(client, "/", t[0], lambda html: "bench-campaign" in html)
                timed(client, f"/campaigns/{slug}", t[1], lambda html: "creative" in html)
                page = timed(
                    client,
                    f"/campaigns/{slug}/dashboard",
                    t[2],
                    lambda html: "Candidate figures cannot be loaded" not in html,
                )
                notices[0] += page.count("cannot be loaded right now")
                # No charts when the funnel did not load (counted as incomplete above).
                urls = [u.replace("&amp;", "&") for u in chart.findall(page)]
                for url in urls:
                    if url not in drawn:
                        timed(client, url, t[3], lambda svg: "<svg" in svg)
                        drawn.add(url)
                    timed(client, url, t[4], lambda svg: "<svg" in svg)
                timed(client, f"/leads?campaign={slug}", t[5], lambda html: "wa.me/" in html)
                timed(
                    client,
                    f"/leads?campaign={slug}&entry_point=apply&status=new",
                    t[6],
                    lambda html: "tel:+316" in html,
                )
                timed(
                    client, f"/leads?campaign={slug}&page=3", t[7], lambda html: "page 3 of" in html
                )
    return t, notices[0]


def analytics_direct(analytics: str, campaign_ids: list[str]) -> list[Timings]:
    """For context: analytics' own answer times for what each dashboard asks."""
    timings = [
        Timings(f"(analytics `/{p}`, direct)", [], set()) for p in ("funnel", "health", "insights")
    ]
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=analytics, headers=headers, timeout=30) as client:
        for campaign_id in campaign_ids:
            for timing, path in zip(timings, ("funnel", "health", "insights"), strict=True):
                started = time.perf_counter()
                response = client.get(f"/v1/campaigns/{campaign_id}/{path}")
                timing.samples_ms.append((time.perf_counter() - started) * 1000)
                timing.statuses.add(response.status_code)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=50)
    parser.add_argument("--creatives", type=int, default=10)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--leads", type=int, default=100, help="leads per campaign")
    parser.add_argument("--rounds", type=int, default=3, help="passes over all campaigns")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL server for the databases")
    parser.add_argument("--no-report", action="store_true", help="print, do not write the page")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="koers-bench-console-") as tmp:
        workdir = Path(tmp)
        with databases(workdir, args.postgres) as urls:
            started = time.perf_counter()
            seeded = seed(
                urls,
                campaigns=args.campaigns,
                creatives=args.creatives,
                weeks=args.weeks,
                leads=args.leads,
            )
            seed_s = time.perf_counter() - started
            print(
                f"seeded in {seed_s:.1f} s: {len(seeded.slugs)} campaigns, "
                f"{seeded.weekly_rows} weekly rows, {seeded.daily_rows} daily rows, "
                f"{seeded.leads} leads",
                flush=True,
            )
            with console_stack(urls, workdir) as (analytics_url, console_url):
                load_before = os.getloadavg()[0]
                timings, notices = measure(console_url, seeded.slugs, args.rounds)
                context = analytics_direct(analytics_url, seeded.campaign_ids)
                load_after = os.getloadavg()[0]

    database = "PostgreSQL" if args.postgres else "SQLite (WAL)"
    rows = "\n".join(t.row() for t in [*timings, *context] if t.samples_ms)
    html_pages = [t for t in timings if "SVG" not in t.label]
    verdict = all(
        sorted(t.samples_ms)[max(0, round(0.95 * len(t.samples_ms)) - 1)] < TARGET_MS
        for t in html_pages
    )
    body = f"""
Data: {args.campaigns} campaigns x {args.creatives} creatives x {args.weeks} ISO weeks in
analytics ({seeded.weekly_rows:,} weekly funnel rows, {seeded.daily_rows:,} daily delivery
rows), {seeded.leads:,} leads in landing; databases on {database}. The console, analytics
and landing each run as one uvicorn worker process; requests are sequential (latency,
not throughput), {args.rounds} passes over all campaigns, after a short warm-up. Each
dashboard asks analytics for the funnel, data health, insights and the week's proposal
(concurrently); each leads-inbox page asks landing for one page of 25 leads. Chart SVGs
are drawn by pygal on first request and then served from the chart cache.

| Page | Requests | p50 ms | p95 ms | max ms | Status | Incomplete | p95 < {TARGET_MS:.0f} ms |
|---|---:|---:|---:|---:|---|---:|---|
{rows}

Every HTML page within target at p95: **{"yes" if verdict else "no"}**. "Incomplete"
counts answers that lacked what the page should show (a dashboard whose funnel did not
load, an inbox without leads). Dashboard
sections that showed "cannot be loaded" (an analytics answer that failed or took longer
than the client's timeout): {notices}. The last three rows are analytics' own answer
times, asked directly once per campaign, for context. Seeding took
{seed_s:.0f} s. Load average (1 min) of the machine, shared with other work, before and
after measuring: {load_before:.1f} / {load_after:.1f} on {os.cpu_count()} CPUs.
"""
    print(body)
    if not args.no_report:
        write_section("console-pages", "Console pages with a year of data", body)


if __name__ == "__main__":
    main()
