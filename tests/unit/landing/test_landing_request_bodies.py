"""Every JSON body landing's internal API takes refuses text no database stores (422).

The class the campaigns API's fuzz test found in a token name (a NUL failing at
PostgreSQL as a 500): each body model is a ``StorableInput``, held here by type, so a
field added later cannot forget it; and by request, for the candidate requests.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from landing_support import SERVICE_TOKEN

from koers.text import StorableInput

pytestmark = pytest.mark.unit

AUTH = {"authorization": f"Bearer {SERVICE_TOKEN}"}


def test_every_json_body_of_the_internal_api_is_a_storable_input(client: TestClient) -> None:
    def subclasses(model: type) -> set[str]:
        return {model.__name__}.union(*(subclasses(sub) for sub in model.__subclasses__()))

    paths = client.get("/openapi.json").json()["paths"]
    named = {
        (method, path): operation["requestBody"]["content"]["application/json"]["schema"][
            "$ref"
        ].rsplit("/", 1)[-1]
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    }

    assert named[("post", "/internal/v1/tenants/{tenant_id}/candidates/erase")] == (
        "CandidateRequest"
    )
    assert set(named.values()) - subclasses(StorableInput) == set()


@pytest.mark.parametrize("field", ["email", "phone", "lead_id"])
@pytest.mark.parametrize("action", ["export", "erase"])
def test_a_nul_in_a_candidate_request_is_a_422(client: TestClient, field: str, action: str) -> None:
    response = client.post(
        f"/internal/v1/tenants/acme/candidates/{action}",
        json={field: "anna\x00@voorbeeld.nl"},
        headers=AUTH,
    )

    assert response.status_code == 422, response.text


def test_a_nul_in_a_recruiter_id_is_a_422(client: TestClient) -> None:
    response = client.post(
        "/internal/v1/tenants/acme/leads/00000000-0000-0000-0000-000000000001/contacts",
        json={
            "kind": "attempt",
            "channel": "phone",
            "at": "2026-12-06T10:00:00Z",
            "recruiter_id": "user\x00",
        },
        headers=AUTH,
    )

    assert response.status_code == 422, response.text
