"""From console form fields to the validated inputs, and back (for re-showing a form).

HTML forms send strings (read with ``web.forms``), and percentages read better than
shares. These functions translate both ways so the input
models stay the single place that decides what is valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.datastructures import FormData

from campaigns.catalog.domain import Campaign, Variant, complete_page
from campaigns.web.forms import checked, many, optional, text, textarea
from koers.events import Guardrails

CHANNELS = ("linkedin", "instagram", "tiktok", "facebook", "snapchat", "indeed")
FORMATS = ("image", "video", "carousel")
GOALS = ("lead", "application", "qualified_quiz", "reached", "interview", "hire")
CONTACT_CHANNELS = ("whatsapp", "phone", "email", "linkedin")
ENTRY_POINTS = ("quiz", "lead", "apply")
MAX_QUESTIONS = 6
MAX_OPTIONS = 6

GUARDRAIL_FIELDS = {
    "guardrails.exploration_share": "exploration_pct",
    "guardrails.max_weekly_change": "max_change_pct",
    "guardrails.min_spend_per_creative": "min_spend",
}


def _share(form: Mapping[str, Any], name: str, default: float) -> Any:
    raw = text(form, name).replace(",", ".")
    if not raw:
        return default
    try:
        return float(Decimal(raw) / 100)
    except InvalidOperation:
        return raw  # let validation say it is not a number


def campaign_data(form: FormData) -> dict[str, Any]:
    """CampaignInput fields from the campaign form."""
    caps: dict[str, Any] = {}
    for channel in CHANNELS:
        if text(form, f"cap_{channel}"):
            caps[channel] = _share(form, f"cap_{channel}", 1.0)
    data: dict[str, Any] = {
        "name": text(form, "name"),
        "vacancy_title": text(form, "vacancy_title"),
        "location": text(form, "location"),
        "hours_min": optional(form, "hours_min"),
        "hours_max": optional(form, "hours_max"),
        "salary_min": optional(form, "salary_min"),
        "salary_max": optional(form, "salary_max"),
        "salary_period": text(form, "salary_period") or "month",
        "persona_drivers": text(form, "persona_drivers"),
        "persona_channels": text(form, "persona_channels"),
        "persona_regions": text(form, "persona_regions"),
        "audience_segments": many(form, "audience_segments"),
        "target_regions": many(form, "target_regions"),
        "target_channels": many(form, "target_channels"),
        "goal": text(form, "goal") or "lead",
        "starts_on": optional(form, "starts_on"),
        "ends_on": optional(form, "ends_on"),
        "weekly_budget": text(form, "weekly_budget").replace(",", ".") or None,
        "guardrails": {
            "exploration_share": _share(form, "exploration_pct", 0.10),
            "max_weekly_change": _share(form, "max_change_pct", 0.20),
            "min_spend_per_creative": text(form, "min_spend").replace(",", ".") or 0,
            "channel_caps": caps,
            "autopilot": checked(form, "autopilot"),
        },
    }
    if "slug" in form:
        data["slug"] = optional(form, "slug")
    return data


def campaign_form_values(campaign: Campaign | None) -> dict[str, Any]:
    """What the campaign form shows for an existing campaign (or a new one)."""
    guardrails = campaign.guardrails if campaign else Guardrails()
    values: dict[str, Any] = {
        "exploration_pct": _pct(guardrails.exploration_share),
        "max_change_pct": _pct(guardrails.max_weekly_change),
        "min_spend": f"{guardrails.min_spend_per_creative:.2f}",
        "autopilot": guardrails.autopilot,
        "salary_period": "month",
        "goal": "lead",
    }
    for channel, cap in guardrails.channel_caps.items():
        values[f"cap_{channel}"] = _pct(cap)
    if campaign is None:
        return values
    values["audience_segments"] = list(campaign.audience_segments)
    values["target_regions"] = list(campaign.target_regions)
    values["target_channels"] = list(campaign.target_channels)
    for name in (
        "name",
        "vacancy_title",
        "location",
        "hours_min",
        "hours_max",
        "salary_min",
        "salary_max",
        "salary_period",
        "persona_drivers",
        "persona_channels",
        "persona_regions",
        "goal",
        "starts_on",
        "ends_on",
        "weekly_budget",
    ):
        value = getattr(campaign, name)
        values[name] = "" if value is None else str(value)
    return values


def _pct(share: float) -> str:
    return f"{share * 100:g}"


def campaign_form_errors(errors: dict[str, str]) -> dict[str, str]:
    """Error keys of the input model -> the form fields that show them."""
    mapped: dict[str, str] = {}
    for key, message in errors.items():
        if key.startswith("guardrails.channel_caps"):
            channel = key.split(".")[2] if key.count(".") >= 2 else ""
            mapped.setdefault(f"cap_{channel}" if channel else "caps", message)
        else:
            mapped.setdefault(GUARDRAIL_FIELDS.get(key, key), message)
    return mapped


def creative_data(form: FormData, *, new: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": text(form, "name"),
        "channel": text(form, "channel"),
        "creative_format": text(form, "creative_format") or "image",
        "hook": text(form, "hook"),
        "body": text(form, "body"),
        "call_to_action": text(form, "call_to_action"),
        "media_url": optional(form, "media_url"),
        "employee_generated": checked(form, "employee_generated"),
        "tags": [t for t in (p.strip() for p in text(form, "tags").split(",")) if t],
        "ad_key": optional(form, "ad_key"),
    }
    if new:
        data["variant_id"] = optional(form, "variant_id")
    return data


def creative_form_values(variant: Variant | None) -> dict[str, Any]:
    if variant is None:
        return {"creative_format": "image", "channel": "instagram"}
    return {
        "variant_id": variant.variant_id,
        "name": variant.name,
        "channel": variant.channel,
        "creative_format": variant.creative_format,
        "hook": variant.hook,
        "body": variant.body,
        "call_to_action": variant.call_to_action,
        "media_url": variant.media_url or "",
        "employee_generated": variant.employee_generated,
        "tags": ", ".join(variant.tags),
        "ad_key": variant.ad_key or "",
    }


def _other_language(language: str) -> str:
    """The page's second language: the console offers Dutch and English."""
    return "en" if language == "nl" else "nl"


def page_data(form: FormData) -> dict[str, Any]:
    """PageInput fields from the page builder: every field the builder shows, so a
    page saved unchanged is the page it loaded (``page_form_values`` is the inverse)."""
    quiz: list[dict[str, Any]] = []
    translated_quiz: list[dict[str, Any]] = []
    for q in range(MAX_QUESTIONS):
        question = text(form, f"q{q}_question")
        options = []
        translated_options = []
        for o in range(MAX_OPTIONS):
            label = text(form, f"q{q}_o{o}_label")
            if label:
                options.append({"label": label, "score": text(form, f"q{q}_o{o}_score") or 0})
                translated_options.append(text(form, f"tr_q{q}_o{o}_label"))
        if question or options:
            quiz.append({"question": question, "options": options})
            translated_quiz.append(
                {"question": text(form, f"tr_q{q}_question"), "options": translated_options}
            )
    language = text(form, "language") or "nl"
    languages = many(form, "languages") or [language]
    translation: dict[str, Any] = {
        "headline": text(form, "tr_headline"),
        "intro": textarea(form, "tr_intro"),
        "hero_alt": text(form, "tr_hero_alt"),
        "quiz": [],
    }
    if any(q["question"] or any(q["options"]) for q in translated_quiz):
        translation["quiz"] = translated_quiz
    entry_points = many(form, "entry_points")
    lead_form: dict[str, Any] = {"ask_best_moment": checked(form, "ask_best_moment")}
    if many(form, "contact_channels") or "lead" in entry_points:
        # Without a lead form its options are not shown: keep the contract's default
        # rather than refuse boxes the marketer had no reason to tick.
        lead_form["contact_channels"] = many(form, "contact_channels")
    translations: dict[str, Any] = {}
    if any(translation.values()):
        # Kept even when its language is not ticked: the model says so next to the
        # field instead of the texts silently disappearing.
        translations[_other_language(language)] = translation
    return {
        "language": language,
        "languages": languages,
        "employer_name": text(form, "employer_name"),
        "headline": text(form, "headline"),
        "intro": textarea(form, "intro"),
        "primary_colour": text(form, "primary_colour").lower() or "#0b5fff",
        "logo_url": optional(form, "logo_url"),
        "hero_image_url": optional(form, "hero_image_url"),
        "hero_video_url": optional(form, "hero_video_url"),
        "hero_alt": text(form, "hero_alt"),
        "entry_points": entry_points,
        "quiz": quiz,
        "quiz_pass_score": text(form, "quiz_pass_score") or 0,
        "lead_form": lead_form,
        "apply": {
            "cv_required": checked(form, "cv_required"),
            "ask_motivation": checked(form, "ask_motivation"),
            "offer_talent_pool": checked(form, "offer_talent_pool"),
        },
        "response_days": text(form, "response_days") or 2,
        "consent_months": text(form, "consent_months") or 12,
        "translations": translations,
    }


def page_form_errors(errors: dict[str, str]) -> dict[str, str]:
    """Error keys of PageInput -> the builder fields that show them."""
    mapped: dict[str, str] = {}
    for key, message in errors.items():
        parts = key.split(".")
        prefix = ""
        if parts[0] == "translations":
            # translations.en.headline, translations.en.quiz.0.options.1, or
            # the model's own "translations: texts in en need en among the languages"
            prefix, parts = "tr_", parts[2:] or ["headline"]
        if parts[0] == "quiz" and len(parts) >= 2 and parts[1].isdigit():
            q = parts[1]
            if len(parts) >= 4 and parts[2] == "options" and parts[3].isdigit():
                name = f"q{q}_o{parts[3]}_{parts[4] if len(parts) > 4 else 'label'}"
            elif len(parts) >= 3 and parts[2] == "options":
                name = f"q{q}_options"
            else:
                name = f"q{q}_question"
        elif parts[0] == "lead_form":
            name = "contact_channels"
        elif parts[0] == "apply":
            name = parts[-1]
        else:
            name = parts[0]
        mapped.setdefault(prefix + name, message)
    return mapped


def page_form_values(page: Mapping[str, Any]) -> dict[str, Any]:
    """Every builder field for ``page`` with the defaults the live page applies made
    explicit (a field the draft leaves out shows what candidates see, not a guess),
    and the quiz padded with empty slots to add to."""
    full = complete_page(page)
    language = full.get("language", "nl")
    other = _other_language(language)
    translation = (full.get("translations") or {}).get(other) or {}
    lead_form, apply = full.get("lead_form") or {}, full.get("apply") or {}
    values: dict[str, Any] = {
        name: full.get(name)
        for name in (
            "language",
            "employer_name",
            "headline",
            "intro",
            "primary_colour",
            "logo_url",
            "hero_image_url",
            "hero_video_url",
            "hero_alt",
            "quiz_pass_score",
            "response_days",
            "consent_months",
        )
    }
    values.update(
        languages=list(full.get("languages") or [language]),
        entry_points=list(full.get("entry_points") or []),
        contact_channels=list(lead_form.get("contact_channels") or []),
        ask_best_moment=bool(lead_form.get("ask_best_moment")),
        cv_required=bool(apply.get("cv_required")),
        ask_motivation=bool(apply.get("ask_motivation")),
        offer_talent_pool=bool(apply.get("offer_talent_pool")),
        other_language=other,
        other_language_listed=other in (full.get("languages") or []),
        tr_headline=translation.get("headline", ""),
        tr_intro=translation.get("intro", ""),
        tr_hero_alt=translation.get("hero_alt", ""),
    )
    quiz = [dict(q) for q in full.get("quiz") or []]
    translated_quiz = list(translation.get("quiz") or [])
    slots = min(MAX_QUESTIONS, len(quiz) + 1)
    questions = []
    for q in range(slots):
        question = quiz[q] if q < len(quiz) else {"question": "", "options": []}
        tr = dict(translated_quiz[q]) if q < len(translated_quiz) else {}
        options = list(question.get("options") or [])
        tr_options = list(tr.get("options") or [])
        values[f"q{q}_question"] = question.get("question", "")
        values[f"tr_q{q}_question"] = tr.get("question", "")
        option_slots = min(MAX_OPTIONS, max(3, len(options) + 1))
        for o in range(option_slots):
            option = options[o] if o < len(options) else {"label": "", "score": ""}
            values[f"q{q}_o{o}_label"] = option.get("label", "")
            values[f"q{q}_o{o}_score"] = option.get("score", "")
            values[f"tr_q{q}_o{o}_label"] = tr_options[o] if o < len(tr_options) else ""
        questions.append(option_slots)
    values["questions"] = questions
    # Ticked choices first, in the page's order: the page shows its buttons, language
    # links and contact options in that order, so the builder must send it back.
    for name, every in (
        ("languages", ("nl", "en")),
        ("entry_points", ENTRY_POINTS),
        ("contact_channels", CONTACT_CHANNELS),
    ):
        values[f"{name}_order"] = [*values[name], *(c for c in every if c not in values[name])]
    return values
