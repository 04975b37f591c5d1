"""Settings: the form-signing key is a production secret."""

from __future__ import annotations

import logging

import pytest

from koers.settings import MissingSecret
from landing.config import Settings
from landing.main import create_app

pytestmark = pytest.mark.unit


def test_production_refuses_to_start_without_the_signing_key(database_url: str) -> None:
    settings = Settings(
        environment="production", database_url=database_url, service_token="t", secret_key=""
    )

    with pytest.raises(MissingSecret, match="KOERS_LANDING_SECRET_KEY"):
        create_app(settings)


def test_development_falls_back_to_a_random_key_with_a_warning(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="landing.main"):
        app = create_app(Settings(database_url=database_url, secret_key=""))

    assert app.state.signer is not None
    assert "KOERS_LANDING_SECRET_KEY is empty" in caplog.text
    app.state.engine.dispose()
