"""Pure rules of candidate data: how a GDPR request names a candidate, and how long
data is kept (the job that applies them is in ``service.py``). Following Dutch
data-protection guidance:

- consent withdrawn: erased now;
- rejected and no talent-pool consent: erased 4 weeks (28 days) after the procedure
  ended;
- in any case: erased when the consent period ends (at most a year, 365 days).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from koers.text import storable
from landing.errors import ErasureRequestInvalid
from landing.submissions.domain import normalise_email, normalise_phone

LEAD_STATUSES = ("new", "contacted", "interviewed", "hired", "rejected")

REJECTED_KEPT_FOR = timedelta(days=28)
DEFAULT_CONSENT_PERIOD = timedelta(days=365)
ANONYMOUS_QUIZ_KEPT_FOR = timedelta(days=365)


@dataclass(frozen=True)
class CandidateKey:
    """How a GDPR request names a candidate: any of these, within one tenant."""

    lead_id: uuid.UUID | None = None
    email: str | None = None
    phone_e164: str | None = None

    @classmethod
    def parse(cls, lead_id: str | None, email: str | None, phone: str | None) -> CandidateKey:
        for name, value in (("lead_id", lead_id), ("email", email), ("phone", phone)):
            if value and not storable(value):
                raise ErasureRequestInvalid(f"{name} holds characters no candidate data has")
        key_id: uuid.UUID | None = None
        if lead_id:
            try:
                key_id = uuid.UUID(lead_id)
            except ValueError as exc:
                raise ErasureRequestInvalid(f"lead_id {lead_id!r} is not a UUID") from exc
        normal_email = normalise_email(email) if email else None
        if email and normal_email is None:
            raise ErasureRequestInvalid("email is not an e-mail address")
        normal_phone = normalise_phone(phone) if phone else None
        if phone and normal_phone is None:
            raise ErasureRequestInvalid("phone is not a valid phone number")
        if key_id is None and normal_email is None and normal_phone is None:
            raise ErasureRequestInvalid("give a lead_id, an email or a phone")
        return cls(lead_id=key_id, email=normal_email, phone_e164=normal_phone)


# --- retention -----------------------------------------------------------------------

ErasureReason = Literal["consent_withdrawn", "rejected_procedure_ended", "consent_expired"]


class RetentionFacts(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def talent_pool(self) -> bool: ...
    @property
    def consented_at(self) -> datetime: ...
    @property
    def keep_until(self) -> datetime | None: ...
    @property
    def status_changed_at(self) -> datetime | None: ...
    @property
    def procedure_ended_at(self) -> datetime | None: ...
    @property
    def consent_withdrawn_at(self) -> datetime | None: ...


def keep_until(facts: RetentionFacts) -> datetime:
    return facts.keep_until or facts.consented_at + DEFAULT_CONSENT_PERIOD


def erasure_reason(facts: RetentionFacts, now: datetime) -> ErasureReason | None:
    """Why this candidate's data must go now, or None while it may be kept."""
    if facts.consent_withdrawn_at is not None and facts.consent_withdrawn_at <= now:
        return "consent_withdrawn"
    if facts.status == "rejected" and not facts.talent_pool:
        ended = facts.procedure_ended_at or facts.status_changed_at
        if ended is not None and now - ended >= REJECTED_KEPT_FOR:
            return "rejected_procedure_ended"
    if now >= keep_until(facts):
        return "consent_expired"
    return None
