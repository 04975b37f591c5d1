"""Analytics persistence: SQLAlchemy Core tables, upserts and the funnel queries.

Every write here runs inside the caller's transaction (the consumer's, with its dedup
record), so an event's effect and the note that it was applied commit together.
Upserts are ``INSERT ... ON CONFLICT DO UPDATE`` in the database's own dialect: a
counter increment is one atomic statement, correct under concurrent consumers on
PostgreSQL as on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from analytics.domain import FUNNEL_COUNTERS, CounterRow, DeliveryDay
from koers.db import migrate
from koers.messaging.schema import add_messaging_tables

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

metadata = sa.MetaData()

campaigns_table = sa.Table(
    "campaigns",
    metadata,
    sa.Column("campaign_id", sa.String(64), primary_key=True),
    sa.Column("tenant_id", sa.String(64), nullable=False),
    sa.Column("slug", sa.String(80), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("goal", sa.String(20), nullable=False),
    sa.Column("weekly_budget", sa.Numeric(12, 2), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
)

# No foreign keys to campaigns: facts may arrive before (or without) the campaign state.
variants_table = sa.Table(
    "variants",
    metadata,
    sa.Column("campaign_id", sa.String(64), primary_key=True),
    sa.Column("variant_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("creative_format", sa.String(10), nullable=False),
    sa.Column("live", sa.Boolean, nullable=False),
)

weekly_funnel_table = sa.Table(
    "weekly_funnel",
    metadata,
    sa.Column("campaign_id", sa.String(64), primary_key=True),
    sa.Column("variant_id", sa.String(64), primary_key=True),
    sa.Column("iso_week", sa.String(8), primary_key=True),
    *(
        sa.Column(name, sa.Integer, nullable=False, default=0, server_default="0")
        for name in FUNNEL_COUNTERS
    ),
)

daily_delivery_table = sa.Table(
    "daily_delivery",
    metadata,
    sa.Column("campaign_id", sa.String(64), primary_key=True),
    sa.Column("variant_id", sa.String(64), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("spend", sa.Numeric(12, 2), nullable=False),
    sa.Column("impressions", sa.BigInteger, nullable=False),
    sa.Column("clicks", sa.BigInteger, nullable=False),
    sa.Column("import_id", sa.String(64), nullable=False),
)

add_messaging_tables(metadata)  # outbox, relay lease, processed events: created in 0001


def migrate_database(database_url: str) -> None:
    """Bring the analytics database to the newest schema."""
    migrate(database_url, MIGRATIONS_DIR)


# --- writes ---------------------------------------------------------------------------

InsertStatement = sqlite.Insert | postgresql.Insert


def _upsert(
    conn: Connection,
    table: sa.Table,
    values: Mapping[str, Any],
    set_on_conflict: Callable[[Any], Mapping[str, Any]],
) -> None:
    """Insert a row, or on a primary-key conflict update it with ``set_on_conflict``.

    ``set_on_conflict`` receives the statement's ``excluded`` pseudo-table (the row that
    was refused) and returns column -> new value.
    """
    dialect = conn.dialect.name
    statement: InsertStatement
    if dialect == "sqlite":
        statement = sqlite.insert(table).values(**values)
    elif dialect == "postgresql":
        statement = postgresql.insert(table).values(**values)
    else:
        raise RuntimeError(f"analytics supports SQLite and PostgreSQL, not {dialect}")
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=list(table.primary_key.columns),
            set_=dict(set_on_conflict(statement.excluded)),
        )
    )


def increment_funnel_counters(
    conn: Connection, *, campaign_id: str, variant_id: str, week: str, counters: Sequence[str]
) -> None:
    """Add one to each named counter of a variant's ISO week (creating the row at zero)."""
    if not counters:
        return
    unknown = set(counters) - set(FUNNEL_COUNTERS)
    if unknown:
        raise ValueError(f"not funnel counters: {sorted(unknown)}")
    table = weekly_funnel_table
    _upsert(
        conn,
        table,
        {
            "campaign_id": campaign_id,
            "variant_id": variant_id,
            "iso_week": week,
            **{name: counters.count(name) for name in FUNNEL_COUNTERS},
        },
        lambda refused: {name: table.c[name] + refused[name] for name in set(counters)},
    )


def record_delivery_day(
    conn: Connection,
    *,
    campaign_id: str,
    variant_id: str,
    day: date,
    spend: Decimal,
    impressions: int,
    clicks: int,
    import_id: str,
) -> None:
    """Store a variant's delivery on a day; a re-import of that day replaces it."""
    row = {"spend": spend, "impressions": impressions, "clicks": clicks, "import_id": import_id}
    _upsert(
        conn,
        daily_delivery_table,
        {"campaign_id": campaign_id, "variant_id": variant_id, "day": day, **row},
        lambda refused: {name: refused[name] for name in row},
    )


def save_campaign(
    conn: Connection,
    *,
    campaign_id: str,
    tenant_id: str,
    slug: str,
    name: str,
    goal: str,
    weekly_budget: Decimal,
    status: str,
) -> None:
    row = {
        "tenant_id": tenant_id,
        "slug": slug,
        "name": name,
        "goal": goal,
        "weekly_budget": weekly_budget,
        "status": status,
    }
    _upsert(
        conn,
        campaigns_table,
        {"campaign_id": campaign_id, **row},
        lambda refused: {column: refused[column] for column in row},
    )


def save_variant(
    conn: Connection,
    *,
    campaign_id: str,
    variant_id: str,
    name: str,
    channel: str,
    creative_format: str,
    live: bool,
) -> None:
    row = {"name": name, "channel": channel, "creative_format": creative_format, "live": live}
    _upsert(
        conn,
        variants_table,
        {"campaign_id": campaign_id, "variant_id": variant_id, **row},
        lambda refused: {column: refused[column] for column in row},
    )


def retire_variants_except(conn: Connection, campaign_id: str, keep: Sequence[str]) -> None:
    """Mark not live every variant of a campaign that is not in ``keep``."""
    conn.execute(
        sa.update(variants_table)
        .where(variants_table.c.campaign_id == campaign_id)
        .where(variants_table.c.variant_id.not_in(keep))
        .values(live=False)
    )


def set_campaign_status(conn: Connection, campaign_id: str, status: str) -> bool:
    """Change a known campaign's status; False when analytics has no state for it."""
    result = conn.execute(
        sa.update(campaigns_table)
        .where(campaigns_table.c.campaign_id == campaign_id)
        .values(status=status)
    )
    return result.rowcount > 0


# --- reads ----------------------------------------------------------------------------


def campaign_is_known(conn: Connection, campaign_id: str) -> bool:
    """True when analytics has the campaign's state or any fact about it."""
    known = sa.select(
        sa.or_(
            *(
                sa.exists().where(table.c.campaign_id == campaign_id)
                for table in (campaigns_table, weekly_funnel_table, daily_delivery_table)
            )
        )
    )
    return bool(conn.scalar(known))


def known_variant_ids(conn: Connection, campaign_id: str) -> list[str]:
    """Variants from the campaign state or with any fact, in any week."""
    known = sa.union(
        *(
            sa.select(table.c.variant_id).where(table.c.campaign_id == campaign_id)
            for table in (variants_table, weekly_funnel_table, daily_delivery_table)
        )
    )
    return list(conn.scalars(known))


def funnel_counter_rows(
    conn: Connection, campaign_id: str, week: str | None = None
) -> list[CounterRow]:
    """The weekly_funnel rows of a campaign, optionally of one ISO week."""
    table = weekly_funnel_table
    query = sa.select(table).where(table.c.campaign_id == campaign_id)
    if week is not None:
        query = query.where(table.c.iso_week == week)
    return [
        CounterRow(
            variant_id=row.variant_id,
            week=row.iso_week,
            counters={name: row._mapping[name] for name in FUNNEL_COUNTERS},
        )
        for row in conn.execute(query)
    ]


def delivery_days(
    conn: Connection, campaign_id: str, first: date | None = None, last: date | None = None
) -> list[DeliveryDay]:
    """The daily_delivery rows of a campaign, optionally between two days inclusive."""
    table = daily_delivery_table
    query = sa.select(table).where(table.c.campaign_id == campaign_id)
    if first is not None:
        query = query.where(table.c.day >= first)
    if last is not None:
        query = query.where(table.c.day <= last)
    return [
        DeliveryDay(
            variant_id=row.variant_id,
            day=row.day,
            spend=Decimal(row.spend),
            impressions=row.impressions,
            clicks=row.clicks,
        )
        for row in conn.execute(query)
    ]
