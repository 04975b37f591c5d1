"""Unique visitors: a daily count per creative beside page views.

``weekly_funnel.unique_visitors`` counts each daily visitor key once per creative and
day; ``visitor_days`` keeps the keys of the last few days to tell a new one from a
repeat (landing's key is a salted hash that changes daily, so nothing older is needed).

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-05

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column(
        "weekly_funnel",
        sa.Column("unique_visitors", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "visitor_days",
        sa.Column("campaign_id", sa.String(64), primary_key=True),
        sa.Column("variant_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("visitor_key", sa.String(128), primary_key=True),
    )
    op.create_index("ix_visitor_days_day", "visitor_days", ["day"])


def downgrade() -> None:
    op.drop_index("ix_visitor_days_day", table_name="visitor_days")
    op.drop_table("visitor_days")
    op.drop_column("weekly_funnel", "unique_visitors")
