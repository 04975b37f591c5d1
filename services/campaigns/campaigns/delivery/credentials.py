"""Tenants' ad-platform credentials, encrypted at rest and never shown back in full.

``SecretBox`` encrypts with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``)
under the key(s) in ``DeliverySettings.delivery_key``. Each ciphertext is bound to its
tenant and platform: the plaintext carries them and ``open`` checks them, so a row
copied to another tenant does not decrypt. ``mask_secret`` is the only form a secret
takes on a page or in a log.

Persistence is the caller's: ``TenantCredentials`` stores ciphertexts through any
``CredentialStore`` (a table in the service's database; a dict in tests).
"""

from __future__ import annotations

from typing import Protocol

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from campaigns.delivery.domain import Platform

MASK = "••••"
_SEPARATOR = "\x1f"  # unit separator: never part of a tenant id, platform or token


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted (wrong key, tampered, other tenant's)."""


class SecretBox:
    def __init__(self, keys: str) -> None:
        """``keys``: one or more Fernet keys, comma-separated, the newest first."""
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise ValueError("KOERS_CAMPAIGNS_DELIVERY_KEY is empty: no key to encrypt with")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in parts])
        except ValueError as exc:  # the message would not contain the key, but be sure
            raise ValueError(
                "KOERS_CAMPAIGNS_DELIVERY_KEY is not a Fernet key (32 url-safe base64 bytes)"
            ) from exc

    def seal(self, tenant_id: str, platform: Platform, secret: str) -> bytes:
        if not secret:
            raise ValueError("an empty secret cannot be stored")
        plaintext = _SEPARATOR.join((tenant_id, platform, secret))
        return self._fernet.encrypt(plaintext.encode("utf-8"))

    def open(self, tenant_id: str, platform: Platform, sealed: bytes) -> str:
        try:
            plaintext = self._fernet.decrypt(sealed).decode("utf-8")
        except (InvalidToken, UnicodeDecodeError) as exc:
            raise SecretUnreadable(f"the stored {platform} credential cannot be read") from exc
        owner, owner_platform, secret = plaintext.split(_SEPARATOR, 2)
        if (owner, owner_platform) != (tenant_id, platform):
            raise SecretUnreadable(f"the stored {platform} credential belongs elsewhere")
        return secret

    def rotate(self, sealed: bytes) -> bytes:
        """Re-encrypt under the newest key (run after adding a key in front)."""
        try:
            return self._fernet.rotate(sealed)
        except InvalidToken as exc:
            raise SecretUnreadable("a stored credential cannot be read") from exc


def mask_secret(secret: str) -> str:
    """ "••••1234": the last four characters, and only when at least eight more stay hidden."""
    if len(secret) >= 12:
        return MASK + secret[-4:]
    return MASK


class CredentialStore(Protocol):
    def save(self, tenant_id: str, platform: Platform, sealed: bytes, masked: str) -> None: ...

    def load(self, tenant_id: str, platform: Platform) -> bytes | None: ...

    def masked(self, tenant_id: str, platform: Platform) -> str | None: ...


class InMemoryCredentialStore:
    """A ``CredentialStore`` in a dict, for tests and the embedded demo."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[bytes, str]] = {}

    def save(self, tenant_id: str, platform: Platform, sealed: bytes, masked: str) -> None:
        self.rows[(tenant_id, platform)] = (sealed, masked)

    def load(self, tenant_id: str, platform: Platform) -> bytes | None:
        row = self.rows.get((tenant_id, platform))
        return row[0] if row else None

    def masked(self, tenant_id: str, platform: Platform) -> str | None:
        row = self.rows.get((tenant_id, platform))
        return row[1] if row else None


class TenantCredentials:
    """Store, read and show a tenant's token for a platform."""

    def __init__(self, box: SecretBox, store: CredentialStore) -> None:
        self._box = box
        self._store = store

    def set(self, tenant_id: str, platform: Platform, secret: str) -> str:
        """Store the token; returns its masked form for the confirmation message."""
        secret = secret.strip()
        masked = mask_secret(secret)
        self._store.save(tenant_id, platform, self._box.seal(tenant_id, platform, secret), masked)
        return masked

    def get(self, tenant_id: str, platform: Platform) -> str | None:
        """The token in clear, for an adapter about to call the platform; None if unset."""
        sealed = self._store.load(tenant_id, platform)
        return None if sealed is None else self._box.open(tenant_id, platform, sealed)

    def display(self, tenant_id: str, platform: Platform) -> str | None:
        """What the settings page shows: the masked token, None if unset."""
        return self._store.masked(tenant_id, platform)
