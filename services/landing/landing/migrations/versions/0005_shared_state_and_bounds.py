"""What lets several landing processes run side by side, and bounded messaging tables:
CVs in the database (``cv_files``), the shared form rate limit (``rate_buckets``), the
relay lease's fencing token, per-topic sent counts and the dedup-row age index (see
koers.messaging.schema).

Revision ID: 0005
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from koers.db import UtcDateTime
from koers.messaging.schema import add_fencing_and_bounds, drop_fencing_and_bounds

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_fencing_and_bounds(op)
    op.create_table(
        "cv_files",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("stored_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "rate_buckets",
        sa.Column("client", sa.String(64), primary_key=True),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("allowed", sa.Boolean, nullable=False),
    )
    op.create_index("ix_rate_buckets_updated_at", "rate_buckets", ["updated_at"])


def downgrade() -> None:
    op.drop_table("rate_buckets")
    op.drop_table("cv_files")
    drop_fencing_and_bounds(op)
