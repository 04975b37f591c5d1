"""Each service's migrations build exactly the tables its code defines.

The code reads and writes through SQLAlchemy table definitions; the database is built by
Alembic revisions written by hand. Autogenerate's comparison of the two, on a freshly
migrated database (SQLite, or PostgreSQL with KOERS_TEST_DATABASE_URL), must find nothing:
a column one side lacks is either dead or a crash waiting for its first query.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import analytics.main
import analytics.storage.schema
import campaigns.main
import campaigns.schema
import landing.db
import landing.main
from koers.db import migrate

pytestmark = pytest.mark.integration

# service: (the composition root, which imports every table and sits beside the
# migrations folder; the metadata's module)
SERVICES: dict[str, tuple[ModuleType, ModuleType]] = {
    "campaigns": (campaigns.main, campaigns.schema),
    "landing": (landing.main, landing.db),
    "analytics": (analytics.main, analytics.storage.schema),
}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_migrated_database_matches_the_table_definitions(
    service: str, make_database_url: Callable[[str], str]
) -> None:
    root, schema = SERVICES[service]
    assert root.__file__ is not None
    metadata: sa.MetaData = schema.metadata
    migrations = Path(root.__file__).parent / "migrations"
    url = make_database_url(service)
    migrate(url, migrations)

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert differences == []
