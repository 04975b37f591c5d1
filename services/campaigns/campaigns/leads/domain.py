"""Rules of the leads inbox: the links that reach a candidate, which outcome may follow
which, and how leads become CSV rows. Pure: values in, values out.

WhatsApp's ``wa.me`` link wants the E.164 number without the plus; ``tel:`` wants it
with (``contact.py`` builds the actions, with the employer's message, on these).
Outcomes move one way (contacted, interviewed, hired; rejected at any point), because
each one is counted by analytics: recording "hired" twice would count two hires.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import get_args

from campaigns.errors import TransitionRefused
from campaigns.leads.landing_client import Lead
from campaigns.web.i18n import N_
from koers.events import LeadOutcome

OUTCOMES: tuple[LeadOutcome, ...] = get_args(LeadOutcome)
OUTCOME_LABELS: dict[str, str] = {
    "new": N_("New"),
    "contacted": N_("Contacted"),
    "interviewed": N_("Interview"),
    "hired": N_("Hired"),
    "rejected": N_("Rejected"),
}
STATUSES: tuple[str, ...] = ("new", *OUTCOMES)
ENTRY_POINTS: tuple[str, ...] = ("quiz", "lead", "apply")

# The order of the pipeline; "rejected" can follow any open status.
_STAGE = {"new": 0, "contacted": 1, "interviewed": 2, "hired": 3}
FINAL_STATUSES = frozenset({"hired", "rejected"})

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def whatsapp_link(phone_e164: str) -> str | None:
    """``https://wa.me/31612345678`` for ``+31612345678``; None for anything not E.164."""
    if not _E164.match(phone_e164):
        return None
    return f"https://wa.me/{phone_e164[1:]}"


def phone_link(phone_e164: str) -> str | None:
    return f"tel:{phone_e164}" if _E164.match(phone_e164) else None


def allowed_outcomes(status: str) -> tuple[LeadOutcome, ...]:
    """The outcomes that may be recorded for a lead with ``status`` now."""
    if status in FINAL_STATUSES:
        return ()
    stage = _STAGE.get(status, 0)
    return tuple(o for o in OUTCOMES if o == "rejected" or _STAGE[o] > stage)


def check_outcome(status: str, outcome: str) -> LeadOutcome:
    """The outcome to record, or TransitionRefused saying why it cannot be."""
    if outcome not in OUTCOMES:
        raise TransitionRefused(f"{outcome!r} is not an outcome; use one of {', '.join(OUTCOMES)}")
    if outcome == status:
        raise TransitionRefused(f"This candidate is already marked {OUTCOME_LABELS[outcome]}.")
    if outcome not in allowed_outcomes(status):
        raise TransitionRefused(
            f"A candidate marked {OUTCOME_LABELS.get(status, status)} cannot become "
            f"{OUTCOME_LABELS[outcome]}."
        )
    found: LeadOutcome = next(o for o in OUTCOMES if o == outcome)
    return found


# --- CSV export -------------------------------------------------------------------------

CSV_COLUMNS: tuple[str, ...] = (
    "lead_id",
    "campaign",
    "creative",
    "entry_point",
    "status",
    "name",
    "phone",
    "email",
    "preferred_channel",
    "best_moment",
    "visited_at",
    "created_at",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection): a leading quote makes it text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_rows(
    leads: Iterable[Lead], campaign_names: dict[str, str], creative_names: dict[str, str]
) -> Iterable[Sequence[str]]:
    for lead in leads:
        yield tuple(
            csv_safe(cell)
            for cell in (
                lead.lead_id,
                campaign_names.get(lead.campaign_id, lead.campaign_id),
                creative_names.get(lead.variant_id, lead.variant_id),
                lead.entry_point,
                lead.status,
                lead.name,
                lead.phone_e164 or "",
                lead.email or "",
                lead.contact_channel,
                lead.best_moment or "",
                lead.visited_at.isoformat(),
                lead.created_at.isoformat(),
            )
        )


CHANNEL_NAMES: dict[str, str] = {
    "whatsapp": "WhatsApp",
    "email": "E-mail",
    "phone": N_("Phone"),
    "linkedin": "LinkedIn",
}
"""How the console names a contact channel (translated where shown)."""
