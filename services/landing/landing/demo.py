"""Simulated candidate journeys for the demo campaign, so analytics has history to learn
from on first start. Everything is obviously synthetic and marked ``is_demo``.

The simulation is deterministic (``random.Random(seed)``): the same seed, page and
weeks give the same visits, leads and event ids. Each variant gets its own conversion
profile, so the weekly allocation has a real difference to find.
"""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

from sqlalchemy import Engine

from koers.db import transaction
from koers.events import (
    ContactChannel,
    EntryPoint,
    EntryStarted,
    Envelope,
    LeadSubmitted,
    PageViewed,
    Payload,
    QuizCompleted,
    new_envelope,
)
from koers.isoweeks import iso_week, shift_week, week_monday
from koers.messaging.outbox import add_to_outbox
from landing.pages.repository import PublishedPage, find_page_by_slug
from landing.submissions import domain, repository
from landing.submissions.repository import Lead, QuizResult
from landing.submissions.service import SOURCE
from landing.web import messages

DEMO_SLUG = "demo-klantenservice"
DEFAULT_SEED = 20250106
OUTBOX_BATCH = 1000


@dataclass(frozen=True)
class VariantProfile:
    """How candidates brought in by one creative behave."""

    entry_rate: float  # share of visits that open the quiz or the lead form
    quiz_share: float  # of those entries, the share that picks the quiz
    completion_rate: float  # share of started forms that are sent
    quiz_to_lead_rate: float  # share of qualified quiz takers who then leave details


# Deliberately different, so the demo's weekly allocation has something to find.
PROFILES = (
    VariantProfile(entry_rate=0.22, quiz_share=0.55, completion_rate=0.55, quiz_to_lead_rate=0.45),
    VariantProfile(entry_rate=0.10, quiz_share=0.40, completion_rate=0.40, quiz_to_lead_rate=0.30),
    VariantProfile(entry_rate=0.06, quiz_share=0.30, completion_rate=0.35, quiz_to_lead_rate=0.25),
    VariantProfile(entry_rate=0.15, quiz_share=0.65, completion_rate=0.50, quiz_to_lead_rate=0.35),
)
CHANNEL_WEIGHTS: tuple[tuple[ContactChannel, float], ...] = (
    ("whatsapp", 0.45),
    ("email", 0.35),
    ("phone", 0.2),
)


@dataclass(frozen=True)
class SeedSummary:
    slug: str
    already_seeded: bool
    weeks: int = 0
    variants: int = 0
    visits: int = 0
    entries: int = 0
    quiz_results: int = 0
    leads: int = 0
    events: int = 0

    def line(self) -> str:
        if self.already_seeded:
            return f"{self.slug}: demo journeys already seeded; nothing to do"
        return (
            f"{self.slug}: seeded {self.weeks} week(s) x {self.variants} variant(s): "
            f"{self.visits} visits, {self.entries} entries, {self.quiz_results} quiz results, "
            f"{self.leads} leads, {self.events} events queued in the outbox"
        )


def wait_for_page(
    engine: Engine,
    slug: str,
    timeout_s: float,
    *,
    poll_s: float = 1.0,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> PublishedPage | None:
    """Poll the database until the consumer has stored the page, or give up."""
    deadline = monotonic() + timeout_s
    while True:
        with engine.connect() as conn:
            page = find_page_by_slug(conn, slug)
        if page is not None:
            return page
        if monotonic() >= deadline:
            return None
        sleep(poll_s)


def past_iso_weeks(today: date, weeks: int) -> list[date]:
    """Mondays of the ``weeks`` full ISO weeks before the one ``today`` is in, oldest first."""
    this_week = iso_week(today)
    return [week_monday(shift_week(this_week, -n)) for n in range(weeks, 0, -1)]


class _Simulation:
    def __init__(self, page: PublishedPage, rng: random.Random) -> None:
        self.page = page
        self.rng = rng
        self.events: list[Envelope] = []
        self.leads: list[Lead] = []
        self.quiz_results: list[QuizResult] = []
        self.visits = 0
        self.entries = 0
        offered = set(page.campaign.page.entry_points)
        self.quiz_offered = "quiz" in offered
        self.lead_entry: EntryPoint = (
            "lead" if "lead" in offered or not offered - {"quiz"} else "apply"
        )

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _emit(self, payload: Payload, at: datetime) -> None:
        self.events.append(
            new_envelope(
                payload,
                source=SOURCE,
                tenant_id=self.page.tenant_id,
                campaign_id=self.page.campaign_id,
                occurred_at=at,
                event_id=self._uuid(),
            )
        )

    def visit(self, variant_id: str, profile: VariantProfile, week_start: datetime) -> None:
        rng = self.rng
        self.visits += 1
        visited_at = week_start + timedelta(seconds=rng.uniform(0, 7 * 24 * 3600 - 3600))
        key = hashlib.sha256(f"demo:{self._uuid()}".encode()).hexdigest()
        common = {"variant_id": variant_id, "visitor_key": key, "visited_at": visited_at}
        source = "direct" if variant_id == domain.DIRECT_VARIANT else "paid_social"
        self._emit(PageViewed(**common, utm_source=source), visited_at)
        if rng.random() >= profile.entry_rate:
            return
        self.entries += 1
        moment = visited_at + timedelta(seconds=rng.uniform(5, 90))
        if self.quiz_offered and rng.random() < profile.quiz_share:
            self._emit(EntryStarted(**common, entry_point="quiz"), moment)
            if rng.random() >= profile.completion_rate + 0.2:
                return
            moment += timedelta(seconds=rng.uniform(30, 120))
            score, qualified = self._quiz_answers(variant_id, moment)
            self._emit(QuizCompleted(**common, score=score, qualified=qualified), moment)
            if not qualified or rng.random() >= profile.quiz_to_lead_rate:
                return
            moment += timedelta(seconds=rng.uniform(10, 60))
        self._emit(EntryStarted(**common, entry_point=self.lead_entry), moment)
        if rng.random() >= profile.completion_rate:
            return
        moment += timedelta(seconds=rng.uniform(40, 240))
        lead = self._lead(variant_id, visited_at, moment)
        self._emit(
            LeadSubmitted(
                **common, lead_id=str(lead.lead_id), contact_channel=lead.contact_channel
            ),
            moment,
        )

    def _quiz_answers(self, variant_id: str, at: datetime) -> tuple[int, bool]:
        content = self.page.campaign.page
        answers = [self.rng.randrange(len(q.options)) for q in content.quiz]
        raw = [str(a) for a in answers]
        scored = domain.score_quiz(content.quiz, raw, content.quiz_pass_score).result
        score, qualified = (scored.score, scored.qualified) if scored else (0, False)
        if not content.quiz:  # a page without questions still gets plausible numbers
            score = self.rng.randint(0, 10)
            qualified = score >= content.quiz_pass_score
        self.quiz_results.append(
            QuizResult(
                id=self._uuid(),
                tenant_id=self.page.tenant_id,
                campaign_id=self.page.campaign_id,
                variant_id=variant_id,
                answers=answers,
                score=score,
                qualified=qualified,
                form_nonce=f"demo-{self._uuid().hex}",
                created_at=at,
            )
        )
        return score, qualified

    def _lead(self, variant_id: str, visited_at: datetime, at: datetime) -> Lead:
        number = len(self.leads) + 1
        channels, weights = zip(*CHANNEL_WEIGHTS, strict=True)
        channel: ContactChannel = self.rng.choices(channels, weights)[0]
        lead = Lead(
            lead_id=self._uuid(),
            tenant_id=self.page.tenant_id,
            campaign_id=self.page.campaign_id,
            variant_id=variant_id,
            entry_point=self.lead_entry,
            name=f"Demo kandidaat {number}",
            phone_e164=f"+3160000{number:04d}" if channel in ("whatsapp", "phone") else None,
            email=f"demo{number}@example.invalid",
            contact_channel=channel,
            best_moment=self.rng.choice((None, *domain.BEST_MOMENTS)),
            consent_text=messages.lead_consent_text(
                messages.untranslated,
                self.page.campaign.page.employer_name,
                self.page.campaign.page.consent_months,
            ),
            consented_at=at,
            form_nonce=f"demo-{self._uuid().hex}",
            utm={"utm_source": "paid_social"},
            visited_at=visited_at,
            created_at=at,
            is_demo=True,
        )
        self.leads.append(lead)
        return lead


def seed_demo(
    engine: Engine, page: PublishedPage, *, weeks: int, today: date, seed: int = DEFAULT_SEED
) -> SeedSummary:
    """Write simulated journeys for the past ``weeks`` ISO weeks, once per campaign."""
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    rng = random.Random(seed)
    variants = [v.variant_id for v in page.campaign.variants]
    simulation = _Simulation(page, rng)
    for monday in past_iso_weeks(today, weeks):
        week_start = datetime.combine(monday, clock_time(0), tzinfo=UTC)
        for index, variant_id in enumerate(variants):
            profile = PROFILES[index % len(PROFILES)]
            for _ in range(rng.randint(200, 400)):
                simulation.visit(variant_id, profile, week_start)
    if not simulation.leads:  # the idempotency marker below is "a demo lead exists"
        raise RuntimeError("the simulation produced no leads; use more weeks or variants")
    events = sorted(simulation.events, key=lambda e: e.occurred_at)

    with transaction(engine) as conn:
        if repository.has_demo_leads(conn, page.campaign_id):
            return SeedSummary(slug=page.slug, already_seeded=True)
        repository.insert_leads(conn, *simulation.leads)
        repository.insert_quiz_results(conn, *simulation.quiz_results)
        for start in range(0, len(events), OUTBOX_BATCH):
            add_to_outbox(conn, *events[start : start + OUTBOX_BATCH])
    return SeedSummary(
        slug=page.slug,
        already_seeded=False,
        weeks=weeks,
        variants=len(variants),
        visits=simulation.visits,
        entries=simulation.entries,
        quiz_results=len(simulation.quiz_results),
        leads=len(simulation.leads),
        events=len(events),
    )
