"""Speed to lead: how fast a campaign's leads are first contacted and which channels get
answers, per campaign and per recruiter; which leads wait past the employer's target.
Pure: the contact facts landing keeps (ids, moments, channels) in, frozen figures out.

A lead counts once per channel it was tried on; a reply counts for the channel it came
in on. A recruiter is credited with the leads they contacted first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from campaigns.leads.landing_client import LeadContactFacts
from campaigns.web.i18n import N_
from koers.phrases import Decimal1, Phrase, in_english

OPEN_STATUSES = frozenset({"new"})
"""Leads that still wait for a first contact; a rejected or hired one waits for nothing."""


@dataclass(frozen=True)
class ChannelReplies:
    channel: str
    attempted: int
    replied: int
    first_contacts: int = 0
    """Leads whose first contact was on this channel."""
    median_hours: float | None = None
    """Their median time from the lead to that first contact."""

    @property
    def rate(self) -> float | None:
        return self.replied / self.attempted if self.attempted else None


@dataclass(frozen=True)
class RecruiterSpeed:
    recruiter_id: str
    first_contacts: int
    median_hours: float
    replied: int

    @property
    def reply_rate(self) -> float:
        return self.replied / self.first_contacts


@dataclass(frozen=True)
class SpeedToLead:
    leads: int
    contacted: int
    median_hours: float | None
    """Median time from the lead to its first contact attempt, over contacted leads."""
    within_target: int
    target_hours: int
    replied: int
    by_channel: tuple[ChannelReplies, ...]
    by_recruiter: tuple[RecruiterSpeed, ...]
    overdue: frozenset[str]
    """Lead ids not contacted although older than the target."""

    @property
    def reply_rate(self) -> float | None:
        return self.replied / self.contacted if self.contacted else None


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _median_or_none(values: Sequence[float]) -> float | None:
    return median(values) if values else None


def speed_to_lead(
    facts: Iterable[LeadContactFacts], *, now: datetime, target_hours: int
) -> SpeedToLead:
    target = timedelta(hours=target_hours)
    leads = contacted = within = replied = 0
    waits: list[float] = []
    attempted_on: dict[str, int] = {}
    replied_on: dict[str, int] = {}
    per_recruiter: dict[str, list[tuple[float, bool]]] = {}
    first_on: dict[str, list[float]] = {}
    overdue: set[str] = set()
    for lead in facts:
        leads += 1
        attempts = [c for c in lead.contacts if c.kind == "attempt"]
        reply = next((c for c in lead.contacts if c.kind == "reply"), None)
        if not attempts:
            if lead.status in OPEN_STATUSES and now - lead.created_at > target:
                overdue.add(lead.lead_id)
            continue
        contacted += 1
        first = min(attempts, key=lambda c: c.at)
        wait = first.at - lead.created_at
        waits.append(_hours(wait))
        first_on.setdefault(first.channel, []).append(_hours(wait))
        within += wait <= target
        for channel in {c.channel for c in attempts}:
            attempted_on[channel] = attempted_on.get(channel, 0) + 1
        if reply is not None:
            replied += 1
            replied_on[reply.channel] = replied_on.get(reply.channel, 0) + 1
        per_recruiter.setdefault(first.recruiter_id, []).append((_hours(wait), reply is not None))
    channels = sorted(set(attempted_on) | set(replied_on))
    return SpeedToLead(
        leads=leads,
        contacted=contacted,
        median_hours=_median_or_none(waits),
        within_target=within,
        target_hours=target_hours,
        replied=replied,
        by_channel=tuple(
            ChannelReplies(
                c,
                attempted_on.get(c, 0),
                replied_on.get(c, 0),
                first_contacts=len(first_on.get(c, ())),
                median_hours=_median_or_none(first_on.get(c, ())),
            )
            for c in channels
        ),
        by_recruiter=tuple(
            RecruiterSpeed(
                recruiter_id=recruiter,
                first_contacts=len(rows),
                median_hours=median(hours for hours, _ in rows),
                replied=sum(answered for _, answered in rows),
            )
            for recruiter, rows in sorted(per_recruiter.items())
        ),
        overdue=frozenset(overdue),
    )


def hours_phrase(hours: float | None) -> Phrase:
    """ "45 min", "3.5 h", "2.1 days" (worded where shown); an em dash with nothing to measure."""
    if hours is None:
        return Phrase("—")
    if hours < 1:
        return Phrase(N_("%(minutes)s min"), {"minutes": round(hours * 60)})
    if hours < 48:
        return Phrase(N_("%(hours)s h"), {"hours": Decimal1(hours)})
    return Phrase(N_("%(days)s days"), {"days": Decimal1(hours / 24)})


def format_hours(hours: float | None) -> str:
    """:func:`hours_phrase` in English."""
    return in_english(hours_phrase(hours))
