from campaigns.schema import full_metadata
from koers.db import run_alembic_env

run_alembic_env(full_metadata())
