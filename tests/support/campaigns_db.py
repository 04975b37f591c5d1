"""The campaigns service's tables and queries under one name, for tests that set data up
across features (a tenant, its users, a campaign, the outbox) in a few lines.

The service keeps them per feature (``campaigns.<feature>.repository``); this only
gathers them, so a test reads ``repo.add_tenant(...)`` and ``repo.campaigns`` alike.
"""

from campaigns.audit.repository import *  # noqa: F403
from campaigns.catalog.repository import *  # noqa: F403
from campaigns.decisions.repository import *  # noqa: F403
from campaigns.schema import *  # noqa: F403
from campaigns.spend.repository import *  # noqa: F403
from campaigns.tenancy.repository import *  # noqa: F403
