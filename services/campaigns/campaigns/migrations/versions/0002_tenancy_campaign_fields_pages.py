"""Memberships and roles, API tokens, login throttling, campaign and creative fields,
published page versions, lifecycle draft -> live -> paused -> ended, audit log lookups.

A user no longer belongs to one tenant: an agency user holds a membership (with a role)
in every employer they serve, so ``users.tenant_id`` and ``users.role`` move into
``memberships`` (an old "editor" becomes a "marketer").

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ROLES = "'owner', 'marketer', 'recruiter', 'viewer'"


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # SQLite rebuilds a table to change it; while it does, rows of other tables
        # point at a table that is momentarily gone, so foreign keys are switched off
        # (only possible outside a transaction) and checked again at the end.
        _sqlite_foreign_keys(enabled=False)
    op.create_table(
        "memberships",
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"role IN ({ROLES})", name="ck_memberships_role"),
    )
    op.create_index("ix_memberships_tenant", "memberships", ["tenant_id"])
    op.execute(
        "INSERT INTO memberships (user_id, tenant_id, role, created_at) "
        "SELECT id, tenant_id, CASE role WHEN 'editor' THEN 'marketer' ELSE role END, "
        "created_at FROM users"
    )
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("ck_users_role", type_="check")
        batch.drop_column("role")
        batch.drop_column("tenant_id")
        batch.add_column(sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("token_prefix", sa.String(16), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"role IN ({ROLES})", name="ck_api_tokens_role"),
    )
    op.create_index("ix_api_tokens_tenant", "api_tokens", ["tenant_id"])

    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(400), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    )

    with op.batch_alter_table("campaigns", recreate="auto") as batch:
        batch.drop_constraint("ck_campaigns_status", type_="check")
    op.execute("UPDATE campaigns SET status = 'live' WHERE status = 'published'")
    with op.batch_alter_table("campaigns", recreate="auto") as batch:
        batch.create_check_constraint(
            "ck_campaigns_status", "status IN ('draft', 'live', 'paused', 'ended')"
        )
        batch.add_column(sa.Column("location", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("hours_min", sa.Integer, nullable=True))
        batch.add_column(sa.Column("hours_max", sa.Integer, nullable=True))
        batch.add_column(sa.Column("salary_min", sa.Numeric(12, 2), nullable=True))
        batch.add_column(sa.Column("salary_max", sa.Numeric(12, 2), nullable=True))
        batch.add_column(
            sa.Column("salary_period", sa.String(10), nullable=False, server_default="month")
        )
        batch.add_column(sa.Column("persona_drivers", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("persona_channels", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("persona_regions", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("starts_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("ends_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("guardrails", sa.JSON, nullable=True))
        batch.add_column(
            sa.Column("page_published", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE campaigns SET page_published = (page_version > 0)")

    with op.batch_alter_table("variants", recreate="auto") as batch:
        batch.drop_constraint("ck_variants_creative_format", type_="check")
        batch.create_check_constraint(
            "ck_variants_creative_format", "creative_format IN ('image', 'video', 'carousel')"
        )
        batch.add_column(sa.Column("body", sa.Text, nullable=False, server_default=""))
        batch.add_column(
            sa.Column("call_to_action", sa.String(100), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("media_url", sa.String(500), nullable=True))
        batch.add_column(
            sa.Column("employee_generated", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("tags", sa.JSON, nullable=True))
        batch.add_column(sa.Column("ad_key", sa.String(200), nullable=True))
        batch.add_column(
            sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "uq_variants_campaign_ad_key", "variants", ["campaign_id", "ad_key"], unique=True
    )

    op.create_table(
        "page_versions",
        sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(320), nullable=False),
    )
    op.create_index("ix_audit_log_object", "audit_log", ["tenant_id", "entity", "entity_id"])
    if sqlite:
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by revision 0002: {broken[:5]}")
        _sqlite_foreign_keys(enabled=True)


def _sqlite_foreign_keys(*, enabled: bool) -> None:
    """Switch SQLite's foreign-key enforcement, which it ignores inside a transaction.

    The migration runs in one transaction that the engine began explicitly, so the
    work so far is committed at the driver, the pragma set, and a transaction opened
    again for the rest (SQLite's DDL was never atomic across a revision anyway).
    """
    driver = op.get_bind().connection.dbapi_connection
    assert driver is not None
    reopen = bool(getattr(driver, "in_transaction", False))
    if reopen:
        driver.execute("COMMIT")
    driver.execute(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")
    if reopen:
        driver.execute("BEGIN")


def downgrade() -> None:
    # Memberships cannot be folded back into one tenant and role per user without
    # losing an agency user's other employers: restore a backup instead.
    raise NotImplementedError("revision 0002 is one-way; restore a backup to go back")
