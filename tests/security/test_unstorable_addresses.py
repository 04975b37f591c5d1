"""Issue 12, class 5 at the address: a NUL in a path or query is
a 400 on every service, before any route hands it to the database (PostgreSQL refuses
such text and the request would end in a 500)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from koers.settings import KoersSettings
from koers.web import install_web_chassis

pytestmark = [pytest.mark.security, pytest.mark.unit]


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/api/items/{item_id}")
    def item(item_id: str, q: str = "") -> dict[str, str]:
        if "\x00" in item_id + q:
            raise RuntimeError("the database would refuse this")
        return {"id": item_id}

    install_web_chassis(app, service="probe", checks={}, settings=KoersSettings())
    return app


@pytest.mark.parametrize("address", ["/api/items/a%00b", "/api/items/ok?q=x%00y", "/api/items/%00"])
def test_an_unstorable_address_is_a_400(address: str) -> None:
    client = TestClient(_app(), raise_server_exceptions=False)
    response = client.get(address)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_page_address_with_a_nul_gets_a_page_not_json() -> None:
    client = TestClient(_app(), raise_server_exceptions=False)
    response = client.get("/jobs?lang=%00")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")


def test_an_ordinary_address_still_reaches_its_route() -> None:
    client = TestClient(_app())
    assert client.get("/api/items/caf%C3%A9?q=%C3%BC").json() == {"id": "café"}
