from koers.db import run_alembic_env
from landing.contacts import repository as contacts  # noqa: F401 - defines its tables on metadata
from landing.db import metadata
from landing.pages import repository as pages  # noqa: F401 - defines its tables on metadata
from landing.privacy import repository as privacy  # noqa: F401
from landing.submissions import repository as submissions  # noqa: F401

run_alembic_env(metadata)
