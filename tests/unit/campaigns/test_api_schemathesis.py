"""Schemathesis against the campaigns OpenAPI document: whatever a client sends that the
document allows (and much that it does not), the API answers without a server error.

Every operation runs on a freshly seeded database, called with an owner's API token.
Path parameters naming the demo campaign and its creatives are pinned to real ones half
of the time, so generated bodies reach the real rules instead of stopping at a 404.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from campaigns_testkit import NOW
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from sqlalchemy import Engine

from campaigns.config import Settings
from campaigns.demo import DEMO_SLUG, DEMO_TENANT
from campaigns.main import create_app
from campaigns.seed import SeedResult
from campaigns.tenancy import repository as repo
from koers.db import transaction
from tests.support import campaigns_use_cases as service_layer
from tests.support.passwords import FAST_PASSWORD_HASHER

pytestmark = pytest.mark.unit

REAL_OBJECTS = {"slug": DEMO_SLUG, "variant_id": "instagram"}


@pytest.fixture
def owner_token(engine: Engine, seeded: SeedResult) -> str:
    with transaction(engine) as conn:
        tenant_id = repo.tenant_id_by_name(conn, DEMO_TENANT)
        assert tenant_id is not None
        _, secret = service_layer.create_api_token(
            conn, tenant_id=tenant_id, name="fuzz", role="owner", actor="test", now=NOW
        )
    return secret


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_never_answers_with_a_server_error(
    settings: Settings, owner_token: str, mode: GenerationMode
) -> None:
    app = create_app(
        settings.model_copy(update={"analytics_url": "http://127.0.0.1:1"}),
        password_hasher=FAST_PASSWORD_HASHER,
    )
    seen: set[str] = set()
    with TestClient(app):  # the lifespan runs around every call below
        schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(
            path_regex="^/api/v1/"
        )

        @given(case=schema.as_strategy(mode))
        @hypothesis_settings(
            max_examples=400,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            pin_real_objects(case)
            response = case.call(headers={"Authorization": f"Bearer {owner_token}"})
            seen.add(f"{case.method} {case.path}")
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
            )
            if response.status_code >= 400:
                problem = response.json()
                assert problem["status"] == response.status_code and problem["title"]

        call()
    # The cases covered (nearly) every operation; not every one has an invalid variant.
    assert len(seen) >= (20 if mode == GenerationMode.POSITIVE else 12)


def pin_real_objects(case: Any) -> None:
    """Half of the cases address the demo campaign and a real creative."""
    parameters = case.path_parameters or {}
    if str(parameters.get("slug", "")).endswith(("a", "e", "i", "0")):
        parameters.update({k: v for k, v in REAL_OBJECTS.items() if k in parameters})
