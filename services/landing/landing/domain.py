"""Pure rules of the landing service: no I/O, no framework, no clock of its own.

Field errors are codes (``"phone_invalid"``), not sentences: the templates turn them into
text, so translating the pages later touches only the presentation layer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import phonenumbers

from koers.events import CampaignPublished, ContactChannel, QuizQuestion, VariantState

DIRECT_VARIANT = "direct"
"""The variant id of a visit that no (known) creative brought in."""

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
UTM_MAX_LENGTH = 100
DEFAULT_PHONE_REGION = "NL"
CONTACT_CHANNELS: tuple[ContactChannel, ...] = ("whatsapp", "phone", "email", "linkedin")
BEST_MOMENTS = ("morning", "afternoon", "evening")
NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254
CONSENT_RETENTION = "1 jaar"

LeadEntryPoint = Literal["lead", "apply"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
_VARIANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


# --- visits ------------------------------------------------------------------------


def resolve_variant(campaign: CampaignPublished, requested: str | None) -> str:
    """The creative a visit is attributed to; unknown or absent ids count as direct."""
    known = {v.variant_id for v in campaign.variants}
    if requested and _VARIANT_ID.match(requested) and requested in known:
        return requested
    return DIRECT_VARIANT


def clean_utm(params: Mapping[str, str]) -> dict[str, str]:
    """The utm_* parameters worth keeping: known keys, non-empty, length-capped."""
    return {
        key: params[key].strip()[:UTM_MAX_LENGTH]
        for key in UTM_KEYS
        if key in params and params[key].strip()
    }


def visitor_key(salt: str, campaign_id: str, client_ip: str, user_agent: str) -> str:
    """A cookieless visitor key: nobody can recover the IP or user agent once the salt
    of that day is discarded (after 48 h), and keys do not link across campaigns."""
    material = "\x1f".join((salt, campaign_id, client_ip, user_agent))
    return hashlib.sha256(material.encode()).hexdigest()


# --- lead form -----------------------------------------------------------------------


def consent_text(employer_name: str) -> str:
    """The consent statement shown next to the checkbox; stored verbatim with the lead."""
    return (
        f"Ik geef {employer_name} toestemming mijn gegevens te gebruiken om contact met mij "
        "op te nemen over deze vacature. We bewaren je gegevens maximaal "
        f"{CONSENT_RETENTION} en verwijderen ze daarna; je kunt je toestemming altijd "
        "intrekken."
    )


@dataclass(frozen=True)
class LeadForm:
    """What the candidate typed, as received (strings, possibly empty)."""

    name: str = ""
    phone: str = ""
    email: str = ""
    contact_channel: str = ""
    best_moment: str = ""
    consent: bool = False


@dataclass(frozen=True)
class ValidLead:
    name: str
    phone_e164: str | None
    email: str | None
    contact_channel: ContactChannel
    best_moment: str | None


@dataclass(frozen=True)
class LeadValidation:
    lead: ValidLead | None
    errors: dict[str, str] = field(default_factory=dict)


def normalise_phone(raw: str, region: str = DEFAULT_PHONE_REGION) -> str | None:
    """E.164 for a valid number ("06 12345678" -> "+31612345678"), else None."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str | None:
    """A sanity check, not a proof of delivery: one @, a dotted domain, no spaces."""
    candidate = raw.strip()
    if len(candidate) > EMAIL_MAX_LENGTH or not _EMAIL.match(candidate):
        return None
    local, _, domain = candidate.rpartition("@")
    return f"{local}@{domain.lower()}"


def validate_lead_form(form: LeadForm) -> LeadValidation:
    errors: dict[str, str] = {}
    name = " ".join(form.name.split())
    if not name:
        errors["name"] = "name_required"
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = "name_too_long"

    phone: str | None = None
    if form.phone.strip():
        phone = normalise_phone(form.phone)
        if phone is None:
            errors["phone"] = "phone_invalid"
    email: str | None = None
    if form.email.strip():
        email = normalise_email(form.email)
        if email is None:
            errors["email"] = "email_invalid"
    if not form.phone.strip() and not form.email.strip():
        errors["phone"] = "contact_required"

    channel = form.contact_channel
    if channel not in CONTACT_CHANNELS:
        errors["contact_channel"] = "channel_required"
    elif channel in ("whatsapp", "phone") and not form.phone.strip():
        errors.setdefault("phone", "phone_required_for_channel")
    elif channel == "email" and not form.email.strip():
        errors.setdefault("email", "email_required_for_channel")

    best_moment = form.best_moment or None
    if best_moment is not None and best_moment not in BEST_MOMENTS:
        errors["best_moment"] = "best_moment_invalid"
    if not form.consent:
        errors["consent"] = "consent_required"

    if errors:
        return LeadValidation(lead=None, errors=errors)
    return LeadValidation(
        lead=ValidLead(
            name=name,
            phone_e164=phone,
            email=email,
            contact_channel=cast(ContactChannel, channel),
            best_moment=best_moment,
        )
    )


# --- quiz --------------------------------------------------------------------------


@dataclass(frozen=True)
class QuizScore:
    answers: tuple[int, ...]
    """Index of the chosen option, per question."""
    score: int
    qualified: bool


@dataclass(frozen=True)
class QuizValidation:
    result: QuizScore | None
    errors: dict[str, str] = field(default_factory=dict)


def score_quiz(
    questions: Sequence[QuizQuestion], raw_answers: Sequence[str], pass_score: int
) -> QuizValidation:
    """Every question needs one of its options; the score is the sum of their scores."""
    errors: dict[str, str] = {}
    chosen: list[int] = []
    for index, question in enumerate(questions):
        raw = raw_answers[index] if index < len(raw_answers) else ""
        if not raw.isdigit() or int(raw) >= len(question.options):
            errors[f"q{index}"] = "answer_required"
            continue
        chosen.append(int(raw))
    if errors:
        return QuizValidation(result=None, errors=errors)
    score = sum(q.options[i].score for q, i in zip(questions, chosen, strict=True))
    return QuizValidation(
        result=QuizScore(answers=tuple(chosen), score=score, qualified=score >= pass_score)
    )


# --- page snapshots ----------------------------------------------------------------


def is_newer_version(stored_version: int | None, incoming_version: int) -> bool:
    """Publishes may arrive again (redelivery) or late; only a newer page replaces."""
    return stored_version is None or incoming_version > stored_version


def with_variant(snapshot: Mapping[str, Any], variant: VariantState) -> dict[str, Any]:
    """The snapshot with ``variant`` replaced in place (or appended when it is new)."""
    changed = variant.model_dump(mode="json")
    variants = list(snapshot.get("variants", []))
    for index, existing in enumerate(variants):
        if existing.get("variant_id") == variant.variant_id:
            variants[index] = changed
            break
    else:
        variants.append(changed)
    return {**snapshot, "variants": variants}
