"""Alembic environment of the analytics database (online migrations only)."""

from analytics.repository import metadata
from koers.db import run_alembic_env

run_alembic_env(metadata)
