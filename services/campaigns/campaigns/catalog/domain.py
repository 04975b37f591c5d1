"""Pure rules of campaigns, creatives and pages: no I/O, no framework, values in and out."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python

from campaigns.errors import CampaignNotPublishable, TransitionRefused
from koers.events import (
    CampaignPaused,
    CampaignPublished,
    Guardrails,
    PageSnapshot,
    VariantChanged,
    VariantState,
)

CampaignStatus = Literal["draft", "live", "paused", "ended"]
CAMPAIGN_STATUSES: tuple[CampaignStatus, ...] = ("draft", "live", "paused", "ended")
CreativeStatus = Literal["live", "paused", "archived"]

# --- creatives -----------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """One creative of a campaign; ``variant_id`` is the short key in landing links."""

    variant_id: str
    name: str
    channel: str
    creative_format: str
    hook: str
    live: bool = True
    body: str = ""
    call_to_action: str = ""
    media_url: str | None = None
    employee_generated: bool = False
    tags: tuple[str, ...] = ()
    ad_key: str | None = None
    """The ad name or UTM key that ties ad-platform export rows to this creative."""
    archived: bool = False

    @property
    def status(self) -> CreativeStatus:
        if self.archived:
            return "archived"
        return "live" if self.live else "paused"

    def state(self) -> VariantState:
        """The creative as the campaign-state events describe it."""
        return VariantState(
            variant_id=self.variant_id,
            name=self.name,
            channel=self.channel,  # type: ignore[arg-type]  # validated on input
            creative_format=self.creative_format,  # type: ignore[arg-type]
            hook=self.hook,
            live=self.live and not self.archived,
            employee_generated=self.employee_generated,
            tags=self.tags,
        )


CREATIVE_ACTIONS: dict[str, tuple[frozenset[CreativeStatus], CreativeStatus]] = {
    "pause": (frozenset({"live"}), "paused"),
    "resume": (frozenset({"paused"}), "live"),
    "archive": (frozenset({"live", "paused"}), "archived"),
}


def change_creative_status(
    variant: Variant, action: str, *, campaign_status: CampaignStatus, others_live: int
) -> Variant:
    """Pause, resume or archive a creative; a live campaign keeps one live creative."""
    if action not in CREATIVE_ACTIONS:
        raise TransitionRefused(f"unknown action {action!r}; use pause, resume or archive")
    allowed_from, target = CREATIVE_ACTIONS[action]
    if variant.status not in allowed_from:
        raise TransitionRefused(f"a creative that is {variant.status} cannot be {action}d")
    if campaign_status == "ended":
        raise TransitionRefused("the campaign has ended; its creatives no longer change")
    if target != "live" and variant.live and campaign_status == "live" and others_live == 0:
        raise TransitionRefused(
            "this is the last live creative of a live campaign; pause the campaign instead"
        )
    return replace(variant, live=target == "live", archived=target == "archived")


def new_variant_id(channel: str, taken: Iterable[str]) -> str:
    """``linkedin``, then ``linkedin-2``, ``linkedin-3``...: short, readable link keys."""
    used = set(taken)
    if channel not in used:
        return channel
    n = 2
    while f"{channel}-{n}" in used:
        n += 1
    return f"{channel}-{n}"


# --- campaigns -----------------------------------------------------------------------


@dataclass(frozen=True)
class Campaign:
    id: str
    tenant_id: str
    slug: str
    name: str
    vacancy_title: str
    goal: str
    weekly_budget: Decimal
    status: CampaignStatus
    page: dict[str, Any]
    """The page as the builder last saved it (the draft); published copies are versioned."""
    page_version: int
    """The newest published page version; 0 while nothing was published."""
    created_at: datetime
    updated_at: datetime
    location: str = ""
    hours_min: int | None = None
    hours_max: int | None = None
    salary_min: Decimal | None = None
    salary_max: Decimal | None = None
    salary_period: str = "month"
    persona_drivers: str = ""
    persona_channels: str = ""
    persona_regions: str = ""
    audience_segments: tuple[str, ...] = ()
    target_regions: tuple[str, ...] = ()
    target_channels: tuple[str, ...] = ()
    """Structured audience choices (``catalog.audience``) beside the free notes."""
    starts_on: date | None = None
    ends_on: date | None = None
    guardrails: Guardrails = field(default_factory=Guardrails)
    page_published: bool = False
    version: int = 1
    """Counts the campaign's writes: a write based on an older version is refused."""


TRANSITIONS: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    "draft": frozenset({"live", "ended"}),
    "live": frozenset({"paused", "ended"}),
    "paused": frozenset({"live", "ended"}),
    "ended": frozenset(),
}


def check_transition(current: CampaignStatus, target: str) -> CampaignStatus:
    """The target status when the lifecycle allows the move, else TransitionRefused."""
    if target not in CAMPAIGN_STATUSES:
        raise TransitionRefused(f"unknown status {target!r}; use one of {CAMPAIGN_STATUSES}")
    if target == current:
        raise TransitionRefused(f"the campaign is already {current}")
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing (it has ended)"
        raise TransitionRefused(f"a {current} campaign can go to {allowed}, not to {target}")
    return target  # type: ignore[return-value]


def page_problems(page: dict[str, Any]) -> list[str]:
    """Why a page draft cannot be published; empty when it can."""
    problems: list[str] = []
    try:
        snapshot = PageSnapshot.model_validate({**page, "version": 1})
    except ValidationError as exc:
        for err in exc.errors()[:8]:
            where = ".".join(str(p) for p in err["loc"]) or "page"
            problems.append(f"{where}: {err['msg']}")
        return problems
    if "quiz" in snapshot.entry_points and not snapshot.quiz:
        problems.append("the quiz entry point needs at least one question")
    reachable = sum(max(o.score for o in q.options) for q in snapshot.quiz)
    if snapshot.quiz and snapshot.quiz_pass_score > reachable:
        problems.append(
            f"the quiz pass score {snapshot.quiz_pass_score} is above the highest "
            f"reachable score {reachable}"
        )
    for language, texts in snapshot.translations.items():
        if texts.quiz and len(texts.quiz) != len(snapshot.quiz):
            problems.append(f"the {language} translation has a different number of questions")
    return problems


def complete_page(page: Mapping[str, Any]) -> dict[str, Any]:
    """``page`` with every default the landing page applies written out.

    A stored draft may leave fields out (an older draft, the demo seed, the API); the
    live page then shows the contract's defaults (``PageSnapshot``: both languages,
    every contact option...). The builder must show those, not defaults of its own,
    or saving the page unchanged would change what candidates see."""
    full: dict[str, Any] = {}
    for name, info in PageSnapshot.model_fields.items():
        if name == "version":
            continue
        if name in page:
            value = page[name]
            if isinstance(value, Mapping) and isinstance(info.default_factory, type):
                default = info.get_default(call_default_factory=True)
                if isinstance(default, BaseModel):  # lead_form, apply: field by field
                    value = {**default.model_dump(mode="json"), **value}
            full[name] = value
        elif not info.is_required():
            full[name] = to_jsonable_python(info.get_default(call_default_factory=True))
    return full


def page_content(page: Mapping[str, Any]) -> dict[str, Any]:
    """What the landing page shows of a page: the snapshot as published, without its
    version (the same content under a new version is the same page)."""
    try:
        snapshot = PageSnapshot.model_validate({**page, "version": 1})
    except ValidationError:
        return complete_page(page)
    return snapshot.model_dump(mode="json", exclude={"version"})


def snapshot_page(page: dict[str, Any], version: int) -> PageSnapshot:
    problems = page_problems(page)
    if problems:
        raise CampaignNotPublishable("the page is not ready: " + "; ".join(problems))
    return PageSnapshot.model_validate({**page, "version": version})


def announcement(
    campaign: Campaign, variants: Sequence[Variant], page: PageSnapshot
) -> CampaignPublished:
    """CampaignPublished for a campaign, its page snapshot and its non-archived creatives."""
    active = [v for v in variants if not v.archived]
    if not any(v.live for v in active):
        raise CampaignNotPublishable(f"campaign {campaign.slug!r} has no live creative")
    try:
        return CampaignPublished(
            slug=campaign.slug,
            name=campaign.name,
            goal=campaign.goal,  # type: ignore[arg-type]  # validated by the model
            weekly_budget=float(campaign.weekly_budget),
            guardrails=campaign.guardrails,
            starts_on=campaign.starts_on,
            ends_on=campaign.ends_on,
            page=page,
            variants=tuple(v.state() for v in active),
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:5]
        )
        raise CampaignNotPublishable(
            f"campaign {campaign.slug!r} is incomplete: {problems}"
        ) from exc


@dataclass(frozen=True)
class Publication:
    """The campaign as it is after publishing, the snapshot stored, and its event."""

    campaign: Campaign
    snapshot: PageSnapshot
    event: CampaignPublished


def publish_campaign(
    campaign: Campaign,
    variants: Sequence[Variant],
    *,
    now: datetime,
    page: dict[str, Any] | None = None,
) -> Publication:
    """Publish (or republish) a campaign: a new page version and its CampaignPublished.

    ``page`` is the content to publish (default: the builder's draft). A draft campaign
    goes live; a live or paused one keeps its status. Refuses a campaign without a live
    creative, or whose page would not render (a quiz entry point without questions, a
    pass score no candidate can reach).
    """
    if campaign.status == "ended":
        raise CampaignNotPublishable("the campaign has ended; create a new one instead")
    snapshot = snapshot_page(campaign.page if page is None else page, campaign.page_version + 1)
    event = announcement(campaign, variants, snapshot)
    status: CampaignStatus = "live" if campaign.status == "draft" else campaign.status
    published = replace(
        campaign,
        status=status,
        page_version=snapshot.version,
        page_published=True,
        updated_at=now,
    )
    return Publication(campaign=published, snapshot=snapshot, event=event)


def pause_event(campaign: Campaign, reason: str) -> CampaignPaused:
    return CampaignPaused(slug=campaign.slug, reason=reason[:500])


def variant_event(campaign: Campaign, variant: Variant) -> VariantChanged:
    return VariantChanged(slug=campaign.slug, variant=variant.state())


def campaign_audit_state(campaign: Campaign) -> dict[str, Any]:
    """What the audit log records about a campaign before and after a change."""
    return {
        "name": campaign.name,
        "vacancy_title": campaign.vacancy_title,
        "location": campaign.location,
        "hours": [campaign.hours_min, campaign.hours_max],
        "salary": [
            None if campaign.salary_min is None else str(campaign.salary_min),
            None if campaign.salary_max is None else str(campaign.salary_max),
            campaign.salary_period,
        ],
        "goal": campaign.goal,
        "weekly_budget": str(campaign.weekly_budget),
        "starts_on": campaign.starts_on.isoformat() if campaign.starts_on else None,
        "ends_on": campaign.ends_on.isoformat() if campaign.ends_on else None,
        "guardrails": campaign.guardrails.model_dump(mode="json"),
        "status": campaign.status,
        "page_version": campaign.page_version,
        "page_published": campaign.page_published,
    }


def creative_audit_state(variant: Variant) -> dict[str, Any]:
    return {
        "name": variant.name,
        "channel": variant.channel,
        "creative_format": variant.creative_format,
        "hook": variant.hook,
        "body": variant.body,
        "call_to_action": variant.call_to_action,
        "media_url": variant.media_url,
        "employee_generated": variant.employee_generated,
        "tags": list(variant.tags),
        "ad_key": variant.ad_key,
        "status": variant.status,
    }


# --- what publishing changes -----------------------------------------------------------

PAGE_FIELD_LABELS: dict[str, str] = {
    "language": "Taal van de teksten",
    "languages": "Talen voor kandidaten",
    "employer_name": "Naam werkgever",
    "headline": "Kop",
    "intro": "Inleiding",
    "primary_colour": "Hoofdkleur",
    "logo_url": "Logo",
    "hero_image_url": "Afbeelding bovenaan",
    "hero_video_url": "Video bovenaan",
    "hero_alt": "Beschrijving van afbeelding of video",
    "entry_points": "Ingangen op de pagina",
    "quiz": "Quiz",
    "quiz_pass_score": "Goede match vanaf score",
    "lead_form.contact_channels": "Contactmogelijkheden (leadformulier)",
    "lead_form.ask_best_moment": "Vraag naar het beste belmoment",
    "apply.cv_required": "Cv verplicht",
    "apply.ask_motivation": "Vraag om een korte motivatie",
    "apply.offer_talent_pool": "Talentenpool aanbieden",
    "response_days": "Reactie binnen (werkdagen)",
    "consent_months": "Gegevens bewaren met toestemming (maanden)",
    "translations": "Vertaling",
}
LANGUAGE_NAMES_NL = {"nl": "Nederlands", "en": "Engels"}
VALUE_NAMES_NL = {
    **LANGUAGE_NAMES_NL,
    "quiz": "quiz",
    "lead": "leadformulier",
    "apply": "solliciteren",
    "whatsapp": "WhatsApp",
    "phone": "telefoon",
    "email": "e-mail",
    "linkedin": "LinkedIn",
}


def publication_fingerprint(campaign: Campaign) -> str:
    """Names the draft a marketer reviewed and the version it would replace: a confirm
    carrying another fingerprint (the draft was saved again, someone else published)
    publishes nothing and shows the review again."""
    reviewed = {"draft": campaign.page, "replaces": campaign.page_version}
    encoded = json.dumps(reviewed, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class PageChange:
    """One field that publishing changes, in words a marketer reads (Dutch)."""

    label: str
    before: str
    after: str


def page_changes(live: Mapping[str, Any] | None, draft: Mapping[str, Any]) -> list[PageChange]:
    """What candidates will see change, field by field, when ``draft`` replaces
    ``live`` (None: nothing is published yet, so every field is new). Pages are
    compared as the landing page shows them, so a default written out is no change."""
    before = _leaves(page_content(live)) if live is not None else {}
    after = _leaves(page_content(draft))
    paths = list(after) + [path for path in before if path not in after]
    changes = [
        PageChange(_label(path), _shown(before.get(path)), _shown(after.get(path)))
        for path in paths
    ]
    return [change for change in changes if change.before != change.after]


def _leaves(value: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Every field as path -> value; a list of plain values (languages, entry points)
    is one value, a list of questions or answers is one field per item."""
    if isinstance(value, Mapping):
        found: dict[tuple[str, ...], Any] = {}
        for key, item in value.items():
            found.update(_leaves(item, (*path, str(key))))
        return found
    if isinstance(value, list | tuple) and any(isinstance(v, Mapping) for v in value):
        found = {}
        for index, item in enumerate(value):
            found.update(_leaves(item, (*path, str(index))))
        return found
    return {path: value}


def _label(path: tuple[str, ...]) -> str:
    if path[0] == "translations" and len(path) > 2:
        language = LANGUAGE_NAMES_NL.get(path[1], path[1])
        return f"{_label(path[2:])} ({language})"
    if path[0] == "quiz" and len(path) > 2:
        question = f"Quiz, vraag {int(path[1]) + 1}"
        if path[2] != "options":
            return question
        if len(path) < 4:  # a translation's answers: one list
            return f"{question}, antwoorden"
        answer = f"{question}, antwoord {int(path[3]) + 1}"
        return f"{answer}, score" if path[-1] == "score" else answer
    return PAGE_FIELD_LABELS.get(".".join(path), ".".join(path))


def _shown(value: Any) -> str:
    if value is None or value == "" or value == [] or value == ():
        return "(leeg)"
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, list | tuple):
        return ", ".join(VALUE_NAMES_NL.get(str(v), str(v)) for v in value)
    return str(value)
