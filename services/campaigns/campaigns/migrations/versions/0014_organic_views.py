"""Organic views of employee-made creatives per ISO week, and the employer's CPM.

Revision ID: 0014_organic_views
Revises: 0013_drop_token_last_used
Create Date: 2026-12-05

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0014_organic_views"
down_revision: str | None = "0013_drop_token_last_used"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "organic_views",
        sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
        sa.Column("variant_id", sa.String(64), primary_key=True),
        sa.Column("week", sa.String(8), primary_key=True),
        sa.Column("views", sa.BigInteger, nullable=False),
        sa.Column("recorded_by", sa.String(320), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "organic_settings",
        sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("cpm_cents", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("organic_settings")
    op.drop_table("organic_views")
