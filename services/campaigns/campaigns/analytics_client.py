"""Reading a campaign's funnel from the analytics service, behind a small interface."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Protocol

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from campaigns.domain import CampaignFunnel, FunnelCounts, VariantFunnel

log = logging.getLogger(__name__)


class AnalyticsUnavailable(Exception):
    """Analytics could not be asked or gave an answer we cannot use; show a notice."""


class AnalyticsClient(Protocol):
    def campaign_funnel(self, campaign_id: str) -> CampaignFunnel | None:
        """The funnel per variant, None when analytics has no data for the campaign yet.

        Raises AnalyticsUnavailable when the service cannot be reached or misbehaves.
        """
        ...

    def close(self) -> None: ...


class _Counts(BaseModel):
    model_config = ConfigDict(extra="ignore")

    visits: int = 0
    quiz_starts: int = 0
    lead_starts: int = 0
    apply_starts: int = 0
    quiz_completions: int = 0
    qualified_quiz: int = 0
    leads: int = 0
    applications: int = 0
    interviews: int = 0
    hires: int = 0
    spend: Decimal = Decimal(0)
    impressions: int = 0
    clicks: int = 0

    def to_domain(self) -> FunnelCounts:
        return FunnelCounts(**self.model_dump())


class _Week(_Counts):
    week: str


class _Variant(BaseModel):
    model_config = ConfigDict(extra="ignore")

    variant_id: str
    weeks: list[_Week] = []
    totals: _Counts = _Counts()


class _Funnel(BaseModel):
    model_config = ConfigDict(extra="ignore")

    campaign_id: str
    variants: list[_Variant] = []
    totals: _Counts = _Counts()

    def to_domain(self) -> CampaignFunnel:
        return CampaignFunnel(
            campaign_id=self.campaign_id,
            variants=tuple(
                VariantFunnel(
                    variant_id=v.variant_id,
                    totals=v.totals.to_domain(),
                    weeks={w.week: FunnelCounts(**w.model_dump(exclude={"week"})) for w in v.weeks},
                )
                for v in self.variants
            ),
            totals=self.totals.to_domain(),
        )


class HttpAnalyticsClient:
    """Calls ``GET {base_url}/v1/campaigns/{id}/funnel`` with the service token."""

    def __init__(self, base_url: str, service_token: str, *, timeout_s: float = 2.0) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {service_token}"},
            timeout=timeout_s,
        )

    def campaign_funnel(self, campaign_id: str) -> CampaignFunnel | None:
        try:
            response = self._http.get(f"/v1/campaigns/{campaign_id}/funnel")
        except httpx.HTTPError as exc:
            log.warning("analytics unreachable: %s", exc)
            raise AnalyticsUnavailable(type(exc).__name__) from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            log.warning("analytics answered %s for campaign %s", response.status_code, campaign_id)
            raise AnalyticsUnavailable(f"HTTP {response.status_code}")
        try:
            return _Funnel.model_validate_json(response.content).to_domain()
        except ValidationError as exc:
            log.warning("analytics funnel not understood: %s", exc.errors()[:3])
            raise AnalyticsUnavailable("unexpected response") from exc

    def close(self) -> None:
        self._http.close()
