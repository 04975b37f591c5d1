"""Event contracts shared by every Koers service.

Every message on the stream is an :class:`Envelope` whose ``payload`` is one of the
payload models below. Payloads are past-tense facts, frozen and versioned; they carry
ids, categories and numbers, never a candidate's name, e-mail, phone or CV.

``EVENT_TYPES`` is the single registry: event type name -> (topic, payload model,
schema version). Producers build envelopes with :func:`new_envelope`; consumers parse
raw bytes with :func:`parse_envelope`, which raises :class:`InvalidEvent` for anything
that does not match a contract (so it can be dead-lettered with the reason).
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from koers.isoweeks import ISO_WEEK_PATTERN

CAMPAIGN_STATE_TOPIC = "koers.campaign-state.v1"
CANDIDATE_EVENTS_TOPIC = "koers.candidate-events.v1"
DELIVERY_TOPIC = "koers.delivery.v1"
LEAD_OUTCOMES_TOPIC = "koers.lead-outcomes.v1"
ALLOCATIONS_TOPIC = "koers.allocations.v1"
DEAD_LETTER_TOPIC = "koers.dead-letter.v1"

ALL_TOPICS = (
    CAMPAIGN_STATE_TOPIC,
    CANDIDATE_EVENTS_TOPIC,
    DELIVERY_TOPIC,
    LEAD_OUTCOMES_TOPIC,
    ALLOCATIONS_TOPIC,
    DEAD_LETTER_TOPIC,
)

Channel = Literal["linkedin", "instagram", "tiktok", "facebook", "snapchat", "indeed"]
EntryPoint = Literal["quiz", "lead", "apply"]
ContactChannel = Literal["whatsapp", "phone", "email", "linkedin"]
LeadOutcome = Literal["contacted", "interviewed", "hired", "rejected"]
CreativeFormat = Literal["image", "video", "carousel"]
CampaignGoal = Literal["lead", "application", "qualified_quiz", "reached", "interview", "hire"]

Identifier = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")


class Payload(BaseModel):
    """Base of every payload: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- campaign state (campaigns -> landing, analytics) -------------------------------


class QuizOption(Payload):
    label: str = Field(min_length=1, max_length=200)
    score: int = Field(ge=0, le=100)


class QuizQuestion(Payload):
    question: str = Field(min_length=1, max_length=300)
    options: tuple[QuizOption, ...] = Field(min_length=2, max_length=6)


Language = Literal["nl", "en"]

MediaUrl = Field(
    default=None, max_length=500, pattern=r"^(https://[^\s\"'<>]+|/[^/\s\"'<>][^\s\"'<>]*)$"
)
"""An employer's image or video: root-relative (same origin) or https. The landing
service shows an https one only when its origin is on its own allow-list."""


class QuizQuestionText(Payload):
    """A quiz question in another language: same options, same order (scores stay)."""

    question: str = Field(min_length=1, max_length=300)
    options: tuple[str, ...] = Field(min_length=2, max_length=6)


class PageTexts(Payload):
    """The marketer's texts of a page in one more language; anything missing or not
    matching the quiz's shape falls back to the snapshot's own language."""

    headline: str = Field(min_length=1, max_length=200)
    intro: str = Field(default="", max_length=2000)
    hero_alt: str = Field(default="", max_length=300)
    quiz: tuple[QuizQuestionText, ...] = ()


class LeadFormOptions(Payload):
    """Which fields the lead form asks for (name, phone or e-mail and consent always)."""

    contact_channels: tuple[ContactChannel, ...] = Field(
        default=("whatsapp", "phone", "email", "linkedin"), min_length=1, max_length=4
    )
    ask_best_moment: bool = True


class ApplyOptions(Payload):
    """What the apply form asks for besides name, e-mail and phone."""

    cv_required: bool = True
    ask_motivation: bool = True
    offer_talent_pool: bool = True
    """Offer to keep the application (with consent, at most a year) for other jobs."""


class PageSnapshot(Payload):
    """What the landing page shows; a new version on every publish.

    The texts are in ``language``; ``translations`` holds them in other languages and
    ``languages`` the ones a candidate may switch to (the page's own words, buttons and
    messages come from the landing service's catalogues in every supported language).
    """

    version: int = Field(ge=1)
    language: Language = "nl"
    employer_name: str = Field(min_length=1, max_length=200)
    headline: str = Field(min_length=1, max_length=200)
    intro: str = Field(max_length=2000)
    primary_colour: str = Field(pattern=r"^#[0-9a-fA-F]{6}$", default="#0b5fff")
    entry_points: tuple[EntryPoint, ...] = Field(min_length=1)
    quiz: tuple[QuizQuestion, ...] = ()
    quiz_pass_score: int = Field(ge=0, default=0)
    languages: tuple[Language, ...] = Field(default=("nl", "en"), min_length=1, max_length=2)
    translations: dict[Language, PageTexts] = Field(default_factory=dict)
    logo_url: str | None = MediaUrl
    hero_image_url: str | None = MediaUrl
    hero_video_url: str | None = MediaUrl
    """A short (often employee-made) video; shown with ``hero_image_url`` as its poster."""
    hero_alt: str = Field(default="", max_length=300)
    """What the hero image or video shows, for screen readers."""
    lead_form: LeadFormOptions = Field(default_factory=LeadFormOptions)
    apply: ApplyOptions = Field(default_factory=ApplyOptions)
    response_days: int = Field(default=2, ge=1, le=30)
    """Working days within which the employer promises to get in touch."""
    consent_months: int = Field(default=12, ge=1, le=12)
    """How long a lead's data is kept with consent (at most a year)."""


class VariantState(Payload):
    variant_id: str = Identifier
    name: str = Field(min_length=1, max_length=200)
    channel: Channel
    creative_format: CreativeFormat
    hook: str = Field(max_length=300)
    live: bool = True
    employee_generated: bool = False
    tags: tuple[str, ...] = Field(default=(), max_length=20)
    """Free attribute tags ("hook:question", "salary-shown") used by the insights."""


class Guardrails(Payload):
    """The marketer's limits on the weekly reallocation (shares are of the weekly budget)."""

    exploration_share: float = Field(default=0.10, ge=0, le=1)
    max_weekly_change: float = Field(default=0.20, ge=0, le=10)
    """Largest week-on-week change per creative, as a fraction of last week's amount."""
    min_spend_per_creative: float = Field(default=0.0, ge=0)
    channel_caps: dict[Channel, float] = Field(default_factory=dict)
    """Channel -> the largest share of the budget it may receive."""
    autopilot: bool = False


class CampaignPublished(Payload):
    slug: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1, max_length=200)
    goal: CampaignGoal = "lead"
    weekly_budget: float = Field(ge=0)
    guardrails: Guardrails = Field(default_factory=Guardrails)
    starts_on: date | None = None
    ends_on: date | None = None
    page: PageSnapshot
    variants: tuple[VariantState, ...] = Field(min_length=1)


class CampaignPaused(Payload):
    slug: str = Field(min_length=1, max_length=80)
    reason: str = Field(default="", max_length=500)


class VariantChanged(Payload):
    slug: str = Field(min_length=1, max_length=80)
    variant: VariantState


# --- candidate events (landing -> analytics) ----------------------------------------


class CandidateEvent(Payload):
    """Common fields: which creative brought the visitor and when the visit started.

    ``visitor_key`` is a salted daily hash (no cookie, no IP); ``visited_at`` lets
    analytics attribute a late outcome to the week of the visit that led to it.
    """

    variant_id: str = Identifier
    visitor_key: str = Field(min_length=8, max_length=128)
    visited_at: datetime


class PageViewed(CandidateEvent):
    utm_source: str | None = Field(default=None, max_length=100)


class EntryStarted(CandidateEvent):
    entry_point: EntryPoint


class QuizCompleted(CandidateEvent):
    score: int = Field(ge=0)
    qualified: bool


class LeadSubmitted(CandidateEvent):
    lead_id: str = Field(min_length=1, max_length=64)
    contact_channel: ContactChannel


class ApplicationSubmitted(CandidateEvent):
    application_id: str = Field(min_length=1, max_length=64)


# --- delivery, outcomes, allocations -------------------------------------------------


class SpendRecorded(Payload):
    variant_id: str = Identifier
    day: date
    spend: float = Field(ge=0)
    currency: Literal["EUR"] = "EUR"
    impressions: int = Field(ge=0)
    clicks: int = Field(ge=0)
    import_id: str = Field(min_length=1, max_length=64)


class LeadOutcomeRecorded(Payload):
    lead_id: str = Field(min_length=1, max_length=64)
    variant_id: str = Identifier
    outcome: LeadOutcome
    visited_at: datetime


class LeadContacted(Payload):
    """A recruiter tried to reach a candidate (the channel and moment; never the text).

    ``occurred_at`` of the envelope is the moment of the attempt; ``lead_created_at``
    lets a consumer measure the time to first contact without asking landing.
    """

    lead_id: str = Field(min_length=1, max_length=64)
    variant_id: str = Identifier
    channel: ContactChannel
    visited_at: datetime
    lead_created_at: datetime
    first: bool
    """The lead's first attempt (time to first contact counts only this one)."""


class LeadReplied(Payload):
    """A candidate answered an attempt: the lead is "reached". Sent once per lead."""

    lead_id: str = Field(min_length=1, max_length=64)
    variant_id: str = Identifier
    channel: ContactChannel
    visited_at: datetime


class EarlierCampaigns(Payload):
    """How much the employer's earlier campaigns shaped a proposal (counts and shares)."""

    campaigns: int = Field(ge=0)
    creatives: int = Field(ge=0)
    weight: float = Field(ge=0, le=1)
    disagreement: float = Field(ge=0)


class AllocationProposed(Payload):
    week: str = Field(pattern=ISO_WEEK_PATTERN)
    budget: float = Field(ge=0)
    allocation: dict[str, float]
    p_best: dict[str, float]
    explanation: tuple[str, ...]
    max_change_exempt: tuple[str, ...] = Field(default=(), max_length=10_000)
    """Creatives the max-change guardrail does not hold (in learning, or ruled out): a
    check of the split, by a person or autopilot, applies the same rule as the engine."""
    # Added within schema version 1 (optional, so older events still validate): what the
    # weekly memo reports besides the split.
    reasons: dict[str, str] = Field(default_factory=dict)
    expected_conversions: float | None = None
    equal_split_expected_conversions: float | None = None
    earlier_campaigns: EarlierCampaigns | None = None


# --- the envelope and the registry ---------------------------------------------------


@dataclass(frozen=True)
class EventType:
    name: str
    topic: str
    payload: type[Payload]
    schema_version: int = 1


EVENT_TYPES: dict[str, EventType] = {
    t.name: t
    for t in (
        EventType("CampaignPublished", CAMPAIGN_STATE_TOPIC, CampaignPublished),
        EventType("CampaignPaused", CAMPAIGN_STATE_TOPIC, CampaignPaused),
        EventType("VariantChanged", CAMPAIGN_STATE_TOPIC, VariantChanged),
        EventType("PageViewed", CANDIDATE_EVENTS_TOPIC, PageViewed),
        EventType("EntryStarted", CANDIDATE_EVENTS_TOPIC, EntryStarted),
        EventType("QuizCompleted", CANDIDATE_EVENTS_TOPIC, QuizCompleted),
        EventType("LeadSubmitted", CANDIDATE_EVENTS_TOPIC, LeadSubmitted),
        EventType("ApplicationSubmitted", CANDIDATE_EVENTS_TOPIC, ApplicationSubmitted),
        EventType("SpendRecorded", DELIVERY_TOPIC, SpendRecorded),
        EventType("LeadOutcomeRecorded", LEAD_OUTCOMES_TOPIC, LeadOutcomeRecorded),
        EventType("LeadContacted", LEAD_OUTCOMES_TOPIC, LeadContacted),
        EventType("LeadReplied", LEAD_OUTCOMES_TOPIC, LeadReplied),
        EventType("AllocationProposed", ALLOCATIONS_TOPIC, AllocationProposed),
    )
}

PAYLOAD_TYPE_NAMES: dict[type[Payload], str] = {t.payload: t.name for t in EVENT_TYPES.values()}


class Envelope(BaseModel):
    """The wrapper every event travels in; ``event_id`` is the consumers' dedup key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID
    type: str = Field(min_length=1, max_length=100)
    schema_version: int = Field(ge=1)
    occurred_at: datetime
    produced_at: datetime
    source: str = Field(min_length=1, max_length=50)
    tenant_id: str = Field(min_length=1, max_length=64)
    campaign_id: str = Field(min_length=1, max_length=64)
    payload: dict[str, Any]

    @property
    def topic(self) -> str:
        return EVENT_TYPES[self.type].topic

    def typed_payload(self) -> Payload:
        """The payload as its contract model (already validated by parse_envelope)."""
        return EVENT_TYPES[self.type].payload.model_validate(self.payload)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


class InvalidEvent(ValueError):
    """A message that matches no contract; the consumer dead-letters it with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_envelope(
    payload: Payload,
    *,
    source: str,
    tenant_id: str,
    campaign_id: str,
    occurred_at: datetime | None = None,
    event_id: uuid.UUID | None = None,
) -> Envelope:
    """Wrap a payload for publishing; the type and topic follow from the payload class."""
    name = PAYLOAD_TYPE_NAMES[type(payload)]
    now = utcnow()
    return Envelope(
        event_id=event_id or uuid.uuid4(),
        type=name,
        schema_version=EVENT_TYPES[name].schema_version,
        occurred_at=occurred_at or now,
        produced_at=now,
        source=source,
        tenant_id=tenant_id,
        campaign_id=campaign_id,
        payload=payload.model_dump(mode="json"),
    )


MAX_MESSAGE_BYTES = 1024 * 1024
"""The largest message a consumer decodes (Kafka's default ``message.max.bytes``)."""

MAX_DEAD_LETTER_VALUE_BYTES = 512 * 1024
"""The largest original value a dead letter carries (base64 grows it by a third, and the
letter must stay under the broker's 1 MiB message limit)."""

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def parse_envelope(raw: bytes | None) -> Envelope:
    """Validate raw message bytes against the envelope and its payload contract.

    Whatever is wrong with the bytes (too large, not UTF-8, nested until Python's
    recursion limit, not an object, wrong types), the error is :class:`InvalidEvent`,
    whose reason names what was wrong and never repeats a value from the message: it is
    logged and written to the dead-letter topic.
    """
    if raw is None:
        raise InvalidEvent("empty message value")
    if len(raw) > MAX_MESSAGE_BYTES:
        raise InvalidEvent(f"message of {len(raw)} bytes exceeds {MAX_MESSAGE_BYTES} bytes")
    try:
        document = json.loads(raw)
    except RecursionError as exc:
        raise InvalidEvent("not JSON: nested too deeply") from exc
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
        raise InvalidEvent(f"not JSON: {type(exc).__name__}") from exc
    if not isinstance(document, dict):
        raise InvalidEvent(f"not a JSON object but {type(document).__name__}")
    try:
        envelope = Envelope.model_validate(document)
    except ValidationError as exc:
        raise InvalidEvent(f"envelope invalid: {_summarise(exc)}") from exc
    except (RecursionError, ValueError, TypeError) as exc:
        raise InvalidEvent(f"envelope invalid: {type(exc).__name__}") from exc
    event_type = EVENT_TYPES.get(envelope.type)
    if event_type is None:
        raise InvalidEvent(f"unknown event type {_safe_name(envelope.type)}")
    if envelope.schema_version != event_type.schema_version:
        raise InvalidEvent(
            f"{envelope.type} schema_version {envelope.schema_version} is not supported"
        )
    try:
        event_type.payload.model_validate(envelope.payload)
    except ValidationError as exc:
        raise InvalidEvent(f"{envelope.type} payload invalid: {_summarise(exc)}") from exc
    except (RecursionError, ValueError, TypeError) as exc:
        raise InvalidEvent(f"{envelope.type} payload invalid: {type(exc).__name__}") from exc
    return envelope


def _safe_name(name: object) -> str:
    """A name from a message, repeated only when it looks like an identifier."""
    text = str(name)
    return repr(text) if _SAFE_NAME.match(text) else "<not shown>"


def _summarise(exc: ValidationError) -> str:
    """Where and what, never the input: field names that are not identifiers (a crafted
    key could be an e-mail address) are not shown either."""
    parts = [
        f"{'.'.join(_loc_part(p) for p in err['loc']) or '<root>'}: {err['msg']}"
        for err in exc.errors(include_input=False, include_url=False)[:5]
    ]
    return "; ".join(parts)


def _loc_part(part: object) -> str:
    text = str(part)
    return text if _SAFE_NAME.match(text) else "<key>"


class DeadLetter(BaseModel):
    """What a consumer writes to the dead-letter topic for a message it cannot apply.

    The original bytes travel base64-encoded (exact, whatever their encoding), so the
    message can be replayed after a fix (``koers dead-letters replay``); ``reason`` names
    what was wrong without repeating any value of the message.
    """

    model_config = ConfigDict(frozen=True)

    reason: str
    consumer_group: str
    original_topic: str
    original_partition: int
    original_offset: int
    original_key: str | None
    original_key_base64: str | None = None
    original_value_base64: str | None = None
    """None for an empty value, and for one over ``MAX_DEAD_LETTER_VALUE_BYTES`` (see
    ``original_value_bytes``): replay that one from its original topic and offset."""
    original_value_bytes: int = 0
    dead_lettered_at: datetime

    def original_bytes(self) -> tuple[bytes | None, bytes | None]:
        """(key, value) exactly as the consumer received them."""
        key = base64.b64decode(self.original_key_base64) if self.original_key_base64 else None
        if key is None and self.original_key is not None:
            key = self.original_key.encode()
        value = (
            base64.b64decode(self.original_value_base64)
            if self.original_value_base64 is not None
            else None
        )
        return key, value
