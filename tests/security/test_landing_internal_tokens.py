"""Issue 12, class 9 (landing's side): the internal leads and GDPR API answers 401,
never 500, to any malformed Authorization header, non-ASCII bytes included.

The check itself is the chassis' (``koers.web.service_token_checker``); before its fix
the non-ASCII cases failed with a 500 (``hmac.compare_digest`` refuses non-ASCII
strings).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.landing_app import SERVICE_TOKEN, TENANT_ID, LandingApp, campaign, landing_app

pytestmark = [pytest.mark.security, pytest.mark.integration]

ROUTES = [
    ("GET", f"/internal/v1/tenants/{TENANT_ID}/campaigns/cmp-1/leads"),
    ("GET", "/internal/v1/campaigns/cmp-1/leads"),
    ("POST", f"/internal/v1/tenants/{TENANT_ID}/candidates/export"),
    ("POST", f"/internal/v1/tenants/{TENANT_ID}/candidates/erase"),
    ("POST", "/internal/v1/retention"),
]

MALFORMED: list[bytes | object] = [
    b"",
    b"Bearer",
    b"Bearer ",
    b"Basic " + SERVICE_TOKEN.encode(),
    b"Bearer  " + SERVICE_TOKEN.encode(),
    b"bearer" + SERVICE_TOKEN.encode(),
    b"Bearer " + SERVICE_TOKEN.encode()[:-1],
    b"Bearer " + b"x" * 8000,
    b"Bearer \xff\xfe\x00token",
    b"Bearer " + "tökén".encode(),
    b"Bearer " + "tökén".encode("latin-1"),
    b"\xc3\xa9 " + SERVICE_TOKEN.encode(),
]


@pytest.fixture
def site(make_migrated_database_url: Callable[[str], str], tmp_path: Path) -> Iterator[LandingApp]:
    with landing_app(
        make_migrated_database_url("landing"), tmp_path, raise_server_exceptions=False
    ) as app:
        app.publish(campaign())
        yield app


@pytest.mark.parametrize("header", MALFORMED)
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_malformed_authorization_header_is_a_401(
    site: LandingApp, method: str, path: str, header: bytes
) -> None:
    request = site.client.build_request(
        method,
        path,
        json={"email": "a@example.nl"} if method == "POST" else None,
        headers={"accept": "application/json"},
    )
    request.headers["authorization"] = header.decode("latin-1")
    raw = [(k, v) for k, v in request.headers.raw if k.lower() != b"authorization"]
    # The test client's own Request class (httpx2 under starlette 1.x), not httpx's.
    request = type(request)(
        method, request.url, headers=[*raw, (b"authorization", header)], content=request.content
    )

    response = site.client.send(request)

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_the_right_token_is_let_in(site: LandingApp) -> None:
    response = site.client.get(
        "/internal/v1/campaigns/cmp-1/leads", headers={"authorization": f"Bearer {SERVICE_TOKEN}"}
    )

    assert response.status_code == 200
