"""Garbage in, never a 5xx out: schemathesis against landing's OpenAPI (every route,
with the service token), and random form fields and bodies sent to every form."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from koers.db import make_engine, migrate, transaction
from koers.events import (
    CampaignPublished,
    PageSnapshot,
    QuizOption,
    QuizQuestion,
    VariantState,
    new_envelope,
)
from landing.cli import MIGRATIONS_DIR
from landing.config import Settings
from landing.handlers import HANDLERS
from landing.main import create_app

pytestmark = pytest.mark.integration

TOKEN = "fuzz-service-token"
SLUG = "fuzz"


def _published() -> CampaignPublished:
    return CampaignPublished(
        slug=SLUG,
        name="Fuzz",
        weekly_budget=1,
        page=PageSnapshot(
            version=1,
            employer_name="Acme",
            headline="Kom werken bij Acme",
            intro="Leuk werk.",
            entry_points=("quiz", "lead", "apply"),
            quiz=(
                QuizQuestion(
                    question="Vraag?",
                    options=(QuizOption(label="Ja", score=1), QuizOption(label="Nee", score=0)),
                ),
            ),
        ),
        variants=(
            VariantState(
                variant_id="v1", name="V1", channel="tiktok", creative_format="video", hook="h"
            ),
        ),
    )


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    workdir: Path = tmp_path_factory.mktemp("landing-fuzz")
    url = f"sqlite:///{workdir / 'landing.db'}"
    migrate(url, MIGRATIONS_DIR)
    engine = make_engine(url)
    envelope = new_envelope(_published(), source="campaigns", tenant_id="t1", campaign_id="c1")
    with transaction(engine) as conn:
        for handler in HANDLERS[envelope.type]:
            handler(conn, envelope)
    engine.dispose()
    yield create_app(
        Settings(
            database_url=url,
            secret_key="fuzz-secret",
            service_token=TOKEN,
            kafka_bootstrap_servers="127.0.0.1:1",
            cv_dir=workdir / "cvs",
            min_fill_seconds=0,
            rate_limit_per_minute=0,
        )
    )


def test_no_route_answers_5xx_to_anything_the_schema_allows(app: object) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15, "every page and API route is in the schema"
    for operation in operations:
        label = operation.label

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def call(case: object) -> None:
            response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})  # type: ignore[attr-defined]
            assert response.status_code < 500, (label, response.text[:300])  # noqa: B023  # type: ignore[attr-defined]

        call()


FIELDS = (
    "form_token",
    "name",
    "phone",
    "email",
    "contact_channel",
    "best_moment",
    "consent",
    "motivation",
    "talent_pool",
    "website",
    "q0",
    "step",
    "r",
)
garbage_text = st.text(max_size=300) | st.sampled_from(
    ["", "yes", "0", "-1", "99", "\x00", "é" * 50]
)


@given(
    path=st.sampled_from(
        [
            f"/j/{SLUG}/lead",
            f"/j/{SLUG}/apply",
            f"/j/{SLUG}/quiz",
            f"/j/{SLUG}/withdraw",
            "/j/unknown/lead",
        ]
    ),
    fields=st.dictionaries(
        st.sampled_from(FIELDS) | st.text(max_size=20), garbage_text, max_size=12
    ),
    upload=st.none() | st.tuples(st.text(max_size=40), st.binary(max_size=2000)),
    lang=st.sampled_from(["", "?lang=en", "?lang=xx", "?lang=%00"]),
)
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_garbage_forms_get_friendly_4xx_pages_not_5xx(
    app: object, path: str, fields: dict[str, str], upload: tuple[str, bytes] | None, lang: str
) -> None:
    with TestClient(app, raise_server_exceptions=False) as client:  # type: ignore[arg-type]
        files = {"cv": upload} if upload is not None else None
        response = client.post(f"{path}{lang}", data=fields, files=files, follow_redirects=False)
    assert response.status_code < 500, response.text[:300]
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("text/html")


@given(
    body=st.binary(max_size=3000),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=xyz",
            "application/json",
            "text/plain",
            "",
        ]
    ),
    path=st.sampled_from([f"/j/{SLUG}/lead", f"/j/{SLUG}/apply", f"/j/{SLUG}/quiz"]),
)
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
def test_raw_garbage_bodies_get_4xx_not_5xx(
    app: object, body: bytes, content_type: str, path: str
) -> None:
    with TestClient(app, raise_server_exceptions=False) as client:  # type: ignore[arg-type]
        response = client.post(path, content=body, headers={"content-type": content_type})
    assert response.status_code < 500, response.text[:300]
