"""The console's language per user: ``users.language`` ('nl' or 'en', Dutch by default).

Accounts that exist before this revision read the console in Dutch too, as the marketers
do; each can switch in the navigation.

Revision ID: 0012_user_language
Revises: 0010_follow_up
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_user_language"
down_revision = "0010_follow_up"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # In place, with the check on the column: a batch rebuild of ``users`` drops the
        # table that memberships, tokens and invitations point at, which SQLite's
        # foreign keys refuse once accounts exist.
        op.execute(
            "ALTER TABLE users ADD COLUMN language VARCHAR(5) DEFAULT 'nl' NOT NULL "
            "CONSTRAINT ck_users_language CHECK (language IN ('nl', 'en'))"
        )
        return
    op.add_column("users", sa.Column("language", sa.String(5), nullable=False, server_default="nl"))
    op.create_check_constraint("ck_users_language", "users", "language IN ('nl', 'en')")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("ck_users_language", type_="check")
        batch.drop_column("language")
