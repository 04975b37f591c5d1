"""Alembic environment of the analytics database (online migrations only)."""

from analytics.storage.schema import metadata
from koers.db import run_alembic_env

run_alembic_env(metadata)
