"""Persistence of the weekly loop: analytics' proposals as they arrive by event, the
decisions on them, each campaign's push time and creatives' ad-platform ids, push results
keyed by idempotency key, the bulk files of each push and the tenants' platform tokens
(encrypted; see ``campaigns.delivery.credentials``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from campaigns.decisions.domain import PUSHABLE, DecisionStatus, PushTime
from campaigns.delivery import ChangeOutcome, Platform, PlatformIds, PushResult
from campaigns.schema import metadata
from koers.db import UtcDateTime, as_utc, upsert

allocation_proposals = sa.Table(
    "allocation_proposals",
    metadata,
    sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
    sa.Column("week", sa.String(8), primary_key=True),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("proposed_at", UtcDateTime(), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
)


def upsert_allocation_proposal(
    conn: Connection,
    *,
    campaign_id: str,
    week: str,
    payload: dict[str, Any],
    event_id: str,
    proposed_at: datetime,
    received_at: datetime,
) -> bool:
    """Keep the newest proposal per campaign and week; an older one arriving late is ignored.

    Returns whether the stored proposal changed.
    """
    stored = conn.execute(
        sa.select(allocation_proposals.c.proposed_at, allocation_proposals.c.event_id).where(
            allocation_proposals.c.campaign_id == campaign_id,
            allocation_proposals.c.week == week,
        )
    ).first()
    # The same event again (the consumer after the weekly job stored it from analytics'
    # answer) changes nothing, whatever its timestamp.
    if stored is not None and (
        stored.event_id == event_id or stored.proposed_at > as_utc(proposed_at)
    ):
        return False
    upsert(
        conn,
        allocation_proposals,
        {
            "campaign_id": campaign_id,
            "week": week,
            "payload": payload,
            "event_id": event_id,
            "proposed_at": proposed_at,
            "received_at": received_at,
        },
        ("payload", "event_id", "proposed_at", "received_at"),
    )
    return True


def allocation_proposal(conn: Connection, campaign_id: str, week: str) -> dict[str, Any] | None:
    row = conn.execute(
        sa.select(allocation_proposals.c.payload).where(
            allocation_proposals.c.campaign_id == campaign_id,
            allocation_proposals.c.week == week,
        )
    ).first()
    if row is None:
        return None
    payload: dict[str, Any] = row.payload
    return payload


def allocation_event_id(conn: Connection, campaign_id: str, week: str) -> str | None:
    """The event id of the stored proposal of ``week``, None when there is none."""
    found: str | None = conn.execute(
        sa.select(allocation_proposals.c.event_id).where(
            allocation_proposals.c.campaign_id == campaign_id,
            allocation_proposals.c.week == week,
        )
    ).scalar_one_or_none()
    return found


# --- the campaign's decisions, push times, platform ids, pushes, files, credentials ---------

allocation_decisions = sa.Table(
    "allocation_decisions",
    metadata,
    sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
    sa.Column("week", sa.String(8), primary_key=True),
    sa.Column("tenant_id", sa.String(36), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    # variant id -> cents: what is pushed (the proposal's amounts, or the edited ones)
    sa.Column("amounts", sa.JSON, nullable=False),
    sa.Column("proposed", sa.JSON, nullable=False),
    sa.Column("edited", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("decided_by", sa.String(320), nullable=False),
    sa.Column("decided_at", UtcDateTime(), nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    # why it waits (status held): the guardrail sentences, or who undid autopilot
    sa.Column("reasons", sa.JSON, nullable=True),
    sa.Column("proposal_version", sa.Integer, nullable=True),
    sa.CheckConstraint(
        "status IN ('approved', 'autopilot', 'rejected', 'held')",
        name="ck_allocation_decisions_status",
    ),
    sa.Index("ix_allocation_decisions_tenant_week", "tenant_id", "week"),
)

campaign_push_times = sa.Table(
    "campaign_push_times",
    metadata,
    sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
    sa.Column("weekday", sa.Integer, nullable=False),
    sa.Column("at_time", sa.String(5), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
)

creative_platform_ids = sa.Table(
    "creative_platform_ids",
    metadata,
    sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
    sa.Column("variant_id", sa.String(64), primary_key=True),
    sa.Column("platform_campaign_id", sa.String(64), nullable=True),
    sa.Column("ad_set_id", sa.String(64), nullable=True),
    sa.Column("ad_id", sa.String(64), nullable=True),
    sa.Column("platform_campaign_name", sa.String(200), nullable=True),
)

delivery_pushes = sa.Table(
    "delivery_pushes",
    metadata,
    # tenant:campaign:week: one push per campaign and week and adapter, retried in place
    sa.Column("idempotency_key", sa.String(120), primary_key=True),
    sa.Column("adapter", sa.String(20), primary_key=True),
    sa.Column("kind", sa.String(8), primary_key=True),
    sa.Column("tenant_id", sa.String(36), nullable=False),
    sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), nullable=False),
    sa.Column("week", sa.String(8), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("outcomes", sa.JSON, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("pushed_by", sa.String(320), nullable=False),
    sa.Column("pushed_at", UtcDateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('push', 'dry_run')", name="ck_delivery_pushes_kind"),
    sa.Index("ix_delivery_pushes_campaign_week", "campaign_id", "week"),
)

delivery_files = sa.Table(
    "delivery_files",
    metadata,
    sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
    sa.Column("week", sa.String(8), primary_key=True),
    sa.Column("platform", sa.String(20), primary_key=True),
    sa.Column("tenant_id", sa.String(36), nullable=False),
    sa.Column("filename", sa.String(200), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

delivery_credentials = sa.Table(
    "delivery_credentials",
    metadata,
    sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), primary_key=True),
    sa.Column("platform", sa.String(20), primary_key=True),
    sa.Column("sealed", sa.LargeBinary, nullable=False),
    sa.Column("masked", sa.String(20), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)


@dataclass(frozen=True)
class StoredDecision:
    campaign_id: str
    week: str
    tenant_id: str
    status: DecisionStatus
    amounts: dict[str, int]
    proposed: dict[str, int]
    edited: bool
    decided_by: str
    decided_at: datetime
    note: str
    reasons: tuple[str, ...]
    proposal_version: int | None

    @property
    def pushable(self) -> bool:
        return self.status in PUSHABLE


def _decision(row: sa.Row[Any]) -> StoredDecision:
    return StoredDecision(
        campaign_id=row.campaign_id,
        week=row.week,
        tenant_id=row.tenant_id,
        status=row.status,
        amounts={str(k): int(v) for k, v in (row.amounts or {}).items()},
        proposed={str(k): int(v) for k, v in (row.proposed or {}).items()},
        edited=bool(row.edited),
        decided_by=row.decided_by,
        decided_at=as_utc(row.decided_at),
        note=row.note or "",
        reasons=tuple(row.reasons or ()),
        proposal_version=row.proposal_version,
    )


def save_decision(conn: Connection, decision: StoredDecision) -> None:
    values = {
        "campaign_id": decision.campaign_id,
        "week": decision.week,
        "tenant_id": decision.tenant_id,
        "status": decision.status,
        "amounts": decision.amounts,
        "proposed": decision.proposed,
        "edited": decision.edited,
        "decided_by": decision.decided_by,
        "decided_at": decision.decided_at,
        "note": decision.note,
        "reasons": list(decision.reasons),
        "proposal_version": decision.proposal_version,
    }
    upsert(conn, allocation_decisions, values, tuple(k for k in values if k not in _DECISION_KEY))


_DECISION_KEY = ("campaign_id", "week")


def decision_for(conn: Connection, campaign_id: str, week: str) -> StoredDecision | None:
    row = conn.execute(
        sa.select(allocation_decisions).where(
            allocation_decisions.c.campaign_id == campaign_id,
            allocation_decisions.c.week == week,
        )
    ).first()
    return _decision(row) if row else None


def decisions_of_campaign(
    conn: Connection, campaign_id: str, since_week: str
) -> dict[str, StoredDecision]:
    """week -> the campaign's decision on it, for ``since_week`` and later."""
    rows = conn.execute(
        sa.select(allocation_decisions).where(
            allocation_decisions.c.campaign_id == campaign_id,
            allocation_decisions.c.week >= since_week,  # ISO labels sort in calendar order
        )
    )
    return {row.week: _decision(row) for row in rows}


def proposals_of_campaign(
    conn: Connection, campaign_id: str, since_week: str
) -> dict[str, dict[str, Any]]:
    """week -> the stored proposal's payload, for ``since_week`` and later."""
    rows = conn.execute(
        sa.select(allocation_proposals.c.week, allocation_proposals.c.payload).where(
            allocation_proposals.c.campaign_id == campaign_id,
            allocation_proposals.c.week >= since_week,
        )
    )
    return {row.week: dict(row.payload) for row in rows}


def decisions_of_week(conn: Connection, tenant_id: str, week: str) -> dict[str, StoredDecision]:
    """campaign id -> the decision on ``week``, for one tenant."""
    rows = conn.execute(
        sa.select(allocation_decisions).where(
            allocation_decisions.c.tenant_id == tenant_id, allocation_decisions.c.week == week
        )
    )
    return {row.campaign_id: _decision(row) for row in rows}


def pushable_decisions(conn: Connection) -> list[StoredDecision]:
    """Every approved or autopilot decision (the push job filters by push time)."""
    rows = conn.execute(
        sa.select(allocation_decisions)
        .where(allocation_decisions.c.status.in_(sorted(PUSHABLE)))
        .order_by(allocation_decisions.c.week, allocation_decisions.c.campaign_id)
    )
    return [_decision(row) for row in rows]


def last_pushable_before(conn: Connection, campaign_id: str, week: str) -> StoredDecision | None:
    """The latest approved or autopilot split before ``week``: what runs now."""
    row = conn.execute(
        sa.select(allocation_decisions)
        .where(
            allocation_decisions.c.campaign_id == campaign_id,
            allocation_decisions.c.week < week,
            allocation_decisions.c.status.in_(sorted(PUSHABLE)),
        )
        .order_by(allocation_decisions.c.week.desc())
        .limit(1)
    ).first()
    return _decision(row) if row else None


def delete_decision(conn: Connection, campaign_id: str, week: str) -> None:
    conn.execute(
        sa.delete(allocation_decisions).where(
            allocation_decisions.c.campaign_id == campaign_id,
            allocation_decisions.c.week == week,
        )
    )


def push_time_of(conn: Connection, campaign_id: str) -> PushTime:
    row = conn.execute(
        sa.select(campaign_push_times).where(campaign_push_times.c.campaign_id == campaign_id)
    ).first()
    if row is None:
        return PushTime()
    return PushTime(row.weekday, time.fromisoformat(row.at_time), row.timezone)


def save_push_time(conn: Connection, campaign_id: str, push_time: PushTime) -> None:
    upsert(
        conn,
        campaign_push_times,
        {
            "campaign_id": campaign_id,
            "weekday": push_time.weekday,
            "at_time": push_time.at.strftime("%H:%M"),
            "timezone": push_time.timezone,
        },
        ("weekday", "at_time", "timezone"),
    )


def platform_ids_of(conn: Connection, campaign_id: str) -> dict[str, PlatformIds]:
    rows = conn.execute(
        sa.select(creative_platform_ids).where(creative_platform_ids.c.campaign_id == campaign_id)
    )
    return {
        row.variant_id: PlatformIds(
            campaign_id=row.platform_campaign_id,
            ad_set_id=row.ad_set_id,
            ad_id=row.ad_id,
            campaign_name=row.platform_campaign_name,
        )
        for row in rows
    }


def save_platform_ids(
    conn: Connection, campaign_id: str, variant_id: str, ids: PlatformIds
) -> None:
    upsert(
        conn,
        creative_platform_ids,
        {
            "campaign_id": campaign_id,
            "variant_id": variant_id,
            "platform_campaign_id": ids.campaign_id,
            "ad_set_id": ids.ad_set_id,
            "ad_id": ids.ad_id,
            "platform_campaign_name": ids.campaign_name,
        },
        ("platform_campaign_id", "ad_set_id", "ad_id", "platform_campaign_name"),
    )


@dataclass(frozen=True)
class StoredPush:
    idempotency_key: str
    adapter: str
    kind: str
    campaign_id: str
    week: str
    status: str
    outcomes: tuple[dict[str, Any], ...]
    attempts: int
    pushed_by: str
    pushed_at: datetime


def _push(row: sa.Row[Any]) -> StoredPush:
    return StoredPush(
        idempotency_key=row.idempotency_key,
        adapter=row.adapter,
        kind=row.kind,
        campaign_id=row.campaign_id,
        week=row.week,
        status=row.status,
        outcomes=tuple(row.outcomes or ()),
        attempts=row.attempts,
        pushed_by=row.pushed_by,
        pushed_at=as_utc(row.pushed_at),
    )


def pushes_of(conn: Connection, idempotency_key: str) -> list[StoredPush]:
    rows = conn.execute(
        sa.select(delivery_pushes)
        .where(delivery_pushes.c.idempotency_key == idempotency_key)
        .order_by(delivery_pushes.c.kind, delivery_pushes.c.adapter)
    )
    return [_push(row) for row in rows]


def save_push(
    conn: Connection,
    *,
    tenant_id: str,
    campaign_id: str,
    week: str,
    kind: str,
    result: PushResult,
    pushed_by: str,
    at: datetime,
) -> StoredPush:
    """Store a push (or dry run) under its idempotency key; a retry replaces it in place."""
    previous = conn.execute(
        sa.select(delivery_pushes.c.attempts).where(
            delivery_pushes.c.idempotency_key == result.idempotency_key,
            delivery_pushes.c.adapter == result.adapter,
            delivery_pushes.c.kind == kind,
        )
    ).scalar_one_or_none()
    values = {
        "idempotency_key": result.idempotency_key,
        "adapter": result.adapter,
        "kind": kind,
        "tenant_id": tenant_id,
        "campaign_id": campaign_id,
        "week": week,
        "status": result.status,
        "outcomes": [outcome_json(o) for o in result.outcomes],
        "attempts": (previous or 0) + 1,
        "pushed_by": pushed_by,
        "pushed_at": at,
    }
    upsert(
        conn,
        delivery_pushes,
        values,
        ("status", "outcomes", "attempts", "pushed_by", "pushed_at", "tenant_id"),
    )
    found = conn.execute(
        sa.select(delivery_pushes).where(
            delivery_pushes.c.idempotency_key == result.idempotency_key,
            delivery_pushes.c.adapter == result.adapter,
            delivery_pushes.c.kind == kind,
        )
    ).one()
    return _push(found)


def outcome_json(outcome: ChangeOutcome) -> dict[str, Any]:
    change = outcome.change
    return {
        "variant_id": change.variant_id,
        "creative": change.variant_name,
        "platform": change.platform,
        "level": change.level,
        "object_id": change.object_id,
        "weekly_cents": change.weekly_cents,
        "daily_budget_cents": change.daily_budget_cents,
        "status": change.status,
        "outcome": outcome.outcome,
        "detail": outcome.detail,
    }


@dataclass(frozen=True)
class StoredFile:
    campaign_id: str
    week: str
    platform: str
    filename: str
    content: bytes


def save_files(
    conn: Connection,
    *,
    tenant_id: str,
    campaign_id: str,
    week: str,
    files: dict[str, tuple[str, bytes]],
    at: datetime,
) -> None:
    """platform -> (filename, bytes); a newer push replaces the week's file of a platform."""
    for platform, (filename, content) in files.items():
        upsert(
            conn,
            delivery_files,
            {
                "campaign_id": campaign_id,
                "week": week,
                "platform": platform,
                "tenant_id": tenant_id,
                "filename": filename,
                "content": content,
                "created_at": at,
            },
            ("tenant_id", "filename", "content", "created_at"),
        )


def files_of(conn: Connection, campaign_id: str, week: str | None = None) -> list[StoredFile]:
    query = sa.select(delivery_files).where(delivery_files.c.campaign_id == campaign_id)
    if week is not None:
        query = query.where(delivery_files.c.week == week)
    query = query.order_by(delivery_files.c.week.desc(), delivery_files.c.platform)
    return [
        StoredFile(row.campaign_id, row.week, row.platform, row.filename, bytes(row.content))
        for row in conn.execute(query)
    ]


class SqlCredentialStore:
    """``delivery.CredentialStore`` on the ``delivery_credentials`` table, in the caller's
    transaction. Only ciphertexts and masked forms are stored."""

    def __init__(self, conn: Connection, *, now: datetime) -> None:
        self._conn = conn
        self._now = now

    def save(self, tenant_id: str, platform: Platform, sealed: bytes, masked: str) -> None:
        upsert(
            self._conn,
            delivery_credentials,
            {
                "tenant_id": tenant_id,
                "platform": platform,
                "sealed": sealed,
                "masked": masked,
                "updated_at": self._now,
            },
            ("sealed", "masked", "updated_at"),
        )

    def _row(self, tenant_id: str, platform: Platform) -> sa.Row[Any] | None:
        return self._conn.execute(
            sa.select(delivery_credentials).where(
                delivery_credentials.c.tenant_id == tenant_id,
                delivery_credentials.c.platform == platform,
            )
        ).first()

    def load(self, tenant_id: str, platform: Platform) -> bytes | None:
        row = self._row(tenant_id, platform)
        return None if row is None else bytes(row.sealed)

    def masked(self, tenant_id: str, platform: Platform) -> str | None:
        row = self._row(tenant_id, platform)
        return None if row is None else str(row.masked)

    def delete(self, tenant_id: str, platform: Platform) -> None:
        self._conn.execute(
            sa.delete(delivery_credentials).where(
                delivery_credentials.c.tenant_id == tenant_id,
                delivery_credentials.c.platform == platform,
            )
        )
