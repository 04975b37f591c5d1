"""The ad-platform adapters a tenant's push goes through, built from what ``create_app``
wired: the bulk-file adapter always, Meta's Marketing API when the tenant stored a token.

Tokens are sealed with the service's delivery key (``KOERS_CAMPAIGNS_DELIVERY_KEY``) and
kept in ``delivery_credentials``; without a key no token can be stored or read, and
pushes go out as bulk files only.
"""

from __future__ import annotations

import logging
from datetime import datetime

import httpx
from sqlalchemy import Connection

from campaigns.decisions.repository import SqlCredentialStore
from campaigns.delivery import (
    AdPlatformAdapter,
    CsvBulkAdapter,
    DeliverySettings,
    MetaMarketingApi,
    SecretBox,
    SecretUnreadable,
    TenantCredentials,
)
from koers.events import utcnow

log = logging.getLogger(__name__)


class PlatformDelivery:
    """Implements ``decisions.service.Delivery`` over the real adapters."""

    def __init__(self, settings: DeliverySettings, meta_http: httpx.Client) -> None:
        key = settings.delivery_key.get_secret_value()
        self._settings = settings
        self._box = SecretBox(key) if key else None
        self._meta_http = meta_http

    @property
    def can_store_tokens(self) -> bool:
        return self._box is not None

    def credentials(self, conn: Connection, now: datetime | None = None) -> TenantCredentials:
        """The tenant tokens in ``conn``'s transaction; ValueError without a delivery key."""
        if self._box is None:
            raise ValueError(
                "KOERS_CAMPAIGNS_DELIVERY_KEY is not set: ad-platform tokens cannot be stored"
            )
        return TenantCredentials(self._box, SqlCredentialStore(conn, now=now or utcnow()))

    def masked_token(self, conn: Connection, tenant_id: str) -> str | None:
        return SqlCredentialStore(conn, now=utcnow()).masked(tenant_id, "meta")

    def adapters(self, conn: Connection, tenant_id: str) -> list[AdPlatformAdapter]:
        adapters: list[AdPlatformAdapter] = [CsvBulkAdapter()]
        if self._box is None:
            return adapters
        try:
            token = self.credentials(conn).get(tenant_id, "meta")
        except SecretUnreadable:
            log.warning("the Meta token of tenant %s cannot be read; bulk files only", tenant_id)
            return adapters
        if token:
            adapters.append(MetaMarketingApi.from_settings(self._settings, self._meta_http, token))
        return adapters
