"""Security: invitations, session versions, server-side flash messages, campaign versions.

- ``invitations``: membership is offered, not imposed; the invitee accepts with a
  one-time token of which only the sha256 is kept.
- ``users.session_version``: every session carries the version it began under; logging
  out, changing the password or losing a membership bumps it, which ends every copy.
- ``flash_messages``: one-time messages stay on the server; the session cookie only
  carries their random ids, so nothing personal travels in it.
- ``campaigns.version``: each write of a campaign is conditional on the version it was
  read at, so two concurrent writers never silently undo each other.

Revision ID: 0005_security
Revises: 0004_decisions
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_security"
down_revision = "0004_decisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("session_version", sa.Integer, nullable=False, server_default="0")
        )
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))
    op.create_table(
        "invitations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("invited_by", sa.String(320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.String(36), sa.ForeignKey("users.id"), nullable=True),
        sa.CheckConstraint(
            "role IN ('owner', 'marketer', 'recruiter', 'viewer')", name="ck_invitations_role"
        ),
        sa.Index("ix_invitations_tenant", "tenant_id"),
    )
    op.create_table(
        "flash_messages",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_flash_messages_created", "created_at"),
    )


def downgrade() -> None:
    op.drop_table("flash_messages")
    op.drop_table("invitations")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("version")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
