"""``make demo``: eight simulated weeks of one campaign on autopilot, in minutes.

Run it with the stack of ``make run`` up (it reads ``var/koers.env`` as ``make run`` does).
It creates a fresh campaign of the demo employer whose creatives come from the analytics
simulator's world (``analytics.simulation.world.generate_campaign``: each creative its
own cost per click and conversion rate, with fatigue), switches it to autopilot, and then
for each of the ``--weeks`` ISO weeks before the current one:

1. runs the weekly job for that week (``koers-campaigns weekly --week``, the same body as
   the Monday run): analytics proposes the split from the weeks before, autopilot applies
   it when it stays within the guardrails, and the push writes the csv adapter's bulk
   files (a split autopilot holds keeps last week's amounts, as on the platforms);
2. spends each creative's amount: candidates click (Poisson on spend / cost per click),
   visit the real landing page over HTTP, and the world's share of them leaves a lead
   through the real lead form;
3. exports the week's spend as a Meta Ads Manager CSV (by day, by ad name) and imports it
   through the campaigns API (upload, preview, confirm);
4. waits until analytics has the week's leads and spend.

**The clock.** The services run on the real clock and the weekly job refuses weeks that
have not begun, so the simulated weeks are past weeks. Candidate pages stamp each visit
with their own clock, which ``landing.main.create_app(settings, clock=...)`` accepts: the
demo serves the real landing app (same database, same outbox, the stack's relay carries
its events to analytics) on a free port, with a clock set to the simulated day. Spend
imports carry their own days; the weekly job takes its week as an argument. No result is
written by hand: analytics sees only page views, leads and imported spend.

It ends with a table and a chart (SVG, drawn with pygal like the console's charts) of
the leads against what an equal split of the same budget would have brought in the same
weeks (from the world's true rates), writes the bulk files and the Meta CSVs under
``var/demo/``, and writes its figures into ``docs/benchmarks.md`` (``bench/_report.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import html
import math
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from functools import partial
from pathlib import Path

import httpx
import numpy as np
import pygal
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from analytics.simulation.world import Campaign as WorldCampaign  # noqa: E402
from analytics.simulation.world import Creative, generate_campaign  # noqa: E402
from bench._report import write_section  # noqa: E402
from campaigns.catalog import repository as catalog_repo  # noqa: E402
from campaigns.catalog import service as catalog  # noqa: E402
from campaigns.catalog.domain import Campaign, Variant  # noqa: E402
from campaigns.config import Settings as CampaignsSettings  # noqa: E402
from campaigns.decisions import repository as decisions_repo  # noqa: E402
from campaigns.decisions.service import current_amounts  # noqa: E402
from campaigns.delivery import PlatformIds  # noqa: E402
from campaigns.demo import DEMO_PAGE, DEMO_TENANT  # noqa: E402
from campaigns.tenancy import repository as tenancy_repo  # noqa: E402
from campaigns.tenancy import service as tenancy  # noqa: E402
from koers.db import make_engine, transaction  # noqa: E402
from koers.events import Guardrails  # noqa: E402
from koers.isoweeks import iso_week, shift_week, week_monday  # noqa: E402
from landing.config import Settings as LandingSettings  # noqa: E402
from landing.main import create_app as create_landing_app  # noqa: E402

ACTOR = "make demo"
OUT_DIR = REPO / "var" / "demo"
CLOCK_SPEED = 600.0
"""Simulated seconds per real second within a day: a form is filled in a few simulated
seconds (landing refuses forms sent faster than a person could), and a day's visits
still fit well inside that day."""
CONCURRENT_CANDIDATES = 12
LEAD_FILL_SECONDS = 45.0
WAIT_FOR_ANALYTICS_S = 180.0
MAX_CHANGE = 0.2
"""The demo campaign's largest week-on-week change per creative: a new campaign's
default. A creative still in the ad platform's learning phase may be cut further (the
engine's rule, which autopilot's check applies too)."""


# --- the world ---------------------------------------------------------------------------------


WORLD_WEEKS = 26
"""The world's campaigns run this long; the demo uses their first ``--weeks``."""


def demo_world(seed: int, weeks: int) -> WorldCampaign:
    """The first campaign from ``seed`` on with 3-5 creatives, all live in every week the
    demo runs, on at least two channels (so the split has something to choose)."""
    for candidate in range(seed, seed + 10_000):
        world = generate_campaign(candidate, weeks=WORLD_WEEKS)
        creatives = world.creatives
        if (
            3 <= len(creatives) <= 5
            and all(c.start == 1 and c.end >= weeks for c in creatives)
            and len({c.channel for c in creatives}) >= 2
        ):
            return world
    raise SystemExit(f"no suitable simulated campaign from seed {seed}")


def conversion_per_click(creative: Creative, week: int) -> float:
    return creative.rate(week) * creative.cost_per_click


# --- the campaign ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoCampaign:
    campaign: Campaign
    variants: tuple[Variant, ...]
    truth: dict[str, Creative]
    api_token: str


def ad_name(variant_id: str) -> str:
    return f"Demo8 {variant_id}"


def create_campaign(
    engine: Engine, world: WorldCampaign, budget: Decimal, max_change: float, now: datetime
) -> DemoCampaign:
    """A new live campaign of the demo employer on autopilot, and an API token."""
    slug = f"demo-acht-weken-{now:%Y%m%d%H%M%S}"
    variants = tuple(
        Variant(
            variant_id=c.variant_id,
            name=f"{c.channel.capitalize()}: creatief {n + 1}",
            channel=c.channel,
            creative_format="video" if n % 2 == 0 else "image",
            hook=f"Simulatie: creatief {n + 1} op {c.channel}",
            ad_key=ad_name(c.variant_id),
        )
        for n, c in enumerate(world.creatives)
    )
    with transaction(engine) as conn:
        tenant_id = tenancy_repo.tenant_id_by_name(conn, DEMO_TENANT)
        if tenant_id is None:
            raise SystemExit("the demo employer is missing: start the stack with `make run` first")
        campaign = catalog.create_campaign(
            conn,
            tenant_id=tenant_id,
            new=catalog.NewCampaign(
                slug=slug,
                name=f"Acht weken autopilot ({now:%d-%m %H:%M})",
                vacancy_title="Klantenservicemedewerker (simulatie)",
                goal="lead",
                weekly_budget=budget,
                page=DEMO_PAGE,
                variants=variants,
            ),
            actor=ACTOR,
            now=now,
        )
        # Autopilot on, the other guardrails as a new campaign gets them except the week's
        # largest change (``--max-change``): see MAX_CHANGE.
        guardrails = Guardrails(autopilot=True, max_weekly_change=max_change)
        campaign = replace(campaign, guardrails=guardrails)
        catalog_repo.save_campaign(conn, campaign)
        catalog.publish(conn, tenant_id=tenant_id, slug=slug, actor=ACTOR, now=now)
        for variant in variants:  # so the bulk files name each ad set
            decisions_repo.save_platform_ids(
                conn,
                campaign.id,
                variant.variant_id,
                PlatformIds(
                    campaign_id=f"demo8-{variant.channel}",
                    ad_set_id=f"demo8-set-{variant.variant_id}",
                    ad_id=f"demo8-ad-{variant.variant_id}",
                    campaign_name=campaign.name,
                ),
            )
        _, token = tenancy.create_api_token(
            conn,
            tenant_id=tenant_id,
            name=f"make demo {slug}",
            role="marketer",
            actor=ACTOR,
            now=now,
        )
        stored = catalog_repo.campaign_by_id(conn, campaign.id)
    assert stored is not None
    truth = {c.variant_id: c for c in world.creatives}
    return DemoCampaign(stored, variants, truth, token)


# --- the simulated clock and the landing app on it --------------------------------------------


class SimulatedClock:
    """Now, in the simulated day: its start plus the real time since, ``CLOCK_SPEED``x."""

    def __init__(self) -> None:
        self._start = datetime.now(UTC)
        self._real = time.monotonic()
        self._lock = threading.Lock()

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._start, self._real = moment, time.monotonic()

    def __call__(self) -> datetime:
        with self._lock:
            elapsed = (time.monotonic() - self._real) * CLOCK_SPEED
            return self._start + timedelta(seconds=elapsed)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def landing_on(clock: SimulatedClock) -> Iterator[str]:
    """The real landing app on the simulated clock, served on a free port."""
    port = free_port()
    app = create_landing_app(LandingSettings(), clock=clock)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        proxy_headers=True,  # each candidate's own address, as behind a load balancer
        forwarded_allow_ips="127.0.0.1",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="demo-landing", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the demo's landing server did not start")
        time.sleep(0.2)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)


# --- candidates --------------------------------------------------------------------------------

LEAD_LINK = re.compile(r'href="([^"]*/lead\?[^"]*)"')
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@dataclass
class WeekTraffic:
    visits: dict[str, int] = field(default_factory=dict)
    leads: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)
    """What the pages refused a candidate, by step and status (should stay empty)."""

    def refuse(self, step: str, status: int) -> None:
        key = f"{step} {status}"
        self.refused[key] = self.refused.get(key, 0) + 1


def candidate_address(rng: random.Random) -> str:
    """A documentation address (TEST-NET-2/3): each candidate its own, none real."""
    return f"{rng.choice(('198.51.100', '203.0.113'))}.{rng.randint(1, 254)}"


async def candidate(
    http: httpx.AsyncClient,
    slug: str,
    variant_id: str,
    converts: bool,
    number: int,
    rng: random.Random,
    traffic: WeekTraffic,
) -> None:
    headers = {
        "X-Forwarded-For": candidate_address(rng),
        "User-Agent": f"Mozilla/5.0 (Linux; Android 14; demo-{number % 97})",
        "Accept-Language": "nl-NL,nl;q=0.9",
    }
    page = await http.get(
        f"/j/{slug}", params={"v": variant_id, "utm_source": "demo"}, headers=headers
    )
    if page.status_code != 200:
        traffic.refuse("page", page.status_code)
        return
    traffic.visits[variant_id] = traffic.visits.get(variant_id, 0) + 1
    if not converts:
        return
    link = LEAD_LINK.search(page.text)
    if link is None:
        traffic.refuse("no lead link", page.status_code)
        return
    form = await http.get(html.unescape(link.group(1)), headers=headers)
    token = FORM_TOKEN.search(form.text)
    if form.status_code != 200 or token is None:
        traffic.refuse("lead form", form.status_code)
        return
    # A person takes a while; on the simulated clock that is a blink.
    await asyncio.sleep(LEAD_FILL_SECONDS / CLOCK_SPEED)
    sent = await http.post(
        f"/j/{slug}/lead",
        params={"lang": "nl"},
        data={
            "form_token": token.group(1),
            "name": f"Demo kandidaat {number}",
            "phone": f"06 {rng.randint(20_000_000, 59_999_999)}",  # valid mobile numbers
            "email": "",
            "contact_channel": rng.choice(("whatsapp", "phone")),  # no e-mail address given
            "best_moment": "evening",
            "consent": "yes",
            "website": "",
        },
        headers=headers,
    )
    if sent.status_code == 303:  # on to the thank-you page
        traffic.leads[variant_id] = traffic.leads.get(variant_id, 0) + 1
    else:
        traffic.refuse("lead", sent.status_code)


@dataclass(frozen=True)
class DaySpend:
    day: date
    variant_id: str
    spend: Decimal
    impressions: int
    clicks: int


async def simulate_week(
    landing_url: str,
    clock: SimulatedClock,
    demo: DemoCampaign,
    amounts: dict[str, Decimal],
    week: str,
    week_number: int,
    rng: np.random.Generator,
    on_candidate: Callable[[], None],
) -> tuple[WeekTraffic, list[DaySpend]]:
    """Spend ``amounts`` over the week's seven days: the clicks visit the page, the world's
    share of them leave a lead. Returns what happened and the spend per creative-day."""
    traffic = WeekTraffic()
    spend_rows: list[DaySpend] = []
    monday = week_monday(week)
    pyrng = random.Random(int(rng.integers(1 << 31)))
    number = 0
    async with httpx.AsyncClient(base_url=landing_url, timeout=30) as http:
        for offset in range(7):
            day = monday + timedelta(days=offset)
            jobs: list[tuple[str, bool]] = []
            for variant_id, amount in amounts.items():
                creative = demo.truth[variant_id]
                daily = (amount / 7).quantize(Decimal("0.01"))
                clicks = int(rng.poisson(float(daily) / creative.cost_per_click))
                converts = rng.random(clicks) < conversion_per_click(creative, week_number)
                jobs += [(variant_id, bool(c)) for c in converts]
                impressions = int(float(daily) / creative.cost_per_mille * 1000)
                spend_rows.append(
                    DaySpend(day, variant_id, daily, max(impressions, clicks), clicks)
                )
            pyrng.shuffle(jobs)
            clock.set(datetime.combine(day, dt_time(8, 0), UTC))
            queue: asyncio.Queue[tuple[str, bool]] = asyncio.Queue()
            for job in jobs:
                queue.put_nowait(job)

            async def worker(queue: asyncio.Queue[tuple[str, bool]]) -> None:
                nonlocal number
                while not queue.empty():
                    variant_id, converts = queue.get_nowait()
                    number += 1
                    await candidate(
                        http, demo.campaign.slug, variant_id, converts, number, pyrng, traffic
                    )
                    on_candidate()

            await asyncio.gather(*(worker(queue) for _ in range(CONCURRENT_CANDIDATES)))
    return traffic, spend_rows


def planned_clicks(amounts: dict[str, Decimal], demo: DemoCampaign) -> int:
    return sum(
        round(float((a / 7).quantize(Decimal("0.01"))) / demo.truth[v].cost_per_click) * 7
        for v, a in amounts.items()
    )


# --- spend, as Meta Ads Manager exports it -----------------------------------------------------


def meta_csv(rows: list[DaySpend]) -> str:
    """Meta's "by day" ad report in English: the columns the spend importer reads."""
    lines = ["Day,Ad name,Impressions,Link clicks,Amount spent (EUR)"]
    lines += [
        f"{r.day.isoformat()},{ad_name(r.variant_id)},{r.impressions},{r.clicks},{r.spend:.2f}"
        for r in rows
    ]
    return "\n".join(lines) + "\n"


def import_spend(campaigns_url: str, demo: DemoCampaign, week: str, csv_text: str) -> int:
    """Upload the export through the API, check the preview, confirm; the events sent."""
    headers = {"Authorization": f"Bearer {demo.api_token}"}
    base = f"{campaigns_url}/api/v1/campaigns/{demo.campaign.slug}/spend-imports"
    with httpx.Client(timeout=60, headers=headers) as http:
        preview = http.post(
            base, files={"file": (f"meta-{week}.csv", csv_text.encode(), "text/csv")}
        )
        preview.raise_for_status()
        body = preview.json()
        if body["error_count"] or not body["importable"]:
            raise SystemExit(f"the spend import of {week} was refused: {body['rows'][:3]}")
        confirmed = http.post(f"{base}/{body['id']}/confirm")
        confirmed.raise_for_status()
        return int(confirmed.json()["events"])


# --- the weekly job and what it decided --------------------------------------------------------


def run_weekly_job(week: str) -> str:
    """``koers-campaigns weekly --week``: plan every live campaign, autopilot, push."""
    result = subprocess.run(
        [str(REPO / ".venv" / "bin" / "koers-campaigns"), "weekly", "--week", week],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 1):  # 1: another campaign failed; ours is checked below
        raise SystemExit(f"the weekly job for {week} failed:\n{result.stderr[-2000:]}")
    return result.stdout


@dataclass(frozen=True)
class WeekDecision:
    status: str
    amounts: dict[str, Decimal]


def decided_amounts(engine: Engine, demo: DemoCampaign, week: str) -> WeekDecision:
    """What runs this week: autopilot's (or a person's) split, else last week's amounts."""
    variant_ids = [v.variant_id for v in demo.variants]
    status: str
    with engine.connect() as conn:
        decision = decisions_repo.decision_for(conn, demo.campaign.id, week)
        if decision is not None and decision.pushable:
            cents = dict(decision.amounts)
            status = decision.status
        else:
            cents, _ = current_amounts(conn, demo.campaign, week, variant_ids)
            status = decision.status if decision is not None else "none"
    return WeekDecision(status, {v: Decimal(cents.get(v, 0)) / 100 for v in variant_ids})


def analytics_has(
    analytics_url: str, token: str, campaign_id: str, week: str, leads: int, spend: Decimal
) -> bool:
    response = httpx.get(
        f"{analytics_url}/v1/campaigns/{campaign_id}/funnel",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    if response.status_code != 200:
        return False
    weeks = [w for v in response.json().get("variants", []) for w in v.get("weeks", [])]
    mine = [w for w in weeks if w.get("week") == week]
    return sum(int(w.get("leads", 0)) for w in mine) >= leads and sum(
        Decimal(str(w.get("spend", 0))) for w in mine
    ) >= spend - Decimal("0.05")


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}: are the relays and consumers up?")
        time.sleep(0.5)


def write_bulk_files(engine: Engine, demo: DemoCampaign, folder: Path) -> list[Path]:
    """The csv adapter's bulk files of every pushed week, as stored by the push."""
    written = []
    with engine.connect() as conn:
        for stored in decisions_repo.files_of(conn, demo.campaign.id):
            path = folder / stored.week / stored.filename
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(stored.content)
            written.append(path)
    return written


# --- the result --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekResult:
    week: str
    decision: str
    budget: Decimal
    visits: int
    leads: int
    expected_koers: float
    expected_equal: float
    amounts: dict[str, Decimal]
    refused: dict[str, int]


def expected_leads(amounts: dict[str, Decimal], demo: DemoCampaign, week_number: int) -> float:
    return sum(float(a) * demo.truth[v].rate(week_number) for v, a in amounts.items())


def equal_split(budget: Decimal, variant_ids: list[str]) -> dict[str, Decimal]:
    return {v: budget / len(variant_ids) for v in variant_ids}


def result_table(results: list[WeekResult]) -> tuple[Table, str]:
    table = Table(title="Leads per week: Koers on autopilot against an equal split")
    head = (
        "week",
        "decision",
        "visits",
        "leads (observed)",
        "expected, Koers split",
        "expected, equal split",
    )
    for column in head:
        table.add_column(column, justify="right" if column != "decision" else "left")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        cells = (
            r.week,
            r.decision,
            str(r.visits),
            str(r.leads),
            f"{r.expected_koers:.1f}",
            f"{r.expected_equal:.1f}",
        )
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    total = (
        "total",
        "",
        str(sum(r.visits for r in results)),
        str(sum(r.leads for r in results)),
        f"{sum(r.expected_koers for r in results):.1f}",
        f"{sum(r.expected_equal for r in results):.1f}",
    )
    table.add_row(*total, style="bold")
    lines.append("| " + " | ".join(f"**{c}**" if c else "" for c in total) + " |")
    return table, "\n".join(lines)


def chart(results: list[WeekResult], path: Path) -> None:
    """Cumulative leads: observed under Koers, expected under Koers and an equal split."""
    line = pygal.Line(
        title="Cumulatieve leads: Koers (autopilot) tegen een gelijke verdeling",
        x_title="ISO-week",
        y_title="leads",
        show_dots=True,
        width=900,
        height=420,
        legend_at_bottom=True,
        js=[],
    )
    line.x_labels = [r.week for r in results]
    running = {"observed": 0.0, "koers": 0.0, "equal": 0.0}
    series: dict[str, list[float]] = {key: [] for key in running}
    for r in results:
        running["observed"] += r.leads
        running["koers"] += r.expected_koers
        running["equal"] += r.expected_equal
        for key, value in running.items():
            series[key].append(round(value, 1))
    line.add("Koers: leads op de landingspagina", series["observed"])
    line.add("Koers: verwacht (ware kansen)", series["koers"])
    line.add("Gelijke verdeling: verwacht", series["equal"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(line.render())


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weeks", type=int, default=8, help="simulated weeks (default 8)")
    parser.add_argument(
        "--budget", type=Decimal, default=Decimal("500"), help="weekly budget in EUR"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the simulated world")
    parser.add_argument(
        "--max-change",
        type=float,
        default=MAX_CHANGE,
        help="the campaign's largest weekly change per creative, as a share (default 0.2)",
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where files go")
    parser.add_argument(
        "--no-report", action="store_true", help="do not write docs/benchmarks.md (tests)"
    )
    args = parser.parse_args(argv)
    if not 2 <= args.weeks <= 26:
        parser.error("--weeks must be between 2 and 26")
    console = Console()
    started = time.monotonic()
    campaigns_settings = CampaignsSettings()
    engine = make_engine(campaigns_settings.database_url)
    analytics_url = campaigns_settings.analytics_url.rstrip("/")
    campaigns_url = campaigns_settings.console_url.rstrip("/")
    service_token = campaigns_settings.service_token
    world = demo_world(args.seed, args.weeks)
    demo = create_campaign(engine, world, args.budget, args.max_change, datetime.now(UTC))
    console.print(
        f"Campaign [bold]{demo.campaign.name}[/] ({demo.campaign.slug}): "
        f"{len(demo.variants)} creatives from the simulator's world (seed {world.seed}), "
        f"€{args.budget} a week, autopilot on (largest weekly change {args.max_change:.0%})."
    )
    landing_url = campaigns_settings.landing_url.rstrip("/")
    wait_for(
        lambda: httpx.get(f"{landing_url}/j/{demo.campaign.slug}", timeout=5).status_code == 200,
        120,
        "the page to reach the landing service",
    )
    current = iso_week(datetime.now(UTC).date())
    weeks = [shift_week(current, k - args.weeks) for k in range(args.weeks)]
    rng = np.random.default_rng(args.seed)
    variant_ids = [v.variant_id for v in demo.variants]
    results: list[WeekResult] = []
    clock = SimulatedClock()
    equal_week_visits = planned_clicks(equal_split(args.budget, variant_ids), demo)
    with (
        landing_on(clock) as sim_landing,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress,
    ):
        overall = progress.add_task("candidates", total=equal_week_visits * len(weeks))
        for number, week in enumerate(weeks, start=1):
            progress.update(overall, description=f"{week}: weekly job")
            run_weekly_job(week)
            decision = decided_amounts(engine, demo, week)
            # The split decides how many clicks the budget buys: re-estimate what is left.
            done = int(progress.tasks[overall].completed)
            left = planned_clicks(decision.amounts, demo) + equal_week_visits * (
                len(weeks) - number
            )
            progress.update(overall, description=f"{week}: candidates", total=done + left)
            traffic, spend_rows = asyncio.run(
                simulate_week(
                    sim_landing,
                    clock,
                    demo,
                    decision.amounts,
                    week,
                    number,
                    rng,
                    lambda: progress.advance(overall),
                )
            )
            progress.update(overall, description=f"{week}: spend import")
            csv_text = meta_csv(spend_rows)
            (args.out / "spend").mkdir(parents=True, exist_ok=True)
            (args.out / "spend" / f"meta-{week}.csv").write_text(csv_text)
            import_spend(campaigns_url, demo, week, csv_text)
            leads = sum(traffic.leads.values())
            spend = sum((r.spend for r in spend_rows), Decimal(0))
            progress.update(overall, description=f"{week}: analytics")
            wait_for(
                partial(
                    analytics_has,
                    analytics_url,
                    service_token,
                    demo.campaign.id,
                    week,
                    leads,
                    spend,
                ),
                WAIT_FOR_ANALYTICS_S,
                f"analytics to hold {week}'s leads and spend",
            )
            results.append(
                WeekResult(
                    week=week,
                    decision=decision.status,
                    budget=args.budget,
                    visits=sum(traffic.visits.values()),
                    leads=leads,
                    expected_koers=expected_leads(decision.amounts, demo, number),
                    expected_equal=expected_leads(
                        equal_split(args.budget, variant_ids), demo, number
                    ),
                    amounts=decision.amounts,
                    refused=traffic.refused,
                )
            )
        progress.update(overall, total=progress.tasks[overall].completed, description="done")
    files = write_bulk_files(engine, demo, args.out / "bulk")
    chart_path = args.out / "leads-vs-equal-split.svg"
    chart(results, chart_path)
    engine.dispose()
    table, markdown = result_table(results)
    console.print(table)
    koers = sum(r.expected_koers for r in results)
    equal = sum(r.expected_equal for r in results)
    observed = sum(r.leads for r in results)
    elapsed = time.monotonic() - started
    ratio = koers / equal if equal else math.nan
    refused: dict[str, int] = {}
    for r in results:
        for key, n in r.refused.items():
            refused[key] = refused.get(key, 0) + n
    if refused:
        console.print(f"[yellow]Refused by the candidate pages:[/] {refused}")
    console.print(
        f"Koers's splits were expected to bring {koers:.1f} leads against {equal:.1f} for an "
        f"equal split ({ratio:.2f}x); the landing pages took {observed}. "
        f"{len(files)} bulk file(s) in {args.out / 'bulk'}, chart {chart_path}, "
        f"{elapsed:.0f} s."
    )
    if not args.no_report:
        write_section(
            "demo",
            "`make demo`: eight weeks on autopilot against an equal split",
            f"""
One simulated campaign ({len(demo.variants)} creatives from
`analytics.simulation.world`, seed {world.seed}, €{args.budget} a week, autopilot on with
a largest weekly change of {args.max_change:.0%}) run through the
running stack (the processes of `make run`)
for {len(results)} past ISO weeks: candidates visit and leave
leads on the landing page over HTTP, spend is imported as Meta CSVs through the API,
and the weekly job runs on autopilot each week. "Expected" columns use the world's true
conversion rates per euro for the split that ran and for an equal split of the same
budget; "observed" is what the landing pages recorded (random, so it differs).

{markdown}

Koers against an equal split (expected leads): **{ratio:.2f}x**. Observed leads
{observed}; {sum(r.visits for r in results)} visits; {len(files)} csv bulk files;
{elapsed:.0f} s wall time.
""",
        )
        console.print("Figures written to docs/benchmarks.md.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
