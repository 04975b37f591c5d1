"""Spend use cases: preview an upload, confirm a previewed import, record delivery.

Both take the caller's transaction. ``preview_upload`` parses and stores the upload as a
pending import (nothing reaches analytics yet). ``confirm_import`` then writes, in the
same transaction: the platform's delivery for the import's period (replacing what that
platform reported for those days before), the per-creative day totals in
``spend_days``, one ``SpendRecorded`` per creative per day through the outbox, and the
audit row. Analytics replaces a creative's day on every ``SpendRecorded``, so each event
carries the day's new total over all platforms; a day whose spend disappeared in the
re-import is announced with zeros. Importing the same period twice therefore never
double counts.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection

from campaigns.audit import repository as audit
from campaigns.catalog import repository as catalog_repo
from campaigns.catalog.domain import Campaign
from campaigns.config import SERVICE
from campaigns.errors import CampaignsError, ObjectNotFound
from campaigns.spend import repository as store
from campaigns.spend.domain import DailySpend
from campaigns.spend.parser import Creative, SpendExport
from koers.events import Envelope, SpendRecorded, new_envelope
from koers.messaging.outbox import add_to_outbox
from koers.web import Conflict


class ImportNotConfirmable(CampaignsError):
    status = 422
    title = "This import cannot be confirmed"


class ImportAlreadyConfirmed(CampaignsError, Conflict):
    title = "Already imported"


class CreativesChanged(CampaignsError, Conflict):
    title = "The creatives changed since the preview"


@dataclass(frozen=True)
class Confirmation:
    stored: store.StoredImport
    events: tuple[Envelope, ...]


def creatives_of(conn: Connection, campaign: Campaign) -> list[Creative]:
    return [
        Creative(variant_id=v.variant_id, name=v.name, ad_key=v.ad_key)
        for v in catalog_repo.variants_of(conn, campaign.id)
    ]


def preview_upload(
    conn: Connection,
    *,
    campaign: Campaign,
    parsed: SpendExport,
    file_name: str,
    actor: str,
    now: datetime,
) -> store.StoredImport:
    """Keep a parsed upload as a pending import (its rows and errors are the preview).

    Parse with ``parse_spend_export(data, creatives_of(conn, campaign))`` first, outside
    the write transaction: parsing a large file should not hold the database's write lock.
    """
    import_id = str(uuid.uuid4())
    store.add_import(
        conn,
        import_id=import_id,
        tenant_id=campaign.tenant_id,
        campaign_id=campaign.id,
        file_name=file_name,
        parsed=parsed,
        created_by=actor,
        created_at=now,
    )
    audit.record(
        conn,
        tenant_id=campaign.tenant_id,
        actor=actor,
        action="spend_import.upload",
        object_type="spend_import",
        object_id=import_id,
        before=None,
        after={
            "campaign_id": campaign.id,
            "platform": parsed.platform,
            "rows": len(parsed.rows),
            "errors": len(parsed.errors),
        },
        at=now,
    )
    stored = store.import_of_campaign(
        conn, tenant_id=campaign.tenant_id, campaign_id=campaign.id, import_id=import_id
    )
    assert stored is not None  # written just above, in this transaction
    return stored


def find_import(conn: Connection, *, campaign: Campaign, import_id: str) -> store.StoredImport:
    stored = store.import_of_campaign(
        conn, tenant_id=campaign.tenant_id, campaign_id=campaign.id, import_id=import_id
    )
    if stored is None:
        raise ObjectNotFound(f"There is no spend import {import_id!r} for this campaign.")
    return stored


def confirm_import(
    conn: Connection, *, campaign: Campaign, import_id: str, actor: str, now: datetime
) -> Confirmation:
    """Import a previewed file: all of it in this transaction, or nothing."""
    store.lock_campaign_spend(conn, campaign.id)
    stored = find_import(conn, campaign=campaign, import_id=import_id)
    if stored.status == "confirmed":
        raise ImportAlreadyConfirmed(
            "This file was imported already; nothing was changed. Upload it again to "
            "replace the period with it once more."
        )
    if stored.error_count:
        raise ImportNotConfirmable(
            f"{stored.error_count} row(s) of this file have errors, so nothing was imported. "
            "Correct them (or the creatives' ad names) and upload the file again."
        )
    if not stored.days or stored.first_day is None or stored.last_day is None:
        raise ImportNotConfirmable("This file has no figures to import.")
    known = {c.variant_id for c in creatives_of(conn, campaign)}
    gone = sorted({d.variant_id for d in stored.days} - known)
    if gone:
        raise CreativesChanged(
            f"Creative(s) {', '.join(gone)} no longer exist; upload the file again."
        )
    if not store.mark_confirmed(conn, stored.id, by=actor, at=now):
        raise ImportAlreadyConfirmed("This file was imported already; nothing was changed.")

    replaced = store.platform_days_in(
        conn,
        campaign_id=campaign.id,
        platform=stored.platform,
        first_day=stored.first_day,
        last_day=stored.last_day,
    )
    store.replace_platform_days(
        conn,
        campaign_id=campaign.id,
        platform=stored.platform,
        first_day=stored.first_day,
        last_day=stored.last_day,
        days=stored.days,
        import_id=stored.id,
    )
    touched = {*replaced, *((d.variant_id, d.day) for d in stored.days)}
    totals = store.totals_over_platforms(conn, campaign_id=campaign.id, pairs=touched)
    store.save_spend_totals(conn, campaign_id=campaign.id, totals=totals, import_id=stored.id)
    events = tuple(
        new_envelope(
            SpendRecorded(
                variant_id=total.variant_id,
                day=total.day,
                spend=float(total.spend),
                impressions=total.impressions,
                clicks=total.clicks,
                import_id=stored.id,
            ),
            source=SERVICE,
            tenant_id=campaign.tenant_id,
            campaign_id=campaign.id,
            occurred_at=now,
        )
        for total in totals
    )
    add_to_outbox(conn, *events)
    audit.record(
        conn,
        tenant_id=campaign.tenant_id,
        actor=actor,
        action="spend_import.confirm",
        object_type="spend_import",
        object_id=stored.id,
        before={"status": "pending"},
        after={
            "status": "confirmed",
            "campaign_id": campaign.id,
            "platform": stored.platform,
            "first_day": stored.first_day.isoformat(),
            "last_day": stored.last_day.isoformat(),
            "creative_days": len(totals),
            "replaced_creative_days": len(replaced),
            "spend": str(sum((d.spend for d in stored.days), Decimal(0))),
        },
        at=now,
    )
    confirmed = find_import(conn, campaign=campaign, import_id=stored.id)
    return Confirmation(stored=confirmed, events=events)


def record_spend(
    conn: Connection,
    *,
    campaign: Campaign,
    days: Sequence[DailySpend],
    import_id: str,
    actor: str,
    now: datetime,
) -> list[Envelope]:
    """Store imported delivery figures and announce each day as SpendRecorded."""
    store.upsert_spend_days(conn, campaign.id, days, import_id)
    envelopes = [
        new_envelope(
            SpendRecorded(
                variant_id=day.variant_id,
                day=day.day,
                spend=float(day.spend),
                impressions=day.impressions,
                clicks=day.clicks,
                import_id=import_id,
            ),
            source=SERVICE,
            tenant_id=campaign.tenant_id,
            campaign_id=campaign.id,
            occurred_at=now,
        )
        for day in days
    ]
    add_to_outbox(conn, *envelopes)
    total = sum((d.spend for d in days), Decimal(0))
    audit.record(
        conn,
        tenant_id=campaign.tenant_id,
        actor=actor,
        action="record_spend",
        object_type="campaign",
        object_id=campaign.id,
        before=None,
        after={"import_id": import_id, "days": len(days), "spend": str(total)},
        at=now,
    )
    return envelopes
