"""Internal JSON API (service token) for candidate data, next to it: GDPR export and
erasure, and ``POST /internal/v1/retention``, which runs the retention job once.

The daily Airflow job (``deploy/airflow/dags/koers_daily_retention.py``) calls the
retention route, because Airflow runs in its own containers and must not reach the
landing database or its CV volume; the rules and the erasure stay here, next to the data
(see ``service.py``). It does what ``koers-landing retention`` does and answers with the
same counts. Running it twice in a row erases nothing the second time. Guarded by the
service token like the rest of ``/internal/v1`` (wired in ``main.create_app``).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from koers.text import StorableInput
from landing.privacy.domain import CandidateKey
from landing.privacy.service import RetentionReport
from landing.web.deps import PrivacyDep

log = logging.getLogger(__name__)

router = APIRouter(prefix="/internal/v1", tags=["internal"])


class CandidateRequest(StorableInput):
    """Names a candidate for export or erasure: any of these, within the tenant."""

    model_config = ConfigDict(extra="forbid")

    lead_id: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)


class ErasureOut(BaseModel):
    leads: int
    cv_files: int
    outbox_rows: int
    lead_ids: list[str]


class RetentionOut(BaseModel):
    """What one retention run removed; counts only, never whose data it was."""

    erased: dict[str, int] = Field(
        description="Candidates erased, per reason (consent_withdrawn, "
        "rejected_procedure_ended, consent_expired); reasons with none are left out.",
        examples=[{"consent_expired": 2}],
    )
    total_leads: int = Field(description="Candidates erased, all reasons together.")
    cv_files: int
    outbox_rows: int = Field(description="Unsent events about the erased candidates.")
    anonymous_quiz_results: int
    visitor_salts: int = Field(description="Daily visitor salts past their 48 hours.")
    orphan_cv_files: int = Field(description="CV files no row pointed at.")
    summary: str = Field(description="The same one-line summary the CLI prints.")

    @classmethod
    def of(cls, report: RetentionReport) -> RetentionOut:
        return cls(
            erased=dict(report.erased),
            total_leads=report.total_leads,
            cv_files=report.cv_files,
            outbox_rows=report.outbox_rows,
            anonymous_quiz_results=report.anonymous_quiz_results,
            visitor_salts=report.visitor_salts,
            orphan_cv_files=report.orphan_cv_files,
            summary=report.line(),
        )


@router.post("/tenants/{tenant_id}/candidates/export")
def export_candidate(
    tenant_id: str, request: CandidateRequest, privacy: PrivacyDep
) -> dict[str, Any]:
    """Everything held about a candidate (leads, applications, quiz answers) as JSON."""
    key = CandidateKey.parse(request.lead_id, request.email, request.phone)
    return privacy.export(tenant_id, key)


@router.post("/tenants/{tenant_id}/candidates/erase", response_model=ErasureOut)
def erase_candidate(tenant_id: str, request: CandidateRequest, privacy: PrivacyDep) -> ErasureOut:
    """Erase a candidate now: leads, applications, quiz answers, CV files, outbox rows."""
    key = CandidateKey.parse(request.lead_id, request.email, request.phone)
    report = privacy.erase(tenant_id, key)
    return ErasureOut(
        leads=report.leads,
        cv_files=report.cv_files,
        outbox_rows=report.outbox_rows,
        lead_ids=list(report.lead_ids),
    )


@router.post("/retention", response_model=RetentionOut)
def run_retention(privacy: PrivacyDep) -> RetentionOut:
    """Erase candidate data past its retention now (the daily job); returns the counts."""
    report = privacy.run_retention()
    log.info("%s", report.line())
    return RetentionOut.of(report)
