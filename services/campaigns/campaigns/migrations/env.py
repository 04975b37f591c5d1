from campaigns.repository import metadata
from koers.db import run_alembic_env

run_alembic_env(metadata)
