"""The campaigns service's use cases under one name, for tests that set a scene up across
features (a user, a campaign, a publication) in a few lines.

The service keeps them per feature (``campaigns.<feature>.service``); this only gathers
them, so a test reads ``service_layer.create_user(...)`` and
``service_layer.publish(...)`` alike.

Users made here have cheap password hashes (``tests/support/passwords.py``) and read
the console in English unless a test asks for Dutch: the tests
look for the English texts, and Dutch is checked on its own
(``tests/unit/campaigns/test_console_languages.py``). The product's default for a new
account is Dutch.
"""

from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import Connection

from campaigns.catalog.service import *  # noqa: F403
from campaigns.spend.service import *  # noqa: F403
from campaigns.tenancy import service as _tenancy
from campaigns.tenancy.service import *  # noqa: F403
from campaigns.web.i18n import Language
from tests.support.passwords import FAST_PASSWORD_HASHER


# The service's own, with the tests' language.
def create_user(
    conn: Connection,
    *,
    tenant_id: str,
    email: str,
    password: str,
    role: str,
    now: datetime,
    language: Language = "en",
    password_hasher: PasswordHasher = FAST_PASSWORD_HASHER,
) -> str:
    return _tenancy.create_user(
        conn,
        tenant_id=tenant_id,
        email=email,
        password=password,
        role=role,
        now=now,
        language=language,
        password_hasher=password_hasher,
    )
