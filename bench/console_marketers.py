"""The console under 20 concurrent marketers: a realistic page mix, p50/p95/p99, errors.

What it builds, then measures:

1. the data of ``bench/console_pages.py`` (one employer, 50 campaigns x 10 creatives x
   52 ISO weeks in analytics, 100 leads per campaign in landing), SQLite by default or
   ``--postgres URL``;
2. the three real apps, each one uvicorn worker process, the console talking to analytics
   and landing over HTTP with the service token, as in production;
3. ``--marketers`` (20) marketers, each with a session of its own (logged in before the
   clock starts), each a loop on asyncio: pick a page by the mix below, load it (a
   dashboard with its chart SVGs, fetched together as a browser does), think for a
   moment (exponential, mean ``--think`` s), again, for ``--seconds`` after a warm-up.

The mix, a Monday of steering: campaign list 15 %, a campaign 10 %, its dashboard (and
charts) 25 %, decisions 10 %, insights 5 %, leads inbox 15 %, leads filtered 5 %,
campaign history 5 %, audit log 5 %, memo 5 %.

Errors: any answer that is not 200 or no answer at all, and dashboards whose sections
said "cannot be loaded" (an analytics call that failed or timed out). The figures go
into docs/benchmarks.md (section ``console-marketers``) unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import write_section  # noqa: E402
from bench.console_pages import EMAIL, PASSWORD, console_stack, databases, seed  # noqa: E402

MIX = (
    ("campaign list", 15),
    ("campaign", 10),
    ("dashboard", 25),
    ("decisions", 10),
    ("insights", 5),
    ("leads inbox", 15),
    ("leads filtered", 5),
    ("history", 5),
    ("audit log", 5),
    ("memo", 5),
)
CHART = re.compile(r'src="([^"]*/dashboard/charts/[a-z_]+\.svg\?[^"]+)"')


def path_of(page: str, slug: str) -> str:
    return {
        "campaign list": "/",
        "campaign": f"/campaigns/{slug}",
        "dashboard": f"/campaigns/{slug}/dashboard",
        "decisions": "/decisions",
        "insights": "/insights",
        "leads inbox": f"/leads?campaign={slug}",
        "leads filtered": f"/leads?campaign={slug}&entry_point=apply&status=new",
        "history": f"/campaigns/{slug}/history",
        "audit log": "/audit",
        "memo": "/memo",
    }[page]


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    failures: Counter[str] = field(default_factory=Counter)
    notices: int = 0
    measuring: bool = False

    def add(self, page: str, seconds: float, status: int) -> None:
        if self.measuring:
            self.latencies[page].append(seconds)
            self.statuses[page][status] += 1


def add_marketers(campaigns_url: str, tenant_id: str, count: int) -> list[str]:
    """Twenty marketers are twenty people: one account each (the console throttles many
    logins to one account at once). The seeded owner is the first."""
    from datetime import UTC, datetime

    from campaigns.tenancy import service as tenancy
    from koers.db import make_engine, transaction

    emails = [EMAIL] + [f"marketer{n}@bench.example" for n in range(1, count)]
    engine = make_engine(campaigns_url)
    with transaction(engine) as conn:
        for email in emails[1:]:
            tenancy.create_user(
                conn,
                tenant_id=tenant_id,
                email=email,
                password=PASSWORD,
                role="marketer",
                now=datetime.now(UTC),
                language="en",
            )
    engine.dispose()
    return emails


async def log_in(client: httpx.AsyncClient, email: str) -> None:
    page = (await client.get("/login")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    data = {"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    response = await client.post("/login", data=data)
    if "/login" in str(response.url):
        raise RuntimeError("could not log in")


async def timed_get(client: httpx.AsyncClient, page: str, url: str, tally: Tally) -> str:
    started = time.perf_counter()
    try:
        response = await client.get(url)
    except httpx.HTTPError as error:
        if tally.measuring:
            tally.failures[f"{page}: {type(error).__name__}"] += 1
        return ""
    tally.add(page, time.perf_counter() - started, response.status_code)
    return response.text if response.status_code == 200 else ""


async def marketer(
    console: str,
    email: str,
    slugs: list[str],
    think: float,
    seed_: int,
    tally: Tally,
    stop: asyncio.Event,
) -> None:
    rng = random.Random(seed_)
    pages, weights = zip(*MIX, strict=True)
    async with httpx.AsyncClient(base_url=console, timeout=30, follow_redirects=True) as client:
        await log_in(client, email)
        while not stop.is_set():
            page = rng.choices(pages, weights)[0]
            html = await timed_get(client, page, path_of(page, rng.choice(slugs)), tally)
            if page == "dashboard" and html:
                if tally.measuring:
                    tally.notices += html.count("cannot be loaded right now")
                charts = [u.replace("&amp;", "&") for u in CHART.findall(html)]
                await asyncio.gather(*(timed_get(client, "chart SVG", u, tally) for u in charts))
            await asyncio.sleep(rng.expovariate(1 / think))


async def crowd(
    args: argparse.Namespace, console: str, emails: list[str], slugs: list[str]
) -> tuple[Tally, float]:
    tally, stop = Tally(), asyncio.Event()
    tasks = [
        asyncio.create_task(marketer(console, email, slugs, args.think, n, tally, stop))
        for n, email in enumerate(emails)
    ]
    await asyncio.sleep(args.warmup)
    tally.measuring = True
    began = time.perf_counter()
    await asyncio.sleep(args.seconds)
    tally.measuring = False
    elapsed = time.perf_counter() - began
    stop.set()
    await asyncio.gather(*tasks)
    return tally, elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def report(
    args: argparse.Namespace, tally: Tally, elapsed: float, loads: tuple[float, float]
) -> str:
    rows = []
    everything: list[float] = []
    for page in [*(p for p, _ in MIX), "chart SVG"]:
        lat = tally.latencies[page]
        everything += lat
        codes = ", ".join(f"{c}: {n:,}" for c, n in sorted(tally.statuses[page].items()))
        rows.append(
            f"| {page} | {len(lat):,} | {percentile(lat, 0.5) * 1000:.0f} | "
            f"{percentile(lat, 0.95) * 1000:.0f} | {percentile(lat, 0.99) * 1000:.0f} | "
            f"{max(lat, default=0) * 1000:.0f} | {codes} |"
        )
    not_ok = sum(n for st in tally.statuses.values() for code, n in st.items() if code != 200)
    failed = sum(tally.failures.values())
    database = "PostgreSQL" if args.postgres else "SQLite (WAL)"
    total_row = "| **all requests** | {:,} | {:.0f} | {:.0f} | {:.0f} | {:.0f} | |".format(
        len(everything),
        *(percentile(everything, share) * 1000 for share in (0.5, 0.95, 0.99)),
        max(everything, default=0) * 1000,
    )
    return f"""
{args.marketers} marketers at once, each logged in with an account of its own, for
{args.seconds} s after a {args.warmup} s warm-up: {len(everything):,} requests
({len(everything) / elapsed:,.1f}/s). Each picks a page by the mix below, loads it (a
dashboard with its chart SVGs together, as a browser does), thinks for a moment
(exponential, mean {args.think:g} s) and goes on. Data: {args.campaigns} campaigns x 10
creatives x 52 weeks in analytics, 100 leads per campaign in landing; databases on
{database}; console, analytics and landing one uvicorn worker process each; the load
driver (httpx on asyncio) on the same machine.

| page (share of picks) | requests | p50 ms | p95 ms | p99 ms | max ms | statuses |
|---|---:|---:|---:|---:|---:|---|
{chr(10).join(rows)}
{total_row}

Errors: {not_ok} answers other than 200, {failed} requests without an answer
({dict(tally.failures) or "none"}), {tally.notices} dashboard sections that said "cannot be
loaded". Mix: {", ".join(f"{p} {w} %" for p, w in MIX)}. Machine load average (1 min)
{loads[0]:.1f} before and {loads[1]:.1f} after, on {os.cpu_count()} CPUs shared with other
work.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--marketers", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between pages")
    parser.add_argument("--campaigns", type=int, default=50)
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL server for the databases")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="koers-bench-marketers-") as tmp:
        workdir = Path(tmp)
        with databases(workdir, args.postgres) as urls:
            seeded = seed(urls, campaigns=args.campaigns, creatives=10, weeks=52, leads=100)
            emails = add_marketers(urls["campaigns"], seeded.tenant_id, args.marketers)
            with console_stack(urls, workdir) as (_analytics_url, console_url):
                load_before = os.getloadavg()[0]
                tally, elapsed = asyncio.run(crowd(args, console_url, emails, seeded.slugs))
                load_after = os.getloadavg()[0]
    markdown = report(args, tally, elapsed, (load_before, load_after))
    print(markdown)
    if not args.no_write:
        write_section("console-marketers", "Console under 20 concurrent marketers", markdown)
    errors = sum(n for st in tally.statuses.values() for c, n in st.items() if c != 200)
    return 0 if errors == 0 and not tally.failures else 1


if __name__ == "__main__":
    raise SystemExit(main())
