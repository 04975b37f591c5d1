"""Fact versions: a counter per campaign and kind of fact, bumped with every write.

The read side keeps what it derives from a campaign's facts (the funnel, the attribute
model) and must know when that has gone stale. Each writer bumps its campaign's counter
in the transaction that changes the facts, so a reader compares a few integers instead
of reading a year of facts again. One row per kind of fact (candidate counters,
delivery, campaign state, allocations), so consumers of different topics never wait on
each other's row. Also an index for the tenant's campaigns, which insights across a
tenant and the catalogue look up.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "fact_versions",
        sa.Column("campaign_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_campaigns_tenant", "campaigns", ["tenant_id", "campaign_id"])


def downgrade() -> None:
    op.drop_index("ix_campaigns_tenant", table_name="campaigns")
    op.drop_table("fact_versions")
