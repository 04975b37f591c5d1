"""The weekly loop closed: decisions on proposals, push times, ad-platform ids of creatives,
push results, bulk files and the tenants' (encrypted) ad-platform tokens.

Revision ID: 0004_decisions
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_decisions"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "allocation_decisions",
        sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
        sa.Column("week", sa.String(8), primary_key=True),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("amounts", sa.JSON, nullable=False),
        sa.Column("proposed", sa.JSON, nullable=False),
        sa.Column("edited", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("decided_by", sa.String(320), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("reasons", sa.JSON, nullable=True),
        sa.Column("proposal_version", sa.Integer, nullable=True),
        sa.CheckConstraint(
            "status IN ('approved', 'autopilot', 'rejected', 'held')",
            name="ck_allocation_decisions_status",
        ),
    )
    op.create_index(
        "ix_allocation_decisions_tenant_week", "allocation_decisions", ["tenant_id", "week"]
    )
    op.create_table(
        "campaign_push_times",
        sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
        sa.Column("weekday", sa.Integer, nullable=False),
        sa.Column("at_time", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
    )
    op.create_table(
        "creative_platform_ids",
        sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
        sa.Column("variant_id", sa.String(64), primary_key=True),
        sa.Column("platform_campaign_id", sa.String(64), nullable=True),
        sa.Column("ad_set_id", sa.String(64), nullable=True),
        sa.Column("ad_id", sa.String(64), nullable=True),
        sa.Column("platform_campaign_name", sa.String(200), nullable=True),
    )
    op.create_table(
        "delivery_pushes",
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
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('push', 'dry_run')", name="ck_delivery_pushes_kind"),
    )
    op.create_index("ix_delivery_pushes_campaign_week", "delivery_pushes", ["campaign_id", "week"])
    op.create_table(
        "delivery_files",
        sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
        sa.Column("week", sa.String(8), primary_key=True),
        sa.Column("platform", sa.String(20), primary_key=True),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "delivery_credentials",
        sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("platform", sa.String(20), primary_key=True),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
        sa.Column("masked", sa.String(20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("delivery_credentials")
    op.drop_table("delivery_files")
    op.drop_index("ix_delivery_pushes_campaign_week", table_name="delivery_pushes")
    op.drop_table("delivery_pushes")
    op.drop_table("creative_platform_ids")
    op.drop_table("campaign_push_times")
    op.drop_index("ix_allocation_decisions_tenant_week", table_name="allocation_decisions")
    op.drop_table("allocation_decisions")
