"""The console's page preview: landing renders a draft with the live page's own code and
templates, behind the service token, and stores nothing."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from landing_support import SERVICE_TOKEN

from koers.events import CampaignPublished
from landing.pages.repository import pages

pytestmark = pytest.mark.unit

PREVIEW = "/internal/v1/tenants/acme/campaigns/cmp-1/page-preview"
AUTH = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
VISIT = re.compile(r"visit=[^&\"]+")


def without_visit(html: str) -> str:
    """The only per-request part of a landing page: the visit token in its links."""
    return VISIT.sub("visit=…", html)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_preview_is_the_live_page_for_the_same_content(
    client: TestClient, published: CampaignPublished, engine: sa.Engine, language: str
) -> None:
    live = client.get(f"/j/{published.slug}?lang={language}")
    body = {
        "slug": published.slug,
        "page": published.page.model_dump(mode="json"),
        "language": language,
    }
    preview = client.post(PREVIEW, json=body, headers=AUTH)

    assert preview.status_code == 200
    assert preview.headers["content-type"].startswith("text/html")
    assert without_visit(preview.text) == without_visit(live.text)
    assert "visit=preview" in preview.text  # a token no form accepts
    theme = re.search(r'href="(/themes/[0-9a-f]{6}\.css)"', preview.text)
    assert theme is not None
    colour = published.page.primary_colour.lower()
    assert f"--primary: {colour}" in client.get(theme.group(1)).text


def test_a_draft_is_shown_with_its_own_colour_and_texts_and_stored_nowhere(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    draft = published.page.model_copy(
        update={"headline": "Een nieuwe kop", "primary_colour": "#123ABC", "version": 2}
    )
    body = {"slug": published.slug, "page": draft.model_dump(mode="json")}
    preview = client.post(PREVIEW, json=body, headers=AUTH)

    assert "Een nieuwe kop" in preview.text and "/themes/123abc.css" in preview.text
    with engine.connect() as conn:
        stored = conn.execute(sa.select(pages.c.version, pages.c.snapshot)).one()
    assert stored.version == 1 and stored.snapshot["page"]["headline"] != "Een nieuwe kop"
    assert "Een nieuwe kop" not in client.get(f"/j/{published.slug}").text


def test_the_preview_needs_the_service_token_and_a_valid_page(
    client: TestClient, published: CampaignPublished
) -> None:
    body = {"slug": published.slug, "page": published.page.model_dump(mode="json")}
    assert client.post(PREVIEW, json=body).status_code == 401
    assert client.post(PREVIEW, json=body, headers={"Authorization": "Bearer x"}).status_code in (
        401,
        403,
    )
    broken = {**body, "page": {**body["page"], "entry_points": []}}
    assert client.post(PREVIEW, json=broken, headers=AUTH).status_code == 422
    assert client.get("/themes/not-a-colour.css").status_code == 404
