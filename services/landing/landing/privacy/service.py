"""Candidate data on request and on schedule: status changes from the console, export
(GDPR access), erasure (lead, answers, CV file, outbox rows), and the retention job.

Rows go in one transaction per candidate; CV files are deleted after that transaction
commits (a file without a row is harmless and swept later; a row without its file would
be a broken promise). The retention job also sweeps CV files no row points at (left by a
crash between writing a file and committing its row) and visitor salts older than 48 h.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from koers.db import transaction
from landing.contacts import repository as contacts
from landing.errors import LeadNotFound, StatusChangeRefused
from landing.pages import repository as pages
from landing.privacy import domain, repository
from landing.privacy.domain import LEAD_STATUSES, CandidateKey
from landing.submissions import repository as submissions
from landing.submissions.cvstore import CvStore
from landing.submissions.repository import Lead

ORPHAN_GRACE = timedelta(hours=1)  # an upload may be written but not yet committed

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class ErasureReport:
    leads: int = 0
    cv_files: int = 0
    outbox_rows: int = 0
    lead_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetentionReport:
    erased: dict[str, int] = field(default_factory=dict)
    cv_files: int = 0
    outbox_rows: int = 0
    anonymous_quiz_results: int = 0
    visitor_salts: int = 0
    orphan_cv_files: int = 0

    @property
    def total_leads(self) -> int:
        return sum(self.erased.values())

    def line(self) -> str:
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(self.erased.items())) or "none"
        return (
            f"retention: erased {self.total_leads} candidate(s) ({reasons}); "
            f"{self.cv_files} CV file(s), {self.outbox_rows} outbox row(s), "
            f"{self.anonymous_quiz_results} anonymous quiz result(s), "
            f"{self.visitor_salts} visitor salt(s), {self.orphan_cv_files} orphan CV file(s)"
        )


class Privacy:
    def __init__(self, engine: Engine, cv_store: CvStore, clock: Clock) -> None:
        self._engine = engine
        self._cv_store = cv_store
        self._clock = clock

    # --- the console's changes -----------------------------------------------------------

    def update_status(
        self,
        tenant_id: str,
        lead_id: uuid.UUID,
        status: str,
        *,
        procedure_ended_at: datetime | None = None,
        consent_withdrawn: bool = False,
    ) -> Lead:
        """Record how the procedure goes; "rejected" ends it (now, unless given)."""
        if status not in LEAD_STATUSES:
            raise StatusChangeRefused(f"status must be one of {', '.join(LEAD_STATUSES)}")
        now = self._clock()
        if status == "rejected" and procedure_ended_at is None:
            procedure_ended_at = now
        with transaction(self._engine) as conn:
            lead = submissions.get_lead(conn, lead_id)
            if lead is None or lead.tenant_id != tenant_id:
                raise LeadNotFound(f"no lead {lead_id} for tenant {tenant_id!r}")
            submissions.update_lead_status(
                conn,
                lead_id,
                status=status,
                now=now,
                procedure_ended_at=procedure_ended_at,
                consent_withdrawn_at=now if consent_withdrawn else None,
            )
            updated = submissions.get_lead(conn, lead_id)
        assert updated is not None
        return updated

    # --- export and erasure --------------------------------------------------------------

    def export(self, tenant_id: str, key: CandidateKey) -> dict[str, Any]:
        """Everything this service holds about a candidate, as one JSON document."""
        with self._engine.connect() as conn:
            found = repository.find_candidate_leads(
                conn, tenant_id, lead_id=key.lead_id, email=key.email, phone_e164=key.phone_e164
            )
            documents = []
            for lead in found:
                document = lead.public_fields()
                application = submissions.get_application(conn, lead.lead_id)
                document["application"] = (
                    {
                        "motivation": application.motivation,
                        "cv_filename": application.cv_filename,
                        "cv_kind": application.cv_kind,
                        "cv_bytes": application.cv_bytes,
                    }
                    if application
                    else None
                )
                document["quiz"] = self._quiz_document(conn, lead)
                document["contacts"] = [
                    {"kind": c.kind, "channel": c.channel, "at": c.at.isoformat()}
                    for c in contacts.contacts_of(conn, [lead.lead_id])[lead.lead_id]
                ]
                documents.append(document)
        return {
            "tenant_id": tenant_id,
            "exported_at": self._clock().isoformat(),
            "candidates": documents,
        }

    @staticmethod
    def _quiz_document(conn: Any, lead: Lead) -> dict[str, Any] | None:
        if lead.quiz_result_id is None:
            return None
        result = submissions.get_quiz_result(conn, lead.quiz_result_id)
        if result is None:
            return None
        page = pages.find_page_by_campaign(conn, lead.campaign_id)
        questions = page.campaign.page.quiz if page else ()
        answers = []
        for index, chosen in enumerate(result.answers):
            entry: dict[str, Any] = {"question_index": index, "option_index": chosen}
            if index < len(questions) and chosen < len(questions[index].options):
                entry["question"] = questions[index].question
                entry["answer"] = questions[index].options[chosen].label
            answers.append(entry)
        return {
            "answers": answers,
            "score": result.score,
            "qualified": result.qualified,
            "completed_at": result.created_at.isoformat(),
        }

    def erase(self, tenant_id: str, key: CandidateKey) -> ErasureReport:
        with self._engine.connect() as conn:
            found = repository.find_candidate_leads(
                conn, tenant_id, lead_id=key.lead_id, email=key.email, phone_e164=key.phone_e164
            )
        return self._erase_all(found)

    def erase_lead_by_id(self, tenant_id: str, lead_id: uuid.UUID) -> ErasureReport:
        return self.erase(tenant_id, CandidateKey(lead_id=lead_id))

    def _erase_all(self, found: list[Lead]) -> ErasureReport:
        files = outbox_rows = 0
        for lead in found:
            rows, removed_file = self._erase_one(lead)
            outbox_rows += rows
            files += removed_file
        return ErasureReport(
            leads=len(found),
            cv_files=files,
            outbox_rows=outbox_rows,
            lead_ids=tuple(str(lead.lead_id) for lead in found),
        )

    def _erase_one(self, lead: Lead) -> tuple[int, int]:
        with transaction(self._engine) as conn:
            application = submissions.get_application(conn, lead.lead_id)
            outbox_rows = repository.delete_lead(conn, lead)
        removed = 0
        if application is not None and application.cv_file:
            removed = int(self._cv_store.delete(application.cv_file))
        return outbox_rows, removed

    # --- retention -----------------------------------------------------------------------

    def run_retention(self) -> RetentionReport:
        """Apply the retention rules once; running it again at once erases nothing."""
        now = self._clock()
        with self._engine.connect() as conn:
            candidates = repository.leads_for_retention(conn)
        reasons: Counter[str] = Counter()
        files = outbox_rows = 0
        for lead in candidates:
            reason = domain.erasure_reason(lead, now)
            if reason is None:
                continue
            rows, removed = self._erase_one(lead)
            reasons[reason] += 1
            outbox_rows += rows
            files += removed
        with transaction(self._engine) as conn:
            quiz = repository.delete_old_quiz_results(conn, now - domain.ANONYMOUS_QUIZ_KEPT_FOR)
            salts = repository.discard_old_salts(conn, now)
            referenced = repository.stored_cv_files(conn)
        orphans = 0
        for name, modified in list(self._cv_store.names()):
            if name not in referenced and now - modified > ORPHAN_GRACE:
                orphans += int(self._cv_store.delete(name))
        return RetentionReport(
            erased=dict(reasons),
            cv_files=files,
            outbox_rows=outbox_rows,
            anonymous_quiz_results=quiz,
            visitor_salts=salts,
            orphan_cv_files=orphans,
        )
