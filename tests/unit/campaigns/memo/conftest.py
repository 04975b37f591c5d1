"""The weekly memo is written in Dutch (its sentences come from ``campaigns.memo``, in
Dutch for every reader), so these tests read the console in Dutch: the demo's accounts
switch to it. The English of the memo page's own texts is checked with every other
screen in ``tests/unit/campaigns/test_console_languages.py``."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from campaigns.tenancy import repository as tenancy_repo
from koers.db import transaction


@pytest.fixture(autouse=True)
def _read_in_dutch(request: pytest.FixtureRequest) -> None:
    if "seeded" not in request.fixturenames:
        return
    request.getfixturevalue("seeded")
    engine = request.getfixturevalue("engine")
    with transaction(engine) as conn:
        conn.execute(sa.update(tenancy_repo.users).values(language="nl"))
