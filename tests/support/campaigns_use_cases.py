"""The campaigns service's use cases under one name, for tests that set a scene up across
features (a user, a campaign, a publication) in a few lines.

The service keeps them per feature (``campaigns.<feature>.service``); this only gathers
them, so a test reads ``service_layer.create_user(...)`` and
``service_layer.publish(...)`` alike.
"""

from campaigns.catalog.service import *  # noqa: F403
from campaigns.spend.service import *  # noqa: F403
from campaigns.tenancy.service import *  # noqa: F403
