"""Campaigns: structured audience choices (segments, regions, channels) beside the notes.

Revision ID: 0015_audience_choices
Revises: 0009_employer_names
Create Date: 2026-12-05

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0015_audience_choices"
down_revision: str | None = "0009_employer_names"
branch_labels: str | None = None
depends_on: str | None = None

COLUMNS = ("audience_segments", "target_regions", "target_channels")


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
