"""What a marketer may send to create or change a campaign, a creative or a page.

One set of validated models serves the console forms and the JSON API alike, so both
refuse the same things with the same words (``web.forms.field_errors`` turns a refusal
into ``{field: message}`` for showing next to the form field it concerns).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from campaigns.catalog.audience import AudienceSegment, Region, TargetChannel
from koers.events import (
    ApplyOptions,
    CampaignGoal,
    Channel,
    CreativeFormat,
    EntryPoint,
    Guardrails,
    LeadFormOptions,
    QuizQuestionText,
)
from koers.instants import PlausibleDay
from koers.text import StorableInput

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Language = Literal["nl", "en"]
SalaryPeriod = Literal["hour", "month", "year"]
MAX_BUDGET = Decimal("10000000")
RESERVED_SLUGS = frozenset({"new"})
# The landing page shows media from its own origin (root-relative) or over https.
PAGE_MEDIA_PATTERN = r"^(https://[^\s\"'<>]+|/[^/\s\"'<>][^\s\"'<>]*)$"


class Input(StorableInput):
    # Every text field of every input: a NUL or an unpaired surrogate would fail at the
    # INSERT on PostgreSQL (a 500); refused as a 422 naming the field (StorableInput).
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def slugify(text: str) -> str:
    """``Klantenservice Utrecht (32 uur)`` -> ``klantenservice-utrecht-32-uur``."""
    table = str.maketrans("áàäâéèëêíìïîóòöôúùüûçñ", "aaaaeeeeiiiioooouuuucn")
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower().translate(table)).strip("-")
    slug = slug[:60].strip("-") or "campaign"
    return "campaign-new" if slug in RESERVED_SLUGS else slug


class CampaignInput(Input):
    """A campaign's vacancy, audience, goal, dates, budget and guardrails."""

    name: str = Field(min_length=1, max_length=200)
    vacancy_title: str = Field(min_length=1, max_length=200)
    location: Text200 = ""
    hours_min: int | None = Field(default=None, ge=1, le=60)
    hours_max: int | None = Field(default=None, ge=1, le=60)
    salary_min: Decimal | None = Field(default=None, ge=0, le=1_000_000, decimal_places=2)
    salary_max: Decimal | None = Field(default=None, ge=0, le=1_000_000, decimal_places=2)
    salary_period: SalaryPeriod = "month"
    persona_drivers: str = Field(default="", max_length=2000)
    persona_channels: str = Field(default="", max_length=2000)
    persona_regions: str = Field(default="", max_length=2000)
    audience_segments: list[AudienceSegment] = Field(default_factory=list, max_length=6)
    target_regions: list[Region] = Field(default_factory=list, max_length=14)
    target_channels: list[TargetChannel] = Field(default_factory=list, max_length=6)
    goal: CampaignGoal = "lead"
    starts_on: PlausibleDay | None = None
    ends_on: PlausibleDay | None = None
    weekly_budget: Decimal = Field(ge=0, le=MAX_BUDGET, decimal_places=2)
    guardrails: Guardrails = Field(default_factory=Guardrails)

    @model_validator(mode="after")
    def _ranges(self) -> CampaignInput:
        if self.hours_min and self.hours_max and self.hours_min > self.hours_max:
            raise ValueError("hours_max: must not be below the minimum hours")
        if (
            self.salary_min is not None
            and self.salary_max is not None
            and self.salary_min > self.salary_max
        ):
            raise ValueError("salary_max: must not be below the minimum salary")
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on: the campaign cannot end before it starts")
        if Decimal(str(self.guardrails.min_spend_per_creative)) > self.weekly_budget:
            raise ValueError(
                "guardrails.min_spend_per_creative: cannot be more than the weekly budget"
            )
        return self


class NewCampaignInput(CampaignInput):
    slug: str | None = Field(default=None, max_length=60, pattern=SLUG_PATTERN)
    """The page address ``/j/{slug}``; made from the name when left out. Fixed once created."""

    @field_validator("slug", mode="after")
    @classmethod
    def _not_reserved(cls, slug: str | None) -> str | None:
        if slug in RESERVED_SLUGS:
            raise ValueError(f"{slug!r} is reserved; choose another address")
        return slug


class CreativeInput(Input):
    """One creative: where it runs, what it looks like, and how export rows find it."""

    name: str = Field(min_length=1, max_length=200)
    channel: Channel
    creative_format: CreativeFormat = "image"
    hook: str = Field(min_length=1, max_length=300)
    body: str = Field(default="", max_length=3000)
    call_to_action: str = Field(default="", max_length=100)
    media_url: str | None = Field(default=None, max_length=500, pattern=r"^https://\S+$")
    employee_generated: bool = False
    tags: tuple[Annotated[str, StringConstraints(min_length=1, max_length=40)], ...] = Field(
        default=(), max_length=20
    )
    ad_key: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("tags", mode="after")
    @classmethod
    def _normalise_tags(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for tag in tags:
            seen.setdefault(tag.strip().lower(), None)
        return tuple(t for t in seen if t)

    @field_validator("media_url", "ad_key", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


class NewCreativeInput(CreativeInput):
    variant_id: str | None = Field(default=None, max_length=64, pattern=IDENTIFIER_PATTERN)
    """The short key in landing links (``?v=...``); made from the channel when left out."""

    @field_validator("variant_id", mode="before")
    @classmethod
    def _blank_id_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


class QuizOptionInput(Input):
    label: str = Field(min_length=1, max_length=200)
    score: int = Field(ge=0, le=100)


class QuizQuestionInput(Input):
    question: str = Field(min_length=1, max_length=300)
    options: tuple[QuizOptionInput, ...] = Field(min_length=2, max_length=6)


class TranslationInput(Input):
    """A page's texts in one more language (``PageTexts`` in the contract): the quiz
    too, same questions and options in the same order, or a candidate reads Dutch
    questions on an English page."""

    headline: str = Field(min_length=1, max_length=200)
    intro: str = Field(default="", max_length=2000)
    hero_alt: str = Field(default="", max_length=300)
    quiz: tuple[QuizQuestionText, ...] = Field(default=(), max_length=10)


class PageInput(Input):
    """The landing page draft: texts, branding, entry points, quiz and form options."""

    language: Language = "nl"
    languages: tuple[Language, ...] = Field(default=("nl", "en"), min_length=1, max_length=2)
    employer_name: str = Field(min_length=1, max_length=200)
    headline: str = Field(min_length=1, max_length=200)
    intro: str = Field(default="", max_length=2000)
    primary_colour: str = Field(default="#0b5fff", pattern=r"^#[0-9a-fA-F]{6}$")
    logo_url: str | None = Field(default=None, max_length=500, pattern=PAGE_MEDIA_PATTERN)
    hero_image_url: str | None = Field(default=None, max_length=500, pattern=PAGE_MEDIA_PATTERN)
    hero_video_url: str | None = Field(default=None, max_length=500, pattern=PAGE_MEDIA_PATTERN)
    hero_alt: str = Field(default="", max_length=300)
    entry_points: tuple[EntryPoint, ...] = Field(min_length=1, max_length=3)
    quiz: tuple[QuizQuestionInput, ...] = Field(default=(), max_length=10)
    quiz_pass_score: int = Field(default=0, ge=0, le=1000)
    lead_form: LeadFormOptions = Field(default_factory=LeadFormOptions)
    apply: ApplyOptions = Field(default_factory=ApplyOptions)
    response_days: int = Field(default=2, ge=1, le=30)
    consent_months: int = Field(default=12, ge=1, le=12)
    translations: dict[Language, TranslationInput] = Field(default_factory=dict)

    @field_validator("logo_url", "hero_image_url", "hero_video_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _consistent(self) -> PageInput:
        if self.language not in self.languages:
            raise ValueError("languages: must include the page's own language")
        if len(set(self.entry_points)) != len(self.entry_points):
            raise ValueError("entry_points: each entry point once")
        if "quiz" in self.entry_points and not self.quiz:
            raise ValueError("quiz: the quiz entry point needs at least one question")
        reachable = sum(max(o.score for o in q.options) for q in self.quiz)
        if self.quiz and self.quiz_pass_score > reachable:
            raise ValueError(f"quiz_pass_score: above the highest reachable score ({reachable})")
        for language in self.translations:
            if language == self.language or language not in self.languages:
                raise ValueError(
                    f"translations: texts in {language} need {language} among the page's "
                    "languages; tick it there or leave these texts empty"
                )
        return self

    def to_page(self) -> dict[str, Any]:
        """The draft as stored (and, with a version, as PageSnapshot validates it)."""
        page = self.model_dump(mode="json", exclude={"translations"})
        page["translations"] = {
            language: texts.model_dump(mode="json") for language, texts in self.translations.items()
        }
        return page
