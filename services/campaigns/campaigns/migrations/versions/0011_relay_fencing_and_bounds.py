"""The relay lease's fencing token, per-topic sent counts for an incremental broker
check, and the index that prunes old dedup rows (see koers.messaging.schema).

Revision ID: 0011
Revises: 0015_audience_choices
"""

from __future__ import annotations

from alembic import op

from koers.messaging.schema import add_fencing_and_bounds, drop_fencing_and_bounds

revision = "0011"
down_revision = "0015_audience_choices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_fencing_and_bounds(op)


def downgrade() -> None:
    drop_fencing_and_bounds(op)
