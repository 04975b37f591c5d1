"""Abuse protections: honeypot, minimum fill time, per-IP rate limit, single-use tokens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from landing_support import USER_AGENT, FrozenClock, entry_links, form_token, outbox

from koers.events import CampaignPublished
from landing.config import Settings
from landing.main import create_app
from landing.submissions.ratelimit import RateLimiter
from landing.submissions.repository import leads

pytestmark = pytest.mark.unit


def lead_data(token: str, **extra: str) -> dict[str, str]:
    return {
        "form_token": token,
        "name": "Sanne de Vries",
        "phone": "06 12345678",
        "contact_channel": "whatsapp",
        "consent": "yes",
        **extra,
    }


def stored(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(leads)).scalar_one())


def open_form(client: TestClient) -> str:
    page = client.get("/j/klantenservice-utrecht")
    return form_token(client.get(entry_links(page.text)["lead"]).text)


@pytest.fixture
def strict_client(settings: Settings, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    strict = settings.model_copy(
        update={"min_fill_seconds": 3.0, "rate_limit_per_minute": 6.0, "rate_limit_burst": 3}
    )
    with TestClient(create_app(strict, clock=clock), headers={"user-agent": USER_AGENT}) as c:
        yield c


def test_a_filled_honeypot_is_thanked_but_nothing_is_stored(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    token = open_form(client)

    response = client.post(
        "/j/klantenservice-utrecht/lead", data=lead_data(token, website="http://spam.example")
    )

    assert response.status_code == 200
    assert "Bedankt, we hebben je gegevens!" in response.text
    assert stored(engine) == 0
    assert outbox(engine, "LeadSubmitted") == []


def test_a_form_sent_faster_than_a_person_can_is_shown_again_and_kept_after(
    strict_client: TestClient, published: CampaignPublished, engine: sa.Engine, clock: FrozenClock
) -> None:
    token = open_form(strict_client)
    clock.advance(seconds=1)

    too_fast = strict_client.post("/j/klantenservice-utrecht/lead", data=lead_data(token))
    clock.advance(seconds=5)
    later = strict_client.post(
        "/j/klantenservice-utrecht/lead", data=lead_data(token), follow_redirects=False
    )

    assert too_fast.status_code == 422
    assert "Dat ging snel!" in too_fast.text
    assert 'value="Sanne de Vries"' in too_fast.text
    assert later.status_code == 303
    assert stored(engine) == 1


def test_too_many_submissions_from_one_ip_get_429_with_retry_after(
    strict_client: TestClient, published: CampaignPublished, clock: FrozenClock
) -> None:
    clock.advance(seconds=10)
    statuses = [
        strict_client.post("/j/klantenservice-utrecht/lead", data={"form_token": "x"}).status_code
        for _ in range(4)
    ]

    assert statuses[:3] == [400, 400, 400]  # within the burst: judged on their merits
    limited = strict_client.post("/j/klantenservice-utrecht/lead", data={"form_token": "x"})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "Te veel formulieren tegelijk" in limited.text
    # Pages are never limited.
    assert strict_client.get("/j/klantenservice-utrecht").status_code == 200


def test_the_token_bucket_refills_with_time() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])

    assert [limiter.allow("a"), limiter.allow("a")] == [0, 0]
    assert limiter.allow("a") == 1
    assert limiter.allow("b") == 0  # another client has its own bucket
    now[0] += 1.0
    assert limiter.allow("a") == 0
    assert RateLimiter(per_minute=0, burst=1, clock=lambda: 0.0).allow("a") == 0


def test_a_form_token_is_bound_to_its_campaign_and_variant(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    page = client.get("/j/klantenservice-utrecht?v=v-video")
    token = form_token(client.get(entry_links(page.text)["lead"]).text)

    # Asking for another creative in the URL does not move the lead: the token decides.
    client.post("/j/klantenservice-utrecht/lead?v=v-image", data=lead_data(token))

    [submitted] = outbox(engine, "LeadSubmitted")
    assert submitted["payload"]["variant_id"] == "v-video"
    # And the same token again makes no second lead.
    client.post("/j/klantenservice-utrecht/lead", data=lead_data(token, name="Iemand anders"))
    assert stored(engine) == 1


def test_oversized_bodies_are_refused_while_streaming(
    client: TestClient, published: CampaignPublished
) -> None:
    huge = client.post(
        "/j/klantenservice-utrecht/lead",
        content=b"name=" + b"a" * (300 * 1024),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )

    assert huge.status_code == 413
    assert "Dit bestand is te groot" in huge.text
