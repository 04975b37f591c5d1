"""API tokens: drop ``last_used_at``, which nothing ever wrote or read.

Found by the test that compares each service's migrated database with its table
definitions (tests/integration/test_migrations_match_tables.py).

Revision ID: 0013_drop_token_last_used
Revises: 0005_security
Create Date: 2026-12-05

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0013_drop_token_last_used"
down_revision: str | None = "0005_security"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("last_used_at")


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
