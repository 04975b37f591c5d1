"""The analytics consumer's handlers: how each consumed event changes the database.

Candidate events and lead outcomes add to the weekly funnel, delivery is stored per day,
and campaign state is kept in the catalog (``analytics.catalog``).

Each handler runs inside the consumer's transaction, beside the record that the event
was applied (so a redelivered event changes nothing). ``HANDLERS`` is the map the
consumer dispatches on; event types not in it are acknowledged and ignored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from sqlalchemy import Connection

from analytics.catalog import repository as catalog
from analytics.catalog.domain import CampaignState, VariantAttributes
from analytics.facts import repository
from analytics.facts.domain import funnel_counters_for, utc_iso_week
from koers.db import as_utc
from koers.events import (
    CAMPAIGN_STATE_TOPIC,
    CANDIDATE_EVENTS_TOPIC,
    DELIVERY_TOPIC,
    LEAD_OUTCOMES_TOPIC,
    PAYLOAD_TYPE_NAMES,
    ApplicationSubmitted,
    CampaignPaused,
    CampaignPublished,
    CandidateEvent,
    EntryStarted,
    Envelope,
    InvalidEvent,
    LeadContacted,
    LeadOutcomeRecorded,
    LeadReplied,
    LeadSubmitted,
    PageViewed,
    Payload,
    QuizCompleted,
    SpendRecorded,
    VariantChanged,
    VariantState,
)
from koers.messaging.consumer import Handler

GROUP_ID = "analytics"
CONSUMED_TOPICS = (
    CANDIDATE_EVENTS_TOPIC,
    DELIVERY_TOPIC,
    CAMPAIGN_STATE_TOPIC,
    LEAD_OUTCOMES_TOPIC,
)

CENT = Decimal("0.01")

P = TypeVar("P", bound=Payload)


def _payload(envelope: Envelope, expected: type[P]) -> P:
    payload = envelope.typed_payload()
    if not isinstance(payload, expected):
        raise InvalidEvent(f"{envelope.type} carries no {expected.__name__} payload")
    return payload


def _money(amount: float) -> Decimal:
    return Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)


class CountInVisitWeek:
    """A candidate event or lead outcome adds to the funnel of the week of its visit.

    Counted even when the campaign's state has not arrived (yet): the topics are not
    ordered with respect to each other. A run of events is summed per campaign, variant
    and week first and written in one statement (see ``BatchHandler``), which is what
    lets one consumer keep up with thousands of events a second.
    """

    def __call__(self, conn: Connection, envelope: Envelope) -> None:
        self.apply_many(conn, (envelope,))

    def apply_many(self, conn: Connection, envelopes: Sequence[Envelope]) -> None:
        increments: dict[repository.FunnelCell, Counter[str]] = {}
        visitor_days: set[repository.VisitorDay] = set()
        for envelope in envelopes:
            payload = envelope.typed_payload()
            if not isinstance(payload, CandidateEvent | LeadOutcomeRecorded | LeadReplied):
                raise InvalidEvent(f"{envelope.type} is not a candidate event or lead outcome")
            cell = (envelope.campaign_id, payload.variant_id, utc_iso_week(payload.visited_at))
            increments.setdefault(cell, Counter()).update(funnel_counters_for(payload))
            if isinstance(payload, PageViewed):
                day = as_utc(payload.visited_at).date()
                visitor_days.add((cell[0], cell[1], day, payload.visitor_key))
        for campaign_id, variant_id, day, _ in repository.new_visitor_days(conn, visitor_days):
            cell = (campaign_id, variant_id, utc_iso_week(day))
            increments.setdefault(cell, Counter())["unique_visitors"] += 1
        repository.add_to_funnel_counters(conn, increments)


count_in_visit_week = CountInVisitWeek()


def record_spend(conn: Connection, envelope: Envelope) -> None:
    """Store a variant's delivery for a day; re-importing the day replaces it."""
    payload = _payload(envelope, SpendRecorded)
    repository.record_delivery_day(
        conn,
        campaign_id=envelope.campaign_id,
        variant_id=payload.variant_id,
        day=payload.day,
        spend=_money(payload.spend),
        impressions=payload.impressions,
        clicks=payload.clicks,
        import_id=payload.import_id,
    )


def _attributes(variant: VariantState) -> VariantAttributes:
    return VariantAttributes(
        variant_id=variant.variant_id,
        name=variant.name,
        channel=variant.channel,
        creative_format=variant.creative_format,
        hook=variant.hook,
        live=variant.live,
        employee_generated=variant.employee_generated,
        tags=variant.tags,
    )


def save_published_campaign(conn: Connection, envelope: Envelope) -> None:
    """A publish is a full snapshot: the campaign, its variants; absent variants retire."""
    payload = _payload(envelope, CampaignPublished)
    catalog.save_campaign(
        conn,
        CampaignState(
            campaign_id=envelope.campaign_id,
            tenant_id=envelope.tenant_id,
            slug=payload.slug,
            name=payload.name,
            goal=payload.goal,
            weekly_budget=_money(payload.weekly_budget),
            status="published",
            guardrails=payload.guardrails,
            starts_on=payload.starts_on,
            ends_on=payload.ends_on,
        ),
    )
    for variant in payload.variants:
        catalog.save_variant(conn, envelope.campaign_id, _attributes(variant))
    catalog.retire_variants_except(
        conn, envelope.campaign_id, [variant.variant_id for variant in payload.variants]
    )


def mark_campaign_paused(conn: Connection, envelope: Envelope) -> None:
    """Record the pause; a pause of a campaign analytics never saw published is a no-op."""
    _payload(envelope, CampaignPaused)
    catalog.set_campaign_status(conn, envelope.campaign_id, "paused")


def save_changed_variant(conn: Connection, envelope: Envelope) -> None:
    payload = _payload(envelope, VariantChanged)
    catalog.save_variant(conn, envelope.campaign_id, _attributes(payload.variant))


HANDLERS: dict[str, list[Handler]] = {
    PAYLOAD_TYPE_NAMES[PageViewed]: [count_in_visit_week],
    PAYLOAD_TYPE_NAMES[EntryStarted]: [count_in_visit_week],
    PAYLOAD_TYPE_NAMES[QuizCompleted]: [count_in_visit_week],
    PAYLOAD_TYPE_NAMES[LeadSubmitted]: [count_in_visit_week],
    PAYLOAD_TYPE_NAMES[ApplicationSubmitted]: [count_in_visit_week],
    PAYLOAD_TYPE_NAMES[LeadOutcomeRecorded]: [count_in_visit_week],
    PAYLOAD_TYPE_NAMES[LeadReplied]: [count_in_visit_week],
    # An attempt changes no weekly count: time to first contact is read in the console.
    PAYLOAD_TYPE_NAMES[LeadContacted]: [],
    PAYLOAD_TYPE_NAMES[SpendRecorded]: [record_spend],
    PAYLOAD_TYPE_NAMES[CampaignPublished]: [save_published_campaign],
    PAYLOAD_TYPE_NAMES[CampaignPaused]: [mark_campaign_paused],
    PAYLOAD_TYPE_NAMES[VariantChanged]: [save_changed_variant],
}
