"""A candidate's journey through a landing page: each step is one transaction that
changes the landing database and queues the events it causes in the outbox.

Events carry ids, categories and scores, never the candidate's name, phone or e-mail.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import BinaryIO

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from koers.db import transaction
from koers.events import (
    ApplicationSubmitted,
    EntryPoint,
    EntryStarted,
    Envelope,
    LeadSubmitted,
    PageViewed,
    Payload,
    QuizCompleted,
    new_envelope,
)
from koers.messaging.outbox import add_to_outbox
from landing import domain, repository
from landing.cv import CheckedCv
from landing.cvstore import CvStore
from landing.dbcalls import DatabaseCalls
from landing.repository import Application, Lead, PublishedPage, QuizResult
from landing.tokens import FormGrant, Visit, new_nonce
from landing.view_log import ViewLog

SOURCE = "landing"

Clock = Callable[[], datetime]

VIEW_COMMITS_IN_FLIGHT = 4
"""On a database server: page-view commits that may overlap (worker threads)."""


@dataclass(frozen=True)
class Visitor:
    """Who is asking, as far as counting goes; neither value is ever stored."""

    client_ip: str
    user_agent: str


def _event(page: PublishedPage, payload: Payload, occurred_at: datetime) -> Envelope:
    return new_envelope(
        payload,
        source=SOURCE,
        tenant_id=page.tenant_id,
        campaign_id=page.campaign_id,
        occurred_at=occurred_at,
    )


@dataclass(frozen=True)
class Upload:
    """A CV that passed ``cv.check_cv``: the open file and what it is."""

    data: BinaryIO
    filename: str
    checked: CheckedCv


class Journeys:
    def __init__(self, engine: Engine, clock: Clock, cv_store: CvStore | None = None) -> None:
        self._engine = engine
        self._clock = clock
        self._cv_store = cv_store
        self._salt: tuple[date, str] | None = None  # today's, once read
        self._database = DatabaseCalls(engine)
        self._views = ViewLog(
            self._store_events,
            self._database.run,
            commits_in_flight=1 if self._database.in_line else VIEW_COMMITS_IN_FLIGHT,
        )

    def now(self) -> datetime:
        return self._clock()

    async def view_page(
        self, page: PublishedPage, variant_id: str, utm: dict[str, str], visitor: Visitor
    ) -> Visit:
        """A new visit: count it (PageViewed, committed before this returns) and return
        what its links carry along. Views arriving together share a commit
        (``view_log.py``)."""
        now = self._clock()
        salt = self._cached_salt(now)
        if salt is None:
            salt = await self._database.run(self._read_salt, now)
        visit = self._visit(page, variant_id, utm, visitor, salt, now)
        viewed = PageViewed(
            variant_id=variant_id,
            visitor_key=visit.visitor_key,
            visited_at=now,
            utm_source=utm.get("utm_source"),
        )
        await self._views.record(_event(page, viewed, now))
        return visit

    def _store_events(self, events: Sequence[Envelope]) -> None:
        with transaction(self._engine) as conn:
            add_to_outbox(conn, *events)

    def start_entry(
        self,
        page: PublishedPage,
        entry_point: EntryPoint,
        visit: Visit | None,
        variant_id: str,
        utm: dict[str, str],
        visitor: Visitor,
    ) -> FormGrant:
        """The candidate opened a form (EntryStarted); ``visit`` is None when they came
        straight to it, which starts a visit there and then."""
        now = self._clock()
        with transaction(self._engine) as conn:
            if visit is None:
                visit = self._new_visit(conn, page, variant_id, utm, visitor, now)
            started = EntryStarted(
                variant_id=visit.variant_id,
                visitor_key=visit.visitor_key,
                visited_at=visit.visited_at,
                entry_point=entry_point,
            )
            add_to_outbox(conn, _event(page, started, now))
        return FormGrant(visit=visit, entry_point=entry_point, nonce=new_nonce())

    def submit_lead(
        self,
        page: PublishedPage,
        grant: FormGrant,
        lead: domain.ValidLead,
        *,
        consent_text: str,
        language: str,
        upload: Upload | None = None,
    ) -> Lead:
        """Store the lead (and, for "apply", the application and its CV) with its events
        in one transaction; a second submit of the same form changes nothing and returns
        the lead stored the first time."""
        now = self._clock()
        visit = grant.visit
        snapshot = page.campaign.page
        stored = Lead(
            lead_id=uuid.uuid4(),
            tenant_id=page.tenant_id,
            campaign_id=page.campaign_id,
            variant_id=visit.variant_id,
            entry_point=grant.entry_point,
            name=lead.name,
            phone_e164=lead.phone_e164,
            email=lead.email,
            contact_channel=lead.contact_channel,
            best_moment=lead.best_moment,
            consent_text=consent_text,
            consented_at=now,
            form_nonce=grant.nonce,
            utm=visit.utm,
            visited_at=visit.visited_at,
            created_at=now,
            language=language,
            quiz_result_id=_uuid_or_none(visit.quiz_result_id),
            talent_pool=lead.talent_pool,
            keep_until=now + timedelta(days=domain.consent_days(snapshot.consent_months)),
        )
        events: list[Payload] = [
            LeadSubmitted(
                variant_id=visit.variant_id,
                visitor_key=visit.visitor_key,
                visited_at=visit.visited_at,
                lead_id=str(stored.lead_id),
                contact_channel=lead.contact_channel,
            )
        ]
        application: Application | None = None
        if grant.entry_point == "apply":
            events.append(
                ApplicationSubmitted(
                    variant_id=visit.variant_id,
                    visitor_key=visit.visitor_key,
                    visited_at=visit.visited_at,
                    application_id=str(stored.lead_id),
                )
            )
            application = Application(
                lead_id=stored.lead_id,
                cv_file=None,
                cv_filename=None,
                cv_kind=None,
                cv_bytes=None,
                motivation=lead.motivation,
            )
        if application is not None and upload is not None:
            if self._cv_store is None:
                raise RuntimeError("a CV arrived but no CV store is configured")
            application = replace(
                application,
                cv_file=self._cv_store.save(upload.data),
                cv_filename=domain.safe_filename(upload.filename, upload.checked.kind),
                cv_kind=upload.checked.kind,
                cv_bytes=upload.checked.size,
            )
        try:
            with transaction(self._engine) as conn:
                if stored.quiz_result_id is not None and not repository.get_quiz_result(
                    conn, stored.quiz_result_id
                ):
                    stored = replace(stored, quiz_result_id=None)
                repository.insert_leads(conn, stored)
                if application is not None:
                    repository.insert_application(conn, application)
                add_to_outbox(conn, *(_event(page, e, now) for e in events))
        except IntegrityError:
            self._forget_cv(application)
            with self._engine.connect() as conn:
                first = repository.find_lead_by_nonce(conn, grant.nonce)
            if first is None:
                raise
            return first
        except BaseException:
            self._forget_cv(application)
            raise
        return stored

    def _forget_cv(self, application: Application | None) -> None:
        if self._cv_store is not None and application is not None and application.cv_file:
            self._cv_store.delete(application.cv_file)

    def complete_quiz(
        self, page: PublishedPage, grant: FormGrant, result: domain.QuizScore
    ) -> uuid.UUID:
        """Store the quiz result and QuizCompleted; a double submit stores it once.
        Returns the id of the stored result."""
        now = self._clock()
        visit = grant.visit
        completed = QuizCompleted(
            variant_id=visit.variant_id,
            visitor_key=visit.visitor_key,
            visited_at=visit.visited_at,
            score=result.score,
            qualified=result.qualified,
        )
        record = QuizResult(
            id=uuid.uuid4(),
            tenant_id=page.tenant_id,
            campaign_id=page.campaign_id,
            variant_id=visit.variant_id,
            answers=list(result.answers),
            score=result.score,
            qualified=result.qualified,
            form_nonce=grant.nonce,
            created_at=now,
        )
        try:
            with transaction(self._engine) as conn:
                repository.insert_quiz_results(conn, record)
                add_to_outbox(conn, _event(page, completed, now))
        except IntegrityError:
            # The same quiz form submitted twice: it counted the first time.
            with self._engine.connect() as conn:
                first = repository.find_quiz_result_by_nonce(conn, grant.nonce)
            if first is None:
                raise
            return first
        return record.id

    def quiz_result(self, result_id: str | None) -> QuizResult | None:
        key = _uuid_or_none(result_id)
        if key is None:
            return None
        with self._engine.connect() as conn:
            return repository.get_quiz_result(conn, key)

    def _new_visit(
        self,
        conn: Connection,
        page: PublishedPage,
        variant_id: str,
        utm: dict[str, str],
        visitor: Visitor,
        now: datetime,
    ) -> Visit:
        salt = self._cached_salt(now) or self._salt_in(conn, now)
        return self._visit(page, variant_id, utm, visitor, salt, now)

    def _cached_salt(self, now: datetime) -> str | None:
        cached = self._salt
        return cached[1] if cached is not None and cached[0] == now.date() else None

    def _read_salt(self, now: datetime) -> str:
        with transaction(self._engine) as conn:
            return self._salt_in(conn, now)

    def _salt_in(self, conn: Connection, now: datetime) -> str:
        salt = repository.daily_salt(conn, now.date(), now)
        self._salt = (now.date(), salt)
        return salt

    @staticmethod
    def _visit(
        page: PublishedPage,
        variant_id: str,
        utm: dict[str, str],
        visitor: Visitor,
        salt: str,
        now: datetime,
    ) -> Visit:
        key = domain.visitor_key(salt, page.campaign_id, visitor.client_ip, visitor.user_agent)
        return Visit(
            campaign_id=page.campaign_id,
            variant_id=variant_id,
            visited_at=now,
            visitor_key=key,
            utm=utm,
        )


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
