"""Initial analytics schema: campaign state, weekly funnel, daily delivery, messaging.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from koers.messaging.schema import create_messaging_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# A frozen copy of analytics.facts.domain.FUNNEL_COUNTERS: a migration must not change later.
FUNNEL_COUNTERS = (
    "visits",
    "quiz_starts",
    "lead_starts",
    "apply_starts",
    "quiz_completions",
    "qualified_quiz",
    "leads",
    "applications",
    "interviews",
    "hires",
)


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("campaign_id", sa.String(64), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("slug", sa.String(80), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("goal", sa.String(20), nullable=False),
        sa.Column("weekly_budget", sa.Numeric(12, 2), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
    )
    op.create_table(
        "variants",
        sa.Column("campaign_id", sa.String(64), primary_key=True),
        sa.Column("variant_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("creative_format", sa.String(10), nullable=False),
        sa.Column("live", sa.Boolean, nullable=False),
    )
    op.create_table(
        "weekly_funnel",
        sa.Column("campaign_id", sa.String(64), primary_key=True),
        sa.Column("variant_id", sa.String(64), primary_key=True),
        sa.Column("iso_week", sa.String(8), primary_key=True),
        *(
            sa.Column(name, sa.Integer, nullable=False, server_default="0")
            for name in FUNNEL_COUNTERS
        ),
    )
    op.create_table(
        "daily_delivery",
        sa.Column("campaign_id", sa.String(64), primary_key=True),
        sa.Column("variant_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("spend", sa.Numeric(12, 2), nullable=False),
        sa.Column("impressions", sa.BigInteger, nullable=False),
        sa.Column("clicks", sa.BigInteger, nullable=False),
        sa.Column("import_id", sa.String(64), nullable=False),
    )
    create_messaging_tables(op)


def downgrade() -> None:
    for table in ("processed_events", "relay_lease", "outbox"):
        op.drop_table(table)
    for table in ("daily_delivery", "weekly_funnel", "variants", "campaigns"):
        op.drop_table(table)
