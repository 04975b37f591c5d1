"""Applications with CVs, the language and quiz of a lead, and what retention needs:
status changes, the end of a procedure, consent expiry and withdrawal.

Revision ID: 0002
Revises: 0001
Create Date: 2025-03-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("language", sa.String(2), nullable=False, server_default="nl"))
        batch.add_column(sa.Column("quiz_result_id", sa.Uuid, nullable=True))
        batch.add_column(
            sa.Column("talent_pool", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("keep_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("procedure_ended_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("consent_withdrawn_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_index("ix_leads_tenant_campaign", "leads", ["tenant_id", "campaign_id", "created_at"])
    op.create_table(
        "applications",
        sa.Column(
            "lead_id",
            sa.Uuid,
            sa.ForeignKey("leads.lead_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("cv_file", sa.String(64), nullable=True),
        sa.Column("cv_filename", sa.String(255), nullable=True),
        sa.Column("cv_kind", sa.String(8), nullable=True),
        sa.Column("cv_bytes", sa.Integer, nullable=True),
        sa.Column("motivation", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("applications")
    op.drop_index("ix_leads_tenant_campaign", table_name="leads")
    with op.batch_alter_table("leads") as batch:
        for column in (
            "consent_withdrawn_at",
            "procedure_ended_at",
            "status_changed_at",
            "keep_until",
            "talent_pool",
            "quiz_result_id",
            "language",
        ):
            batch.drop_column(column)
