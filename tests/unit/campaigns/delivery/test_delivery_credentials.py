"""Tenants' platform tokens: encrypted at rest, bound to their tenant, shown masked."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from campaigns.delivery import (
    DeliverySettings,
    InMemoryCredentialStore,
    SecretBox,
    SecretUnreadable,
    TenantCredentials,
    mask_secret,
)
from koers.settings import MissingSecret

pytestmark = pytest.mark.unit
TOKEN = "EAABsbCS1iHgBO7ZCZBz9ZA1234"


@pytest.fixture
def key() -> str:
    return Fernet.generate_key().decode()


def test_a_stored_token_is_encrypted_and_comes_back_for_its_tenant(key: str) -> None:
    store = InMemoryCredentialStore()
    credentials = TenantCredentials(SecretBox(key), store)

    masked = credentials.set("tenant-a", "meta", f"  {TOKEN}\n")

    sealed, shown = store.rows[("tenant-a", "meta")]
    assert TOKEN.encode() not in sealed
    assert masked == shown == "••••1234"
    assert credentials.get("tenant-a", "meta") == TOKEN
    assert credentials.display("tenant-a", "meta") == "••••1234"
    assert credentials.get("tenant-b", "meta") is None


def test_a_token_copied_to_another_tenant_or_platform_does_not_open(key: str) -> None:
    box = SecretBox(key)
    sealed = box.seal("tenant-a", "meta", TOKEN)

    with pytest.raises(SecretUnreadable):
        box.open("tenant-b", "meta", sealed)
    with pytest.raises(SecretUnreadable):
        box.open("tenant-a", "linkedin", sealed)
    with pytest.raises(SecretUnreadable, match="cannot be read"):
        SecretBox(Fernet.generate_key().decode()).open("tenant-a", "meta", sealed)


def test_keys_rotate_old_ciphertexts_still_open_and_move_to_the_new_key(key: str) -> None:
    sealed = SecretBox(key).seal("t", "meta", TOKEN)
    new_key = Fernet.generate_key().decode()
    rotating = SecretBox(f"{new_key},{key}")

    assert rotating.open("t", "meta", sealed) == TOKEN
    assert SecretBox(new_key).open("t", "meta", rotating.rotate(sealed)) == TOKEN


def test_a_bad_key_is_named_without_being_echoed() -> None:
    with pytest.raises(ValueError, match="not a Fernet key") as info:
        SecretBox("not-a-key-hunter2")
    assert "hunter2" not in str(info.value)
    with pytest.raises(ValueError, match="empty"):
        SecretBox(" , ")


@pytest.mark.parametrize(
    ("secret", "shown"), [(TOKEN, "••••1234"), ("short-token", "••••"), ("", "••••")]
)
def test_only_the_last_four_characters_of_a_long_secret_are_ever_shown(
    secret: str, shown: str
) -> None:
    assert mask_secret(secret) == shown


def test_production_requires_the_delivery_key_and_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOERS_ENVIRONMENT", "production")
    monkeypatch.setenv("KOERS_SERVICE_TOKEN", "svc")
    monkeypatch.delenv("KOERS_CAMPAIGNS_DELIVERY_KEY", raising=False)
    with pytest.raises(MissingSecret, match="KOERS_CAMPAIGNS_DELIVERY_KEY"):
        DeliverySettings().check_production_secrets()
    monkeypatch.setenv("KOERS_CAMPAIGNS_DELIVERY_KEY", "key-hunter2")
    settings = DeliverySettings()
    settings.check_production_secrets()
    assert "hunter2" not in repr(settings)
