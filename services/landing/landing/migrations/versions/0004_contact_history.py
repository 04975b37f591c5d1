"""Contact history: attempts to reach a candidate and their replies (channel and moment,
no message text), deleted with the lead.

Revision ID: 0004
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lead_contacts",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "lead_id",
            sa.Uuid,
            sa.ForeignKey("leads.lead_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recruiter_id", sa.String(64), nullable=False),
    )
    op.create_index("ix_lead_contacts_lead", "lead_contacts", ["lead_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_lead_contacts_lead", table_name="lead_contacts")
    op.drop_table("lead_contacts")
