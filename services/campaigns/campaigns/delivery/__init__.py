"""Delivering an approved weekly budget split to the ad platforms.

One interface (``AdPlatformAdapter``: ``plan`` is the dry run, ``push`` delivers), two
adapters: bulk files for every platform (``CsvBulkAdapter``) and Meta's Marketing API
(``MetaMarketingApi``). ``domain`` is pure; the tenants' platform tokens are kept
encrypted by ``credentials``. Nothing here touches the database or builds a client at
import: the composition root wires a ``CredentialStore`` and an httpx client.
"""

from __future__ import annotations

from campaigns.delivery.adapters import AdPlatformAdapter, dry_run
from campaigns.delivery.credentials import (
    CredentialStore,
    InMemoryCredentialStore,
    SecretBox,
    SecretUnreadable,
    TenantCredentials,
    mask_secret,
)
from campaigns.delivery.csv_bulk import CsvBulkAdapter, bulk_filename
from campaigns.delivery.domain import (
    PLATFORM_OF_CHANNEL,
    BudgetPlan,
    ChangeOutcome,
    Channel,
    CreativeBudget,
    Platform,
    PlatformIds,
    PushChange,
    PushResult,
    daily_budget_cents,
    plan_changes,
)
from campaigns.delivery.meta import MetaMarketingApi, make_meta_client
from campaigns.delivery.settings import DeliverySettings

__all__ = [
    "PLATFORM_OF_CHANNEL",
    "AdPlatformAdapter",
    "BudgetPlan",
    "ChangeOutcome",
    "Channel",
    "CreativeBudget",
    "CredentialStore",
    "CsvBulkAdapter",
    "DeliverySettings",
    "InMemoryCredentialStore",
    "MetaMarketingApi",
    "Platform",
    "PlatformIds",
    "PushChange",
    "PushResult",
    "SecretBox",
    "SecretUnreadable",
    "TenantCredentials",
    "bulk_filename",
    "daily_budget_cents",
    "dry_run",
    "make_meta_client",
    "mask_secret",
    "plan_changes",
]
