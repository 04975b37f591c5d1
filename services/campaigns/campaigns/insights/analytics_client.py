"""Talking to the analytics service, behind small interfaces.

:class:`AnalyticsClient` is what the campaign page needs (the funnel);
:class:`AnalyticsInsights` adds what the dashboard needs: data-health findings,
attribute insights, the weekly allocation proposal and recording a decision on it.
Every answer is typed; anything unusable (unreachable, 5xx, a body we do not understand)
becomes :class:`AnalyticsUnavailable`, which the console shows as a notice, never a 500.
A 404 means "nothing to show yet": no data for the campaign, no proposal for that week,
or an analytics version that does not offer the feature yet.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from campaigns.insights.domain import CampaignFunnel, FunnelCounts, VariantFunnel
from koers.phrases import Phrase
from koers.service_client import ServiceClient

log = logging.getLogger(__name__)


class AnalyticsUnavailable(Exception):
    """Analytics could not be asked or gave an answer we cannot use; show a notice."""


class AnalyticsRefused(AnalyticsUnavailable):
    """Analytics understood the request and refused it (a 4xx other than 404)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


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
    unique_visitors: int = 0
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
        # Attribute by attribute: a year of weeks is hundreds of these per funnel, and
        # model_dump() costs several times more.
        return FunnelCounts(**{name: getattr(self, name) for name in _COUNT_FIELDS})


_COUNT_FIELDS = tuple(_Counts.model_fields)


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
                    weeks={w.week: w.to_domain() for w in v.weeks},
                )
                for v in self.variants
            ),
            totals=self.totals.to_domain(),
        )


class _TenantFunnels(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tenant_id: str
    funnels: list[_Funnel] = []
    unknown: list[str] = []


# --- the dashboard's answers ------------------------------------------------------------


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class HealthIssue(_Answer):
    """One data-health finding, with a sentence a marketer can act on."""

    code: str
    week: str = ""
    variant_id: str | None = None
    message: str


class DataHealth(_Answer):
    campaign_id: str
    status: str = "ok"
    issues: tuple[HealthIssue, ...] = ()


class AttributeEffect(_Answer):
    attribute: str
    level: str
    reference: str = ""
    rate_ratio: float
    low: float
    high: float
    p_value: float | None = None
    reading: str = ""


class Insights(_Answer):
    campaign_id: str
    status: str = "ok"
    reason: str = ""
    conversion: str = ""
    effects: tuple[AttributeEffect, ...] = ()
    not_estimable: tuple[str, ...] = ()
    caveat: str = ""


class CostInterval(_Answer):
    mean: float | None = None
    low: float | None = None
    high: float | None = None


class EarlierCampaignsSummary(_Answer):
    """How much the employer's earlier campaigns shaped a proposal (analytics' prior)."""

    campaigns: int
    creatives: int
    weight: float
    """Their share of the weight in the week's channel estimates (0-1)."""
    disagreement: float = 1.0
    """How many times the earlier campaigns' spread was widened because this campaign's
    results differ from them (1: they agree)."""


class AllocationProposal(_Answer):
    """Analytics' proposed budget split for one ISO week, and what became of it."""

    campaign_id: str
    week: str
    status: str = "proposed"
    budget: float = 0.0
    allocation: dict[str, float]
    previous_allocation: dict[str, float] = Field(default_factory=dict)
    p_best: dict[str, float] = Field(default_factory=dict)
    expected_cost_per_conversion: dict[str, CostInterval] = Field(default_factory=dict)
    explanation: tuple[str, ...] = ()
    explanation_phrases: tuple[Phrase, ...] = ()
    """The explanation as message ids and figures, shown in the reader's language; empty
    for a proposal made before analytics sent them (then the English text is shown)."""
    warnings: tuple[str, ...] = ()
    warning_phrases: tuple[Phrase, ...] = ()
    version: int | None = None
    event_id: str | None = None
    """The ``AllocationProposed`` event of this version (what the consumer would store)."""
    proposed_at: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    reasons: dict[str, str] = Field(default_factory=dict)
    """Per creative, why it gets its amount (the engine's sentence)."""
    reason_phrases: dict[str, Phrase] = Field(default_factory=dict)
    max_change_exempt: tuple[str, ...] = ()
    """Creatives the max-change guardrail does not hold (in learning, or ruled out)."""
    expected_conversions: float | None = None
    equal_split_expected_conversions: float | None = None
    earlier_campaigns: EarlierCampaignsSummary | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_stored_record(cls, value: Any) -> Any:
        # Analytics answers with the stored record: status, version and the decision at
        # the top, the engine's response under "proposal". The console reads one flat view.
        if isinstance(value, dict) and isinstance(value.get("proposal"), dict):
            proposal = value["proposal"]
            flat = {k: v for k, v in value.items() if k != "proposal"}
            for key in (
                "allocation",
                "p_best",
                "expected_cost_per_conversion",
                "explanation",
                "warnings",
                "explanation_phrases",
                "warning_phrases",
            ):
                if key in proposal:
                    flat[key] = proposal[key]
            for key in ("expected_conversions", "equal_split_expected_conversions"):
                if isinstance(proposal.get(key), int | float):
                    flat[key] = proposal[key]
            if isinstance(proposal.get("earlier_campaigns"), dict):
                flat["earlier_campaigns"] = proposal["earlier_campaigns"]
            lines = proposal.get("variants")
            if isinstance(lines, list):
                flat["reasons"] = {
                    str(line["variant_id"]): str(line["reason"])
                    for line in lines
                    if isinstance(line, dict) and "variant_id" in line and line.get("reason")
                }
                flat["reason_phrases"] = {
                    str(line["variant_id"]): line["reason_phrase"]
                    for line in lines
                    if isinstance(line, dict)
                    and "variant_id" in line
                    and isinstance(line.get("reason_phrase"), dict)
                }
                flat["max_change_exempt"] = tuple(
                    str(line["variant_id"])
                    for line in lines
                    if isinstance(line, dict)
                    and "variant_id" in line
                    and line.get("max_change_holds") is False
                )
            return flat
        return value

    @field_validator("explanation_phrases", "warning_phrases", "reason_phrases", mode="before")
    @classmethod
    def _readable_phrases(cls, value: Any) -> Any:
        # The phrases only translate the English texts beside them: when any cannot be
        # read, show the English texts rather than fail the whole proposal.
        try:
            if isinstance(value, dict):
                return {str(k): Phrase.model_validate(v) for k, v in value.items()}
            return tuple(Phrase.model_validate(v) for v in value or ())
        except (ValueError, TypeError):
            return {} if isinstance(value, dict) else ()

    @field_validator("warnings", mode="before")
    @classmethod
    def _warning_sentences(cls, value: Any) -> Any:
        # Warnings may come as sentences or as objects with a message; keep the sentence.
        if isinstance(value, list):
            return [w.get("message", str(w)) if isinstance(w, dict) else str(w) for w in value]
        return value


BATCH_TIMEOUT_S = 15.0
"""The batched funnels are a year of weeks of up to a hundred campaigns: their reader (the
overview) stops waiting at its own deadline, while the read may finish and be kept for
the next page view instead of being cut off and asked again."""

Decision = Literal["approved", "rejected"]
ANALYTICS_DECISIONS: dict[Decision, str] = {"approved": "approve", "rejected": "reject"}
"""The console's verdicts, in the words of analytics' decision endpoint."""

_Model = TypeVar("_Model", bound=BaseModel)


@runtime_checkable
class AnalyticsInsights(Protocol):
    """What the dashboard asks analytics; each raises AnalyticsUnavailable when it can't."""

    def campaign_funnel(self, campaign_id: str) -> CampaignFunnel | None: ...

    def campaign_funnels(
        self, tenant_id: str, campaign_ids: Sequence[str]
    ) -> dict[str, CampaignFunnel | None]:
        """Each campaign's funnel in one request, None for one without data (or not the
        tenant's); the employer overview's read of all its live campaigns."""
        ...

    def data_health(self, campaign_id: str) -> DataHealth | None: ...

    def insights(self, campaign_id: str) -> Insights | None: ...

    def allocation(self, campaign_id: str, week: str) -> AllocationProposal | None: ...

    def propose_allocation(self, campaign_id: str, week: str) -> AllocationProposal: ...

    def decide_allocation(
        self, campaign_id: str, week: str, *, decision: Decision, decided_by: str, note: str
    ) -> AllocationProposal | None: ...

    def close(self) -> None: ...


class HttpAnalyticsClient(ServiceClient):
    """Calls analytics' ``/v1`` API with the service token and a short timeout.

    405 counts as absent too: an analytics that does not offer a call yet has none.
    """

    service = "analytics"
    unavailable = AnalyticsUnavailable
    refused = AnalyticsRefused
    absent = frozenset({404, 405})

    def __init__(self, base_url: str, service_token: str, *, timeout_s: float = 2.0) -> None:
        super().__init__(base_url, service_token, timeout_s=timeout_s)

    def campaign_funnel(self, campaign_id: str) -> CampaignFunnel | None:
        found = self._get(f"/v1/campaigns/{campaign_id}/funnel", _Funnel)
        return None if found is None else found.to_domain()

    def campaign_funnels(
        self, tenant_id: str, campaign_ids: Sequence[str]
    ) -> dict[str, CampaignFunnel | None]:
        if not campaign_ids:
            return {}
        path = f"/v1/tenants/{quote(tenant_id, safe='')}/funnels"
        found = self._send(
            "GET", path, params={"campaign_id": list(campaign_ids)}, timeout_s=BATCH_TIMEOUT_S
        )
        if found is None:
            raise AnalyticsUnavailable("analytics does not offer batched funnels")
        answer = self._parse(found, _TenantFunnels)
        funnels = {f.campaign_id: f for f in answer.funnels}
        if answer.tenant_id != tenant_id or not funnels.keys() <= set(campaign_ids):
            log.error("analytics answered funnels not asked for; refusing them")
            raise AnalyticsUnavailable("analytics answered funnels not asked for")
        return {cid: funnels[cid].to_domain() if cid in funnels else None for cid in campaign_ids}

    def data_health(self, campaign_id: str) -> DataHealth | None:
        return self._get(f"/v1/campaigns/{campaign_id}/health", DataHealth)

    def insights(self, campaign_id: str) -> Insights | None:
        return self._get(f"/v1/campaigns/{campaign_id}/insights", Insights)

    def allocation(self, campaign_id: str, week: str) -> AllocationProposal | None:
        return self._get(f"/v1/campaigns/{campaign_id}/allocations/{week}", AllocationProposal)

    def propose_allocation(self, campaign_id: str, week: str) -> AllocationProposal:
        """Ask analytics to compute (idempotently) the proposal for ``week``."""
        found = self._send("POST", f"/v1/campaigns/{campaign_id}/allocations/{week}")
        if found is None:
            raise AnalyticsUnavailable("analytics cannot propose an allocation for it (404)")
        return self._parse(found, AllocationProposal)

    def decide_allocation(
        self, campaign_id: str, week: str, *, decision: Decision, decided_by: str, note: str
    ) -> AllocationProposal | None:
        """Record the marketer's decision; None when analytics has no such proposal."""
        body = {
            "decision": ANALYTICS_DECISIONS[decision],
            "by": decided_by,
            "note": note or None,
        }
        path = f"/v1/campaigns/{campaign_id}/allocations/{week}/decision"
        found = self._send("POST", path, body=body)
        return None if found is None else self._parse(found, AllocationProposal)

    def _get(self, path: str, model: type[_Model]) -> _Model | None:
        found = self._send("GET", path)
        return None if found is None else self._parse(found, model)
