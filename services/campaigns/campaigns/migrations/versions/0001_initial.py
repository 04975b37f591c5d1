"""Tenants, users, campaigns, variants, spend, allocation proposals, audit log, messaging.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from koers.messaging.schema import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('owner', 'editor', 'viewer')", name="ck_users_role"),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("slug", sa.String(80), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("vacancy_title", sa.String(200), nullable=False),
        sa.Column("goal", sa.String(30), nullable=False),
        sa.Column("weekly_budget", sa.Numeric(12, 2), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("page", sa.JSON, nullable=False),
        sa.Column("page_version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'paused')", name="ck_campaigns_status"
        ),
    )
    op.create_index("ix_campaigns_tenant", "campaigns", ["tenant_id"])
    op.create_table(
        "variants",
        sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
        sa.Column("variant_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(30), nullable=False),
        sa.Column("creative_format", sa.String(10), nullable=False),
        sa.Column("hook", sa.String(300), nullable=False),
        sa.Column("live", sa.Boolean, nullable=False),
        sa.CheckConstraint(
            "creative_format IN ('image', 'video')", name="ck_variants_creative_format"
        ),
    )
    op.create_table(
        "spend_days",
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
    op.create_table(
        "allocation_proposals",
        sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
        sa.Column("week", sa.String(8), primary_key=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("before", sa.JSON, nullable=True),
        sa.Column("after", sa.JSON, nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_audit_log_tenant_at", "audit_log", ["tenant_id", "at"])
    create_messaging_tables(op)


def downgrade() -> None:
    op.drop_table("processed_events")
    op.drop_table("relay_lease")
    op.drop_index("ix_outbox_unsent", "outbox")
    op.drop_table("outbox")
    op.drop_index("ix_audit_log_tenant_at", "audit_log")
    op.drop_table("audit_log")
    op.drop_table("allocation_proposals")
    op.drop_table("spend_days")
    op.drop_table("variants")
    op.drop_index("ix_campaigns_tenant", "campaigns")
    op.drop_table("campaigns")
    op.drop_table("users")
    op.drop_table("tenants")
