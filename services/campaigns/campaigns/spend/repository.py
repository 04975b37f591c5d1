"""Persistence of spend (SQLAlchemy Core): each creative's day totals, pending uploads,
and delivery per platform.

Functions take the caller's ``Connection``; the confirm use case in ``spend.service``
runs them in one transaction with the outbox events and the audit row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from campaigns.catalog.repository import campaigns
from campaigns.schema import metadata
from campaigns.spend.domain import DailySpend
from campaigns.spend.parser import RowResult, SpendExport, VariantDay
from koers.db import UtcDateTime, upsert

spend_days = sa.Table(
    "spend_days",
    metadata,
    sa.Column("campaign_id", sa.String(36), primary_key=True),
    sa.Column("variant_id", sa.String(64), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("spend", sa.Numeric(12, 2), nullable=False),
    sa.Column("impressions", sa.Integer, nullable=False),
    sa.Column("clicks", sa.Integer, nullable=False),
    sa.Column("import_id", sa.String(64), nullable=False),
    sa.ForeignKeyConstraint(
        ["campaign_id", "variant_id"], ["variants.campaign_id", "variants.variant_id"]
    ),
)

spend_imports = sa.Table(
    "spend_imports",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), nullable=False),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("language", sa.String(2), nullable=False),
    sa.Column("file_name", sa.String(255), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("row_count", sa.Integer, nullable=False),
    sa.Column("error_count", sa.Integer, nullable=False),
    sa.Column("first_day", sa.Date, nullable=True),
    sa.Column("last_day", sa.Date, nullable=True),
    sa.Column("preview", sa.JSON, nullable=False),
    sa.Column("days", sa.JSON, nullable=False),
    sa.Column("created_by", sa.String(320), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("confirmed_by", sa.String(320), nullable=True),
    sa.Column("confirmed_at", UtcDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'confirmed')", name="ck_spend_imports_status"),
    sa.Index("ix_spend_imports_campaign", "tenant_id", "campaign_id", "created_at"),
)

platform_spend_days = sa.Table(
    "platform_spend_days",
    metadata,
    sa.Column("campaign_id", sa.String(36), primary_key=True),
    sa.Column("variant_id", sa.String(64), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("platform", sa.String(20), primary_key=True),
    sa.Column("spend", sa.Numeric(12, 2), nullable=False),
    sa.Column("impressions", sa.Integer, nullable=False),
    sa.Column("clicks", sa.Integer, nullable=False),
    sa.Column("import_id", sa.String(36), nullable=False),
    sa.ForeignKeyConstraint(
        ["campaign_id", "variant_id"], ["variants.campaign_id", "variants.variant_id"]
    ),
    sa.Index("ix_platform_spend_days_platform", "campaign_id", "platform", "day"),
)


@dataclass(frozen=True)
class FileFacts:
    """How the file was read, shown above the preview."""

    platform_label: str
    language: str
    encoding: str
    delimiter: str
    decimal_separator: str
    header_line: int
    missing_figures: tuple[str, ...] = ()
    """Figures the export had no column for; previews stored before this field have all."""


@dataclass(frozen=True)
class StoredImport:
    id: str
    tenant_id: str
    campaign_id: str
    platform: str
    language: str
    file_name: str
    status: str
    row_count: int
    error_count: int
    first_day: date | None
    last_day: date | None
    created_by: str
    created_at: datetime
    confirmed_by: str | None
    confirmed_at: datetime | None
    facts: FileFacts
    rows: tuple[RowResult, ...]
    days: tuple[VariantDay, ...]

    @property
    def importable(self) -> bool:
        return self.status == "pending" and self.error_count == 0 and bool(self.days)


# --- per-creative day totals --------------------------------------------------------


def upsert_spend_days(
    conn: Connection, campaign_id: str, days: Iterable[DailySpend], import_id: str
) -> None:
    """Store each day's figures; a re-import of the same day replaces it."""
    upsert(
        conn,
        spend_days,
        [
            {
                "campaign_id": campaign_id,
                "variant_id": day.variant_id,
                "day": day.day,
                "spend": day.spend,
                "impressions": day.impressions,
                "clicks": day.clicks,
                "import_id": import_id,
            }
            for day in days
        ],
        ("spend", "impressions", "clicks", "import_id"),
    )


def spend_days_of(conn: Connection, campaign_id: str) -> list[DailySpend]:
    rows = conn.execute(
        sa.select(spend_days)
        .where(spend_days.c.campaign_id == campaign_id)
        .order_by(spend_days.c.day, spend_days.c.variant_id)
    )
    return [
        DailySpend(
            variant_id=row.variant_id,
            day=_day(row.day),
            spend=Decimal(row.spend),
            impressions=row.impressions,
            clicks=row.clicks,
        )
        for row in rows
    ]


# --- pending imports -----------------------------------------------------------------


def add_import(
    conn: Connection,
    *,
    import_id: str,
    tenant_id: str,
    campaign_id: str,
    file_name: str,
    parsed: SpendExport,
    created_by: str,
    created_at: datetime,
) -> None:
    conn.execute(
        sa.insert(spend_imports).values(
            id=import_id,
            tenant_id=tenant_id,
            campaign_id=campaign_id,
            platform=parsed.platform,
            language=parsed.language,
            file_name=_printable(file_name)[:255] or "upload.csv",
            status="pending",
            row_count=len(parsed.rows),
            error_count=len(parsed.errors),
            first_day=parsed.first_day,
            last_day=parsed.last_day,
            preview={
                "facts": {
                    "platform_label": parsed.platform_label,
                    "language": parsed.language,
                    "encoding": parsed.encoding,
                    "delimiter": parsed.delimiter,
                    "decimal_separator": parsed.decimal_separator,
                    "header_line": parsed.header_line,
                    "missing_figures": list(parsed.missing_figures),
                },
                "rows": [_row_json(row) for row in parsed.rows],
            },
            days=[_day_json(day) for day in parsed.days],
            created_by=created_by,
            created_at=created_at,
        )
    )


def import_of_campaign(
    conn: Connection, *, tenant_id: str, campaign_id: str, import_id: str
) -> StoredImport | None:
    """One import of this tenant's campaign; another tenant's import is simply not found."""
    row = conn.execute(
        sa.select(spend_imports).where(
            spend_imports.c.id == import_id,
            spend_imports.c.tenant_id == tenant_id,
            spend_imports.c.campaign_id == campaign_id,
        )
    ).first()
    return _stored(row) if row else None


def imports_of_campaign(
    conn: Connection, *, tenant_id: str, campaign_id: str, limit: int = 20
) -> list[StoredImport]:
    rows = conn.execute(
        sa.select(spend_imports)
        .where(spend_imports.c.tenant_id == tenant_id, spend_imports.c.campaign_id == campaign_id)
        .order_by(spend_imports.c.created_at.desc(), spend_imports.c.id)
        .limit(limit)
    )
    return [_stored(row) for row in rows]


def lock_campaign_spend(conn: Connection, campaign_id: str) -> None:
    """Serialise spend writes per campaign until the transaction ends.

    Two overlapping imports confirmed at the same moment would otherwise both delete the
    period and both insert it (PostgreSQL: a duplicate key). ``FOR UPDATE`` on the
    campaign row makes the second wait for the first; SQLite's write transactions are
    serialised already (``BEGIN IMMEDIATE``) and ignore it.
    """
    conn.execute(sa.select(campaigns.c.id).where(campaigns.c.id == campaign_id).with_for_update())


def mark_confirmed(conn: Connection, import_id: str, *, by: str, at: datetime) -> bool:
    """Flip a pending import to confirmed; False when it was not pending (any more)."""
    result = conn.execute(
        sa.update(spend_imports)
        .where(spend_imports.c.id == import_id, spend_imports.c.status == "pending")
        .values(status="confirmed", confirmed_by=by, confirmed_at=at)
    )
    return result.rowcount == 1


# --- delivery per platform and the per-creative totals -------------------------------


def platform_days_in(
    conn: Connection, *, campaign_id: str, platform: str, first_day: date, last_day: date
) -> list[tuple[str, date]]:
    """The (creative, day) pairs this platform reported for the period so far."""
    rows = conn.execute(
        sa.select(platform_spend_days.c.variant_id, platform_spend_days.c.day).where(
            platform_spend_days.c.campaign_id == campaign_id,
            platform_spend_days.c.platform == platform,
            platform_spend_days.c.day.between(first_day, last_day),
        )
    )
    return [(row.variant_id, _day(row.day)) for row in rows]


def replace_platform_days(
    conn: Connection,
    *,
    campaign_id: str,
    platform: str,
    first_day: date,
    last_day: date,
    days: Sequence[VariantDay],
    import_id: str,
) -> None:
    """The platform's figures for the period become exactly ``days``."""
    conn.execute(
        sa.delete(platform_spend_days).where(
            platform_spend_days.c.campaign_id == campaign_id,
            platform_spend_days.c.platform == platform,
            platform_spend_days.c.day.between(first_day, last_day),
        )
    )
    if days:
        conn.execute(
            sa.insert(platform_spend_days),
            [
                {
                    "campaign_id": campaign_id,
                    "variant_id": day.variant_id,
                    "day": day.day,
                    "platform": platform,
                    "spend": day.spend,
                    "impressions": day.impressions,
                    "clicks": day.clicks,
                    "import_id": import_id,
                }
                for day in days
            ],
        )


def totals_over_platforms(
    conn: Connection, *, campaign_id: str, pairs: Iterable[tuple[str, date]]
) -> list[VariantDay]:
    """Each (creative, day)'s sum over every platform; zeros where none reported anything."""
    wanted = sorted(set(pairs))
    if not wanted:
        return []
    first = min(day for _, day in wanted)
    last = max(day for _, day in wanted)
    sums = {
        (row.variant_id, _day(row.day)): row
        for row in conn.execute(
            sa.select(
                platform_spend_days.c.variant_id,
                platform_spend_days.c.day,
                sa.func.sum(platform_spend_days.c.spend).label("spend"),
                sa.func.sum(platform_spend_days.c.impressions).label("impressions"),
                sa.func.sum(platform_spend_days.c.clicks).label("clicks"),
            )
            .where(
                platform_spend_days.c.campaign_id == campaign_id,
                platform_spend_days.c.day.between(first, last),
                platform_spend_days.c.variant_id.in_({v for v, _ in wanted}),
            )
            .group_by(platform_spend_days.c.variant_id, platform_spend_days.c.day)
        )
    }
    totals = []
    for variant_id, day in wanted:
        found = sums.get((variant_id, day))
        totals.append(
            VariantDay(
                variant_id=variant_id,
                day=day,
                spend=Decimal(found.spend).quantize(Decimal("0.01")) if found else Decimal("0.00"),
                impressions=int(found.impressions) if found else 0,
                clicks=int(found.clicks) if found else 0,
            )
        )
    return totals


def save_spend_totals(
    conn: Connection, *, campaign_id: str, totals: Sequence[VariantDay], import_id: str
) -> None:
    """Write each (creative, day)'s total into ``spend_days``; a day summing to nothing goes."""
    gone = [t for t in totals if not (t.spend or t.impressions or t.clicks)]
    if gone:
        conn.execute(
            sa.delete(spend_days).where(
                spend_days.c.campaign_id == sa.bindparam("b_campaign_id"),
                spend_days.c.variant_id == sa.bindparam("b_variant_id"),
                spend_days.c.day == sa.bindparam("b_day"),
            ),
            [
                {"b_campaign_id": campaign_id, "b_variant_id": t.variant_id, "b_day": t.day}
                for t in gone
            ],
        )
    upsert_spend_days(
        conn,
        campaign_id,
        [
            DailySpend(t.variant_id, t.day, t.spend, t.impressions, t.clicks)
            for t in totals
            if t.spend or t.impressions or t.clicks
        ],
        import_id,
    )


# --- JSON shapes of the stored preview -------------------------------------------------


def _row_json(row: RowResult) -> dict[str, Any]:
    return {
        "line": row.line,
        "ad_name": row.ad_name,
        "status": row.status,
        "message": row.message,
        "first_day": row.first_day.isoformat() if row.first_day else None,
        "last_day": row.last_day.isoformat() if row.last_day else None,
        "spend": str(row.spend) if row.spend is not None else None,
        "impressions": row.impressions,
        "clicks": row.clicks,
        "variant_id": row.variant_id,
        "creative_name": row.creative_name,
    }


def _row_of(data: dict[str, Any]) -> RowResult:
    return RowResult(
        line=int(data["line"]),
        ad_name=str(data["ad_name"]),
        status=data["status"],
        message=str(data["message"]),
        first_day=date.fromisoformat(data["first_day"]) if data["first_day"] else None,
        last_day=date.fromisoformat(data["last_day"]) if data["last_day"] else None,
        spend=Decimal(data["spend"]) if data["spend"] is not None else None,
        impressions=data["impressions"],
        clicks=data["clicks"],
        variant_id=data["variant_id"],
        creative_name=data["creative_name"],
    )


def _facts_of(data: dict[str, Any]) -> FileFacts:
    return FileFacts(**{**data, "missing_figures": tuple(data.get("missing_figures", ()))})


def _day_json(day: VariantDay) -> list[Any]:
    return [day.variant_id, day.day.isoformat(), str(day.spend), day.impressions, day.clicks]


def _day_of(data: list[Any]) -> VariantDay:
    variant_id, day, spend, impressions, clicks = data
    return VariantDay(
        variant_id=str(variant_id),
        day=date.fromisoformat(day),
        spend=Decimal(spend),
        impressions=int(impressions),
        clicks=int(clicks),
    )


def _stored(row: sa.Row[Any]) -> StoredImport:
    preview: dict[str, Any] = row.preview
    return StoredImport(
        id=row.id,
        tenant_id=row.tenant_id,
        campaign_id=row.campaign_id,
        platform=row.platform,
        language=row.language,
        file_name=row.file_name,
        status=row.status,
        row_count=row.row_count,
        error_count=row.error_count,
        first_day=_day(row.first_day) if row.first_day else None,
        last_day=_day(row.last_day) if row.last_day else None,
        created_by=row.created_by,
        created_at=row.created_at,
        confirmed_by=row.confirmed_by,
        confirmed_at=row.confirmed_at,
        facts=_facts_of(preview["facts"]),
        rows=tuple(_row_of(r) for r in preview["rows"]),
        days=tuple(_day_of(d) for d in row.days),
    )


def _printable(text: str) -> str:
    # A file name is the browser's to choose; PostgreSQL refuses NUL in text.
    return "".join(char for char in text if char.isprintable())


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
