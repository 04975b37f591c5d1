"""The analytics tables (SQLAlchemy Core), as the migrations under ``migrations/`` build them.

One schema for the whole service, because it has one database and one migration history;
each feature's ``repository`` reads and writes its own tables here. Timestamps are
:class:`~koers.db.UtcDateTime`: aware UTC on the way out, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import sqlalchemy as sa

from analytics.facts.domain import FUNNEL_COUNTERS
from koers.db import UtcDateTime, migrate
from koers.messaging.schema import add_messaging_tables

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

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
    sa.Column("guardrails", sa.JSON, nullable=True),  # koers.events.Guardrails as JSON
    sa.Column("starts_on", sa.Date, nullable=True),
    sa.Column("ends_on", sa.Date, nullable=True),
)
sa.Index("ix_campaigns_tenant", campaigns_table.c.tenant_id, campaigns_table.c.campaign_id)

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
    sa.Column("hook", sa.String(300), nullable=False, server_default=""),
    sa.Column("employee_generated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("tags", sa.JSON, nullable=False, server_default="[]"),
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

# The daily visitor keys seen per creative, kept a few days only: enough to count each
# visitor once a day (``weekly_funnel.unique_visitors``). The key is landing's salted
# daily hash, which changes every day, so older days can never match again.
visitor_days_table = sa.Table(
    "visitor_days",
    metadata,
    sa.Column("campaign_id", sa.String(64), primary_key=True),
    sa.Column("variant_id", sa.String(64), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("visitor_key", sa.String(128), primary_key=True),
)
sa.Index("ix_visitor_days_day", visitor_days_table.c.day)

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

# One proposal per campaign and ISO week; recomputing with changed facts bumps ``version``.
allocations_table = sa.Table(
    "allocations",
    metadata,
    sa.Column("campaign_id", sa.String(64), primary_key=True),
    sa.Column("iso_week", sa.String(8), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # proposed | approved | rejected
    sa.Column("budget", sa.Numeric(12, 2), nullable=False),
    sa.Column("conversion", sa.String(20), nullable=False),  # the funnel counter counted
    sa.Column("inputs_fingerprint", sa.String(64), nullable=False),
    sa.Column("request", sa.JSON, nullable=False),  # the AllocationRequest sent
    sa.Column("response", sa.JSON, nullable=False),  # the AllocationResponse received
    sa.Column("basis", sa.JSON, nullable=True),  # how slow goals were stood in for
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("proposed_at", UtcDateTime, nullable=False),
    sa.Column("decided_at", UtcDateTime, nullable=True),
    sa.Column("decided_by", sa.String(200), nullable=True),
    sa.Column("decision_note", sa.String(2000), nullable=True),
)
sa.Index(
    "ix_allocations_status",
    allocations_table.c.campaign_id,
    allocations_table.c.status,
    allocations_table.c.iso_week,
)

# A counter per campaign and kind of fact, bumped in the transaction of every write to
# those facts (migration 0003): what the read side derives from them is kept until one
# of these moves. One row per kind, so writers of different kinds never share a row lock.
fact_versions_table = sa.Table(
    "fact_versions",
    metadata,
    sa.Column("campaign_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)
FactKind = Literal["counters", "delivery", "state", "allocations"]

add_messaging_tables(metadata)  # outbox, relay lease, topic counts, processed events


def migrate_database(database_url: str) -> None:
    """Bring the analytics database to the newest schema."""
    migrate(database_url, MIGRATIONS_DIR)
