"""Follow-up: settings per employer (WhatsApp/e-mail message templates in Dutch and
English, the target time to first contact, the recruiters' time zone) and the next best
actions an employer dismissed per campaign, with the reason.

Revision ID: 0010_follow_up
Revises: 0006_memo
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_follow_up"
down_revision = "0006_memo"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_settings",
        sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("message_nl", sa.Text, nullable=False),
        sa.Column("message_en", sa.Text, nullable=False),
        sa.Column("target_hours", sa.Integer, nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(320), nullable=False),
    )
    op.create_table(
        "action_dismissals",
        sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
        sa.Column("action_key", sa.String(200), primary_key=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("dismissed_by", sa.String(320), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("action_dismissals")
    op.drop_table("contact_settings")
