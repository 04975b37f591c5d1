"""Employer names are no longer unique across Koers.

An agency creates employers itself now. A name unique over every tenant would tell
anyone who tries a name whether that employer works with Koers (and let one agency
squat another's client's name); names are kept distinct only among one person's own
employers, in the use case that creates them. An index keeps lookups by name quick.

Revision ID: 0009_employer_names
Revises: 0014_organic_views
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_employer_names"
down_revision = "0014_organic_views"
branch_labels = None
depends_on = None


def _tenants_without_unique_name() -> sa.Table:
    return sa.Table(
        "tenants",
        sa.MetaData(),
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
    )


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # SQLite cannot drop the unnamed inline UNIQUE: the table is rebuilt from a
        # definition without it. Other tables point at ``tenants`` meanwhile, so foreign
        # keys are off for the rebuild and checked again after it.
        _sqlite_foreign_keys(enabled=False)
        with op.batch_alter_table(
            "tenants", recreate="always", copy_from=_tenants_without_unique_name()
        ):
            pass
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by revision 0009: {broken[:5]}")
        _sqlite_foreign_keys(enabled=True)
    else:
        for constraint in sa.inspect(bind).get_unique_constraints("tenants"):
            if constraint["column_names"] == ["name"] and constraint["name"]:
                op.drop_constraint(constraint["name"], "tenants", type_="unique")
    op.create_index("ix_tenants_name", "tenants", ["name"])


def downgrade() -> None:
    op.drop_index("ix_tenants_name", table_name="tenants")
    # Fails when two employers share a name: rename one first.
    with op.batch_alter_table("tenants") as batch:
        batch.create_unique_constraint("uq_tenants_name", ["name"])


def _sqlite_foreign_keys(*, enabled: bool) -> None:
    """Switch SQLite's foreign-key enforcement, which it ignores inside a transaction
    (as revision 0002 does: commit at the driver, set the pragma, begin again)."""
    driver = op.get_bind().connection.dbapi_connection
    assert driver is not None
    reopen = bool(getattr(driver, "in_transaction", False))
    if reopen:
        driver.execute("COMMIT")
    driver.execute(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")
    if reopen:
        driver.execute("BEGIN")
