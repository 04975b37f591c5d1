"""The demo tenant's content and its simulated delivery history (pure, deterministic)."""

# The Dutch copy uses real typographic dashes and quotes, as a marketer would write it,
# and a no-break space between € and an amount (a phone never shows "€" alone on a line).
# ruff: noqa: RUF001

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from campaigns.catalog.domain import Variant
from campaigns.spend.domain import DailySpend, complete_weeks_before
from campaigns.spend.parser.periods import CENT

DEMO_TENANT = "Demo Werving BV"
DEMO_EMAIL = "demo@koers.local"
DEMO_SLUG = "demo-klantenservice"
DEMO_IMPORT_ID = "demo-seed"
DEMO_WEEKS = 4
DEMO_SEED = 42

# Vacancy, audience and guardrails beyond what creating a campaign asks for.
DEMO_DETAILS: dict[str, Any] = {
    "location": "Utrecht",
    "hours_min": 32,
    "hours_max": 40,
    "salary_min": Decimal("2650.00"),
    "salary_max": Decimal("3100.00"),
    "salary_period": "month",
    "persona_drivers": "Zekerheid, een vast rooster en collega’s die helpen; vaak mbo, 20–35 jaar.",
    "persona_channels": "Instagram en TikTok in de avond; Facebook bij 30+.",
    "persona_regions": "Utrecht en 25 km daaromheen; goed bereikbaar met OV.",
    "audience_segments": ("starters", "career_switchers"),
    "target_regions": ("utrecht",),
    "target_channels": ("instagram", "tiktok", "facebook", "linkedin"),
}

DEMO_CAMPAIGN: dict[str, Any] = {
    "slug": DEMO_SLUG,
    "name": "Klantenservicemedewerker Utrecht",
    "vacancy_title": "Klantenservicemedewerker (32–40 uur)",
    "goal": "lead",
    "weekly_budget": Decimal("1000.00"),
}

DEMO_PAGE: dict[str, Any] = {
    "language": "nl",
    "employer_name": DEMO_TENANT,
    "headline": "Help klanten verder vanuit Utrecht – word klantenservicemedewerker",
    "intro": (
        "Je helpt klanten via telefoon, chat en WhatsApp en lost hun vraag het liefst in "
        "één keer op. 32–40 uur per week, € 2.650 – € 3.100 bruto per maand, een goede "
        "inwerkperiode en daarna hybride werken. Doe de quiz van een minuut, laat je "
        "nummer achter of solliciteer meteen – zonder cv mag ook."
    ),
    "primary_colour": "#00796b",
    "entry_points": ["quiz", "lead", "apply"],
    "quiz": [
        {
            "question": "Hoe help je iemand het liefst verder?",
            "options": [
                {"label": "Aan de telefoon: ik hoor graag wat er speelt", "score": 30},
                {"label": "Via chat of WhatsApp", "score": 25},
                {"label": "Liever zonder klantcontact", "score": 0},
            ],
        },
        {
            "question": "Hoeveel uur per week wil je werken?",
            "options": [
                {"label": "32 tot 40 uur", "score": 30},
                {"label": "24 tot 32 uur", "score": 20},
                {"label": "Minder dan 24 uur", "score": 5},
            ],
        },
        {
            "question": "Een klant is boos omdat een levering te laat is. Wat doe je?",
            "options": [
                {
                    "label": "Ik luister, bied excuses aan en regel meteen een oplossing",
                    "score": 40,
                },
                {"label": "Ik leg uit wat de regels zijn", "score": 15},
                {"label": "Ik verbind door met een collega", "score": 5},
            ],
        },
    ],
    "quiz_pass_score": 70,
    # The intro promises "zonder cv mag ook": the apply form must keep that promise.
    "apply": {"cv_required": False, "ask_motivation": True, "offer_talent_pool": True},
    "languages": ["nl", "en"],
    "translations": {
        "en": {
            "headline": "Help customers from Utrecht – become a customer service agent",
            "intro": (
                "You help customers by phone, chat and WhatsApp and like to solve their "
                "question in one go. 32–40 hours a week, € 2,650 – € 3,100 gross a month, "
                "a good induction and hybrid working after that. Take the one-minute quiz, "
                "leave your number or apply straight away – no CV needed."
            ),
            "quiz": [
                {
                    "question": "How do you like to help someone best?",
                    "options": [
                        "On the phone: I like to hear what is going on",
                        "By chat or WhatsApp",
                        "Preferably without customer contact",
                    ],
                },
                {
                    "question": "How many hours a week would you like to work?",
                    "options": ["32 to 40 hours", "24 to 32 hours", "Fewer than 24 hours"],
                },
                {
                    "question": "A customer is angry because a delivery is late. What do you do?",
                    "options": [
                        "I listen, apologise and arrange a solution right away",
                        "I explain what the rules are",
                        "I put them through to a colleague",
                    ],
                },
            ],
        }
    },
    # A hero image is optional: media must come from the employer's own https host,
    # allowed in KOERS_LANDING_MEDIA_ORIGINS (see the README). Set "hero_image_url" and
    # "hero_alt" in the page builder once that host is known.
}

DEMO_VARIANTS: tuple[Variant, ...] = (
    Variant(
        variant_id="instagram",
        name="Instagram Reel – een dag op de klantenservice",
        channel="instagram",
        creative_format="video",
        hook="Zo ziet een werkdag op onze klantenservice in Utrecht eruit – in 30 seconden",
        ad_key="KS-Utrecht | Reel werkdag",
    ),
    Variant(
        variant_id="tiktok",
        name="TikTok – collega vertelt",
        channel="tiktok",
        creative_format="video",
        hook="‘Ik begon zonder ervaring, nu werk ik nieuwe collega’s in’ – Sanne (24)",
        ad_key="KS-Utrecht | TikTok collega",
        employee_generated=True,  # Sanne filmed it herself
    ),
    Variant(
        variant_id="linkedin",
        name="LinkedIn – salaris en zekerheid",
        channel="linkedin",
        creative_format="image",
        hook="€ 2.650 – € 3.100 bruto, uitzicht op een vast contract en hybride werken",
        ad_key="KS-Utrecht | LinkedIn salaris",
    ),
    Variant(
        variant_id="facebook",
        name="Facebook – werk dichtbij huis",
        channel="facebook",
        creative_format="image",
        hook="Werken dichtbij huis? Klantenservice in Utrecht, start binnen twee weken",
        ad_key="KS-Utrecht | FB dichtbij huis",
    ),
)


@dataclass(frozen=True)
class DeliveryProfile:
    """How a channel typically delivers: daily spend, cost per mille, click-through rate."""

    daily_spend: float
    cpm: float
    ctr: float


DELIVERY_PROFILES: dict[str, DeliveryProfile] = {
    "instagram": DeliveryProfile(daily_spend=42.0, cpm=7.5, ctr=0.011),
    "tiktok": DeliveryProfile(daily_spend=36.0, cpm=5.0, ctr=0.009),
    "linkedin": DeliveryProfile(daily_spend=48.0, cpm=22.0, ctr=0.006),
    "facebook": DeliveryProfile(daily_spend=30.0, cpm=6.5, ctr=0.010),
}
MIN_DAILY_SPEND, MAX_DAILY_SPEND = 15.0, 60.0


def simulate_spend_history(
    variant_ids: tuple[str, ...], today: date, *, weeks: int = DEMO_WEEKS, seed: int = DEMO_SEED
) -> list[DailySpend]:
    """Daily spend, impressions and clicks per variant for the complete weeks before today.

    Deterministic for a given ``today``: the same seed draws the same figures, so the
    demo looks the same on every machine.
    """
    rng = random.Random(seed)
    first_monday = complete_weeks_before(today, weeks)[0]
    history = []
    for offset in range(weeks * 7):
        day = first_monday + timedelta(days=offset)
        weekend = 0.8 if day.weekday() >= 5 else 1.0
        for variant_id in variant_ids:
            profile = DELIVERY_PROFILES.get(variant_id, DeliveryProfile(35.0, 8.0, 0.009))
            raw = rng.gauss(profile.daily_spend * weekend, 7.0)
            spend = Decimal(str(min(max(raw, MIN_DAILY_SPEND), MAX_DAILY_SPEND))).quantize(CENT)
            impressions = round(float(spend) / profile.cpm * 1000 * rng.uniform(0.85, 1.15))
            clicks = round(impressions * profile.ctr * rng.uniform(0.8, 1.2))
            history.append(
                DailySpend(
                    variant_id=variant_id,
                    day=day,
                    spend=spend,
                    impressions=impressions,
                    clicks=clicks,
                )
            )
    return history
