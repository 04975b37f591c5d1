"""Benchmarks across employers: who takes part (and its sector), and the published cells.

Revision ID: 0016_benchmarks
Revises: 0012_user_language
Create Date: 2026-12-05

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0016_benchmarks"
down_revision: str | None = "0012_user_language"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "benchmark_participation",
        sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("opted_in", sa.Boolean, nullable=False),
        sa.Column("sector", sa.String(20), nullable=True),
        sa.Column("changed_by", sa.String(320), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "benchmark_cells",
        sa.Column("metric", sa.String(32), primary_key=True),
        sa.Column("sector", sa.String(20), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("employers", sa.Integer, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("low", sa.Float, nullable=False),
        sa.Column("high", sa.Float, nullable=False),
        sa.Column("weeks_from", sa.String(8), nullable=False),
        sa.Column("weeks_to", sa.String(8), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("benchmark_cells")
    op.drop_table("benchmark_participation")
