"""How long candidate data is kept (pure rules; the job that applies them is in
``privacy.py``). Following Dutch data-protection guidance:

- consent withdrawn: erased now;
- rejected and no talent-pool consent: erased 4 weeks (28 days) after the procedure
  ended;
- in any case: erased when the consent period ends (at most a year, 365 days).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, Protocol

REJECTED_KEPT_FOR = timedelta(days=28)
DEFAULT_CONSENT_PERIOD = timedelta(days=365)
ANONYMOUS_QUIZ_KEPT_FOR = timedelta(days=365)

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
