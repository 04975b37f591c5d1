"""The "reached" counter: candidates who answered a first contact (``LeadReplied``),
attributed to the week of their visit, so "reached" can be a campaign's goal.

Revision ID: 0005
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("weekly_funnel") as batch:
        batch.add_column(sa.Column("reached", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("weekly_funnel") as batch:
        batch.drop_column("reached")
