"""Class 9: internal tokens.

- Any malformed ``Authorization`` header on a service-token route is a 401 with problem
  details, never a 500 (non-ASCII bytes, no scheme, extra spaces, empty...).
- In production the API docs, the OpenAPI schema and ``/metrics`` answer only with the
  service token; in development they stay open.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from koers.settings import KoersSettings
from koers.web import install_web_chassis, service_token_checker

pytestmark = pytest.mark.security

TOKEN = "s3cret-service-token"
OPERATOR_PATHS = ("/docs", "/redoc", "/openapi.json", "/metrics", "/docs/oauth2-redirect")


def internal_app(environment: str) -> FastAPI:
    app = FastAPI()
    app.state.settings = KoersSettings(environment=environment, service_token=TOKEN)
    install_web_chassis(app, service="internal", checks={})

    @app.get("/internal/v1/things", dependencies=[Depends(service_token_checker(TOKEN))])
    def things() -> dict[str, str]:
        return {"things": "yes"}

    return app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(internal_app("development"), raise_server_exceptions=False) as test_client:
        yield test_client


MALFORMED: list[bytes] = [
    b"",
    b" ",
    b"Bearer",
    b"Bearer ",
    b"bearer",
    TOKEN.encode(),  # no scheme
    b"Bearer  " + TOKEN.encode(),  # two spaces
    b" Bearer " + TOKEN.encode(),
    b"Bearer " + TOKEN.encode() + b" ",
    b"Bearer " + TOKEN.encode() + b" extra",
    b"Basic " + TOKEN.encode(),
    b"Bearer \xff\xfe\x80",
    "Bearer tökén".encode(),
    "Bearer tökén".encode("latin-1"),
    b"Bearer " + TOKEN.encode()[:-1] + b"\xe9",
    "Bearer " + "é" * 5000,  # type: ignore[list-item]
    b"\x00\x01Bearer",
]


@pytest.mark.parametrize("header", MALFORMED, ids=range(len(MALFORMED)))
def test_a_malformed_authorization_header_is_a_401_problem(
    client: TestClient, header: bytes | str
) -> None:
    raw = header.encode("utf-8") if isinstance(header, str) else header
    response = client.get("/internal/v1/things", headers={"Authorization": raw})
    assert response.status_code == 401, response.text[:200]
    body = response.json()
    assert body["status"] == 401 and body["title"] and body["detail"] and body["type"]


def test_the_right_token_passes(client: TestClient) -> None:
    response = client.get("/internal/v1/things", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    lower = client.get("/internal/v1/things", headers={"Authorization": f"bearer {TOKEN}"})
    assert lower.status_code == 200


@pytest.mark.parametrize("path", OPERATOR_PATHS)
def test_operator_pages_need_the_service_token_in_production(path: str) -> None:
    with TestClient(internal_app("production"), raise_server_exceptions=False) as client:
        for header in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": b"\xff"}):
            response = client.get(path, headers=header)  # type: ignore[arg-type]
            assert response.status_code == 401, (path, header, response.status_code)
            assert response.json()["status"] == 401
        allowed = client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
        assert allowed.status_code == 200


@pytest.mark.parametrize("path", ("/docs", "/openapi.json", "/metrics"))
def test_operator_pages_stay_open_in_development(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_every_service_closes_its_operator_pages_in_production(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real apps, built by their own ``create_app`` with production settings."""
    from analytics.config import Settings as AnalyticsSettings
    from analytics.main import create_app as analytics_app
    from campaigns.config import Settings as CampaignsSettings
    from campaigns.main import create_app as campaigns_app
    from landing.config import Settings as LandingSettings
    from landing.main import create_app as landing_app

    common = {"service_token": TOKEN, "kafka_bootstrap_servers": "127.0.0.1:1"}
    apps = {
        "analytics": analytics_app(
            AnalyticsSettings(
                environment="production", database_url=f"sqlite:///{tmp_path}/a.db", **common
            )
        ),
        "campaigns": campaigns_app(
            CampaignsSettings(
                environment="production",
                database_url=f"sqlite:///{tmp_path}/c.db",
                secret_key="campaigns-secret",
                delivery_key=Fernet.generate_key().decode(),
                **common,
            )
        ),
        "landing": landing_app(
            LandingSettings(
                environment="production",
                database_url=f"sqlite:///{tmp_path}/l.db",
                secret_key="landing-secret",
                **common,
            )
        ),
    }
    for name, app in apps.items():
        with TestClient(app, raise_server_exceptions=False) as client:
            for path in ("/docs", "/openapi.json", "/redoc", "/metrics"):
                response = client.get(path)
                assert response.status_code in (401, 404), (name, path, response.status_code)
                assert response.status_code != 200
            metrics = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            assert metrics.status_code == 200, name
