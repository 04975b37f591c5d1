"""Pure rules of what candidates send: how a visit is attributed (creative, utm tags,
visitor key), the lead and application forms, quiz scoring. No I/O, no framework, no
clock of its own.

Field errors are codes (``"phone_invalid"``), not sentences: ``web/messages.py`` maps
them to message ids that the pages translate into the candidate's language.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import phonenumbers

from koers.events import CampaignPublished, ContactChannel, QuizQuestion
from koers.text import storable

DIRECT_VARIANT = "direct"
"""The variant id of a visit that no (known) creative brought in."""

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
UTM_MAX_LENGTH = 100
DEFAULT_PHONE_REGION = "NL"
CONTACT_CHANNELS: tuple[ContactChannel, ...] = ("whatsapp", "phone", "email", "linkedin")
BEST_MOMENTS = ("morning", "afternoon", "evening")
NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254
MOTIVATION_MAX_LENGTH = 4000

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


@dataclass(frozen=True)
class LeadForm:
    """What the candidate typed, as received (strings, possibly empty)."""

    name: str = ""
    phone: str = ""
    email: str = ""
    contact_channel: str = ""
    best_moment: str = ""
    consent: bool = False
    motivation: str = ""
    talent_pool: bool = False


@dataclass(frozen=True)
class ValidLead:
    name: str
    phone_e164: str | None
    email: str | None
    contact_channel: ContactChannel
    best_moment: str | None
    motivation: str | None = None
    talent_pool: bool = False


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
    if len(candidate) > EMAIL_MAX_LENGTH or not storable(candidate):
        return None
    if not _EMAIL.match(candidate):
        return None
    local, _, domain = candidate.rpartition("@")
    normal = f"{local}@{domain.lower()}"
    # Lower-casing may lengthen ("İ" becomes two characters): the column holds 254.
    return normal if len(normal) <= EMAIL_MAX_LENGTH else None


def _validate_name(raw: str, errors: dict[str, str]) -> str:
    name = " ".join(raw.split())
    if not name:
        errors["name"] = "name_required"
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = "name_too_long"
    return name


ONE_LINE_FIELDS = ("name", "phone", "email", "contact_channel", "best_moment")


def _unstorable_fields(form: LeadForm, names: Sequence[str]) -> dict[str, str]:
    """An error for each field holding what no database stores; it replaces any other
    error of that field (its other checks may have passed on the characters around)."""
    return {name: "characters_invalid" for name in names if not storable(getattr(form, name))}


def validate_lead_form(
    form: LeadForm,
    channels: Sequence[ContactChannel] = CONTACT_CHANNELS,
    *,
    ask_best_moment: bool = True,
) -> LeadValidation:
    """Name, phone or e-mail (at least one), a channel the page offers, consent."""
    errors: dict[str, str] = {}
    name = _validate_name(form.name, errors)

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
    if channel not in channels:
        errors["contact_channel"] = "channel_required"
    elif channel in ("whatsapp", "phone") and not form.phone.strip():
        errors.setdefault("phone", "phone_required_for_channel")
    elif channel == "email" and not form.email.strip():
        errors.setdefault("email", "email_required_for_channel")

    best_moment = (form.best_moment or None) if ask_best_moment else None
    if best_moment is not None and best_moment not in BEST_MOMENTS:
        errors["best_moment"] = "best_moment_invalid"
    if not form.consent:
        errors["consent"] = "consent_required"
    errors.update(_unstorable_fields(form, ONE_LINE_FIELDS))

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


def validate_application_form(
    form: LeadForm, *, ask_motivation: bool = True, offer_talent_pool: bool = True
) -> LeadValidation:
    """Name, e-mail and phone (all three), optional motivation, consent; the CV is
    checked separately (see ``cv.py``). The employer answers an application by e-mail."""
    errors: dict[str, str] = {}
    name = _validate_name(form.name, errors)
    email = normalise_email(form.email) if form.email.strip() else None
    if not form.email.strip():
        errors["email"] = "email_required"
    elif email is None:
        errors["email"] = "email_invalid"
    phone = normalise_phone(form.phone) if form.phone.strip() else None
    if not form.phone.strip():
        errors["phone"] = "phone_required"
    elif phone is None:
        errors["phone"] = "phone_invalid"
    motivation = form.motivation.strip() if ask_motivation else ""
    if len(motivation) > MOTIVATION_MAX_LENGTH:
        errors["motivation"] = "motivation_too_long"
    if not form.consent:
        errors["consent"] = "consent_required"
    errors.update(_unstorable_fields(form, ONE_LINE_FIELDS))
    if not storable(motivation, multiline=True):
        errors["motivation"] = "characters_invalid"
    if errors:
        return LeadValidation(lead=None, errors=errors)
    return LeadValidation(
        lead=ValidLead(
            name=name,
            phone_e164=phone,
            email=email,
            contact_channel="email",
            best_moment=None,
            motivation=motivation or None,
            talent_pool=form.talent_pool and offer_talent_pool,
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
        option = option_index(raw, len(question.options))
        if option is None:
            errors[f"q{index}"] = "answer_required"
            continue
        chosen.append(option)
    if errors:
        return QuizValidation(result=None, errors=errors)
    score = sum(q.options[i].score for q, i in zip(questions, chosen, strict=True))
    return QuizValidation(
        result=QuizScore(answers=tuple(chosen), score=score, qualified=score >= pass_score)
    )


def answered_prefix(questions: Sequence[QuizQuestion], raw_answers: Sequence[str]) -> int:
    """How many questions, from the first, have a valid answer: the quiz shows one
    question at a time, so this is the step the candidate is on."""
    for index, question in enumerate(questions):
        raw = raw_answers[index] if index < len(raw_answers) else ""
        if option_index(raw, len(question.options)) is None:
            return index
    return len(questions)


def option_index(raw: str, options: int) -> int | None:
    """The option a form field names ("0", "1"...), or None: only ASCII digits count
    (``"²".isdigit()`` is true, yet ``int("²")`` fails)."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 3:
        return None
    index = int(raw)
    return index if index < options else None


def safe_filename(filename: str, kind: str) -> str:
    """The candidate's file name as a label only (never a path): its last part, printable
    characters, capped, ending in the extension of what the file really is."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    cleaned = "".join(ch for ch in stem if ch.isprintable() and ch not in '"<>:|?*;').strip()
    return f"{(cleaned or 'cv')[:120]}.{kind}"


def consent_days(months: int) -> int:
    """A consent period in days: 12 months is 365 days."""
    return round(months * 365 / 12)
