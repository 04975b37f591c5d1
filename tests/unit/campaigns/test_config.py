from __future__ import annotations

import logging

import pytest

from campaigns.config import Settings
from campaigns.main import create_app
from koers.settings import MissingSecret

pytestmark = pytest.mark.unit


def test_production_refuses_to_start_without_the_session_secret(database_url: str) -> None:
    settings = Settings(
        environment="production", database_url=database_url, service_token="t", secret_key=""
    )
    with pytest.raises(MissingSecret, match="KOERS_CAMPAIGNS_SECRET_KEY"):
        create_app(settings)


def test_development_falls_back_to_a_random_key_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="campaigns.config"):
        first = Settings(secret_key="").session_secret
    assert len(first) >= 32
    assert first != Settings(secret_key="").session_secret
    assert "KOERS_CAMPAIGNS_SECRET_KEY is empty" in caplog.text


def test_settings_are_read_from_koers_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOERS_LANDING_URL", "https://werken.example.nl")
    monkeypatch.setenv("KOERS_ANALYTICS_URL", "http://analytics:8002")
    monkeypatch.setenv("KOERS_VAR_DIR", "/srv/koers")
    settings = Settings()
    assert settings.landing_url == "https://werken.example.nl"
    assert settings.analytics_url == "http://analytics:8002"
    assert str(settings.var_dir) == "/srv/koers"
