"""Creative attributes, campaign guardrails and flight dates, and allocation proposals.

The insights need each variant's creative attributes (hook, employee-generated, tags);
the weekly proposal needs the campaign's guardrails; the data-health checks compare
delivered spend with the last approved allocation, which lives in ``allocations``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("guardrails", sa.JSON, nullable=True))
        batch.add_column(sa.Column("starts_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("ends_on", sa.Date, nullable=True))
    with op.batch_alter_table("variants") as batch:
        batch.add_column(sa.Column("hook", sa.String(300), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("employee_generated", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("tags", sa.JSON, nullable=False, server_default="[]"))
    op.create_table(
        "allocations",
        sa.Column("campaign_id", sa.String(64), primary_key=True),
        sa.Column("iso_week", sa.String(8), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("budget", sa.Numeric(12, 2), nullable=False),
        sa.Column("conversion", sa.String(20), nullable=False),
        sa.Column("inputs_fingerprint", sa.String(64), nullable=False),
        sa.Column("request", sa.JSON, nullable=False),
        sa.Column("response", sa.JSON, nullable=False),
        sa.Column("basis", sa.JSON, nullable=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decision_note", sa.String(2000), nullable=True),
    )
    op.create_index("ix_allocations_status", "allocations", ["campaign_id", "status", "iso_week"])


def downgrade() -> None:
    op.drop_index("ix_allocations_status", table_name="allocations")
    op.drop_table("allocations")
    with op.batch_alter_table("variants") as batch:
        for column in ("tags", "employee_generated", "hook"):
            batch.drop_column(column)
    with op.batch_alter_table("campaigns") as batch:
        for column in ("ends_on", "starts_on", "guardrails"):
            batch.drop_column(column)
