"""Campaign-state events -> page snapshots. Each handler runs inside the consumer's
transaction, next to the dedup record of the event it applies.

``handlers(own_hosts)`` is the map the consumer runs; ``HANDLERS`` is it without the
landing service's public host (tests, tools), which still drops relative media URLs."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from functools import partial

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


def publish_page(conn: Connection, envelope: Envelope, own_hosts: Sequence[str] = ()) -> None:
    """Keep the newest published snapshot of a campaign's page (by page version), without
    the media URLs it may never show (relative, not https, or on the landing service
    itself: each view would count as a visit, start or lead of some campaign)."""
    published = envelope.typed_payload()
    assert isinstance(published, CampaignPublished)
    dropped = domain.without_foreign_media(published.page.model_dump(), own_hosts)
    if dropped:
        log.warning(
            "dropped media URLs that point at the landing service or are not https",
            extra={"campaign_id": envelope.campaign_id, "fields": dropped},
        )
        page = published.page.model_copy(update=dict.fromkeys(dropped))
        published = published.model_copy(update={"page": page})
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


def handlers(own_hosts: Sequence[str] = ()) -> Mapping[str, Iterable[Handler]]:
    """The consumer's handlers; ``own_hosts``: the landing service's public host(s)."""
    return {
        "CampaignPublished": [partial(publish_page, own_hosts=tuple(own_hosts))],
        "CampaignPaused": [pause_page],
        "VariantChanged": [change_variant],
    }


HANDLERS: Mapping[str, Iterable[Handler]] = handlers()
