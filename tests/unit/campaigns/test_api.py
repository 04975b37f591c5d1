from __future__ import annotations

import pytest
from campaigns_testkit import DEMO_PASSWORD, log_in
from fastapi.testclient import TestClient
from pydantic import ValidationError

from campaigns.catalog.inputs import Input
from campaigns.demo import DEMO_EMAIL, DEMO_SLUG
from campaigns.seed import SeedResult

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("path", ["/api/v1/campaigns", f"/api/v1/campaigns/{DEMO_SLUG}"])
def test_without_a_session_the_api_answers_401_problem_details(
    client: TestClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 401 and body["title"] and body["detail"]


def test_the_api_lists_and_shows_the_tenants_campaigns(
    client: TestClient, seeded: SeedResult
) -> None:
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)

    page = client.get("/api/v1/campaigns").json()
    assert page["total"] == 1
    listing = page["items"]
    assert [c["slug"] for c in listing] == [DEMO_SLUG]
    assert listing[0]["status"] == "live"
    assert listing[0]["weekly_budget"] == "1000.00"
    assert listing[0]["created_at"].endswith("Z")  # UTC, also on SQLite

    detail = client.get(f"/api/v1/campaigns/{DEMO_SLUG}").json()
    assert [v["variant_id"] for v in detail["variants"]] == [
        "facebook",
        "instagram",
        "linkedin",
        "tiktok",
    ]
    assert detail["page"]["language"] == "nl"
    assert detail["page_version"] == 1


def test_an_unknown_campaign_is_a_404_problem(client: TestClient, seeded: SeedResult) -> None:
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    response = client.get("/api/v1/campaigns/nope")
    assert response.status_code == 404
    assert response.json()["title"] == "Not found"


def test_the_openapi_document_describes_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/campaigns/{slug}" in paths
    assert "/login" not in paths


@pytest.mark.parametrize("text", ["name\x00", "name\ud800", "bell\x07"])
def test_every_api_input_refuses_text_a_database_would_not_store(text: str) -> None:
    class Probe(Input):
        name: str

    # pydantic itself refuses an unpaired surrogate in a str; the rest is ours.
    with pytest.raises(ValidationError, match=r"control characters|valid string"):
        Probe(name=text)
    assert Probe(name="two\nlines\tand a tab").name == "two\nlines\tand a tab"


def test_every_json_body_of_the_api_is_a_storable_input(client: TestClient) -> None:
    # A NUL in a new token's name reached PostgreSQL's INSERT as a 500 (the fuzz test):
    # that model was not an Input. Every body the API documents is held to it, by type.
    from koers.text import StorableInput

    def subclasses(model: type) -> set[str]:
        return {model.__name__}.union(*(subclasses(sub) for sub in model.__subclasses__()))

    paths = client.get("/openapi.json").json()["paths"]
    bodies = {
        (method, path): operation["requestBody"]["content"]["application/json"]["schema"]
        for path, operations in paths.items()
        if path.startswith("/api/")
        for method, operation in operations.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    }
    named = {key: schema["$ref"].rsplit("/", 1)[-1] for key, schema in bodies.items()}

    assert named[("post", "/api/v1/tokens")] == "TokenIn"
    assert set(named.values()) - subclasses(StorableInput) == set()
