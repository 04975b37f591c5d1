"""Spend imports: uploaded exports waiting for confirmation, and delivery per platform.

``spend_imports`` keeps each upload's checked preview (rows, errors and the figures per
creative per day), so confirming needs no second upload. ``platform_spend_days`` keeps
what each ad platform reported per creative per day: re-importing a period for one
platform replaces that platform's days only, and ``spend_days`` (what analytics is told)
holds their sum.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spend_imports",
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
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by", sa.String(320), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'confirmed')", name="ck_spend_imports_status"),
    )
    op.create_index(
        "ix_spend_imports_campaign", "spend_imports", ["tenant_id", "campaign_id", "created_at"]
    )
    op.create_table(
        "platform_spend_days",
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
    )
    op.create_index(
        "ix_platform_spend_days_platform",
        "platform_spend_days",
        ["campaign_id", "platform", "day"],
    )


def downgrade() -> None:
    op.drop_index("ix_platform_spend_days_platform", "platform_spend_days")
    op.drop_table("platform_spend_days")
    op.drop_index("ix_spend_imports_campaign", "spend_imports")
    op.drop_table("spend_imports")
