"""Event handlers of the campaigns consumer: ``{event type: [handlers]}``.

Each runs inside the consumer's transaction, next to its dedup record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection

from campaigns.catalog import repository as catalog_repo
from campaigns.decisions import repository as decisions_repo
from campaigns.decisions import service as decisions_service
from koers.events import ALLOCATIONS_TOPIC, AllocationProposed, Envelope, InvalidEvent, utcnow
from koers.messaging.consumer import Handler

CONSUMER_GROUP = "campaigns"
TOPICS = (ALLOCATIONS_TOPIC,)


def store_allocation_proposal(conn: Connection, envelope: Envelope) -> None:
    """Keep analytics' proposal for the campaign's week, waiting for a marketer's decision."""
    proposal = envelope.typed_payload()
    assert isinstance(proposal, AllocationProposed)
    campaign = catalog_repo.campaign_by_id(conn, envelope.campaign_id)
    if campaign is None:
        raise InvalidEvent(f"unknown campaign {envelope.campaign_id}")
    if campaign.tenant_id != envelope.tenant_id:
        raise InvalidEvent(f"campaign {envelope.campaign_id} is not of tenant {envelope.tenant_id}")
    changed = decisions_repo.upsert_allocation_proposal(
        conn,
        campaign_id=campaign.id,
        week=proposal.week,
        payload=proposal.model_dump(mode="json"),
        event_id=str(envelope.event_id),
        proposed_at=envelope.occurred_at,
        received_at=utcnow(),
    )
    if changed:
        decisions_service.record_proposal_arrived(
            conn, campaign, proposal.week, proposal.model_dump(mode="json"), envelope.occurred_at
        )


HANDLERS: Mapping[str, Sequence[Handler]] = {
    "AllocationProposed": [store_allocation_proposal],
}
