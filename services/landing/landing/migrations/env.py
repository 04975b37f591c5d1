from koers.db import run_alembic_env
from landing.repository import metadata

run_alembic_env(metadata)
