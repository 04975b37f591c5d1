"""Campaign-state events -> page snapshots. Each handler runs inside the consumer's
transaction, next to the dedup record of the event it applies."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from sqlalchemy import Connection

from koers.events import (
    CampaignPublished,
    Envelope,
    InvalidEvent,
    VariantChanged,
    utcnow,
)
from koers.messaging.consumer import Handler
from landing.pages import domain, repository

log = logging.getLogger(__name__)

CONSUMER_GROUP = "landing"


def publish_page(conn: Connection, envelope: Envelope) -> None:
    """Keep the newest published snapshot of a campaign's page (by page version)."""
    published = envelope.typed_payload()
    assert isinstance(published, CampaignPublished)
    current = repository.stored_version(conn, envelope.campaign_id)
    if not domain.is_newer_version(current, published.page.version):
        log.info(
            "ignored an older page version",
            extra={"campaign_id": envelope.campaign_id, "version": published.page.version},
        )
        return
    owner = repository.slug_owner(conn, published.slug)
    if owner is not None and owner != envelope.campaign_id:
        raise InvalidEvent(f"slug {published.slug!r} already belongs to campaign {owner}")
    repository.save_published_page(
        conn,
        tenant_id=envelope.tenant_id,
        campaign_id=envelope.campaign_id,
        campaign=published,
        now=utcnow(),
    )


def pause_page(conn: Connection, envelope: Envelope) -> None:
    """A paused campaign's page answers 404 until it is published again."""
    if not repository.pause_page(conn, envelope.campaign_id, utcnow()):
        log.info("pause for a page never published", extra={"campaign_id": envelope.campaign_id})


def change_variant(conn: Connection, envelope: Envelope) -> None:
    """Update one creative in the snapshot (live flag, name, hook...)."""
    changed = envelope.typed_payload()
    assert isinstance(changed, VariantChanged)
    if not repository.update_variant(conn, envelope.campaign_id, changed.variant, utcnow()):
        # The next CampaignPublished carries every variant; nothing to keep until then.
        log.info("variant change before publish", extra={"campaign_id": envelope.campaign_id})


HANDLERS: Mapping[str, Iterable[Handler]] = {
    "CampaignPublished": [publish_page],
    "CampaignPaused": [pause_page],
    "VariantChanged": [change_variant],
}
