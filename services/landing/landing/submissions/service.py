"""A candidate's journey through a landing page: each step is one transaction that
changes the landing database and queues the events it causes in the outbox.

Events carry ids, categories and scores, never the candidate's name, phone or e-mail.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import BinaryIO

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DataError, IntegrityError

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
from landing.errors import CampaignClosed, SubmissionRefused
from landing.pages import repository as pages
from landing.pages.repository import PublishedPage
from landing.privacy.repository import daily_salt
from landing.submissions import domain, repository
from landing.submissions.cv import CheckedCv
from landing.submissions.cvstore import CvStore
from landing.submissions.group_commit import GroupCommit
from landing.submissions.repository import Application, Lead, QuizResult
from landing.submissions.tokens import FormGrant, Visit, new_nonce
from landing.web.dbcalls import DatabaseCalls

log = logging.getLogger(__name__)

SOURCE = "landing"

Clock = Callable[[], datetime]

COMMITS_IN_FLIGHT = 4
"""On a database server: group commits (of views, of leads) that may overlap (worker
threads)."""


def refused_data(exc: Exception) -> bool:
    """A value the database would not store (PostgreSQL: NUL, too long; any driver: a
    lone surrogate): the fault of one submission, not of the database."""
    return isinstance(exc, DataError | UnicodeError)


@contextmanager
def _refused_as_candidate_error(page: PublishedPage, entry_point: str) -> Iterator[None]:
    """A submission the database refused is the candidate's form error (422), never a
    500; the log names the campaign and the kind of error, never the values."""
    try:
        yield
    except (DataError, UnicodeError) as exc:
        log.warning(
            "the database refused a submission",
            extra={
                "campaign_id": page.campaign_id,
                "entry_point": entry_point,
                "error": type(getattr(exc, "orig", None) or exc).__name__,
            },
        )
        raise SubmissionRefused() from None


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
class _Submission:
    """A lead (with its application, for "apply") and its events, ready to store."""

    lead: Lead
    application: Application | None
    events: list[Envelope]


@dataclass(frozen=True)
class Upload:
    """A CV that passed ``cv.check_cv``: the open file and what it is."""

    data: BinaryIO
    filename: str
    checked: CheckedCv


class Journeys:
    def __init__(
        self,
        engine: Engine,
        database: DatabaseCalls,
        clock: Clock,
        cv_store: CvStore | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._cv_store = cv_store
        self._salt: tuple[date, str] | None = None  # today's, once read
        self._database = database
        in_flight = 1 if self._database.in_line else COMMITS_IN_FLIGHT
        self._views: GroupCommit[Envelope, None] = GroupCommit(
            self._store_events, self._database.run, commits_in_flight=in_flight
        )
        self._leads: GroupCommit[_Submission, Lead | None] = GroupCommit(
            self._store_submissions,
            self._database.run,
            commits_in_flight=in_flight,
            isolate=refused_data,
        )

    def now(self) -> datetime:
        return self._clock()

    async def view_page(
        self, page: PublishedPage, variant_id: str, utm: dict[str, str], visitor: Visitor
    ) -> Visit:
        """A new visit: count it (PageViewed, committed before this returns) and return
        what its links carry along. Views arriving together share a commit
        (``group_commit.py``)."""
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
        await self._views.submit(_event(page, viewed, now))
        return visit

    def _store_events(self, events: Sequence[Envelope]) -> list[None]:
        with transaction(self._engine) as conn:
            add_to_outbox(conn, *events)
        return [None] * len(events)

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
        return FormGrant(visit=visit, entry_point=entry_point, nonce=new_nonce(), served_at=now)

    async def submit_lead(
        self,
        page: PublishedPage,
        grant: FormGrant,
        lead: domain.ValidLead,
        *,
        consent_text: str,
        language: str,
    ) -> Lead:
        """Store the lead with its event before this returns; leads arriving together
        share a commit (``group_commit.py``). A second submit of the same form changes
        nothing and returns the lead stored the first time."""
        submission = self._submission(page, grant, lead, consent_text, language, None)
        with _refused_as_candidate_error(page, "lead"):
            stored = await self._leads.submit(submission)
        if stored is None:
            raise CampaignClosed()
        return stored

    def submit_application(
        self,
        page: PublishedPage,
        grant: FormGrant,
        lead: domain.ValidLead,
        *,
        consent_text: str,
        language: str,
        upload: Upload | None,
    ) -> Lead:
        """Store the application, its CV and its events in one transaction of its own
        (a CV is seconds of upload; nothing would share its commit); once per form."""
        submission = self._submission(page, grant, lead, consent_text, language, upload)
        with _refused_as_candidate_error(page, "apply"):
            stored = self._store_submissions([submission])[0]
        if stored is None:
            raise CampaignClosed()
        return stored

    def _submission(
        self,
        page: PublishedPage,
        grant: FormGrant,
        lead: domain.ValidLead,
        consent_text: str,
        language: str,
        upload: Upload | None,
    ) -> _Submission:
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
        return _Submission(stored, application, [_event(page, e, now) for e in events])

    def _store_submissions(self, batch: Sequence[_Submission]) -> list[Lead | None]:
        """Store new submissions with their events in one transaction; one lead per form
        nonce, so a repeated nonce (a double submit, now or before) gets the first lead.
        A new submission to a campaign paused since its form was opened is not stored
        (None): checked here, in the transaction, because pages are cached a while."""
        try:
            with transaction(self._engine) as conn:
                stored = repository.find_leads_by_nonce(conn, (s.lead.form_nonce for s in batch))
                quizzes = repository.existing_quiz_results(
                    conn, (s.lead.quiz_result_id for s in batch if s.lead.quiz_result_id)
                )
                open_campaigns = pages.published_campaigns(
                    conn, (s.lead.campaign_id for s in batch if s.lead.form_nonce not in stored)
                )
                fresh: list[_Submission] = []
                for submission in batch:
                    lead = submission.lead
                    if lead.form_nonce in stored or lead.campaign_id not in open_campaigns:
                        continue
                    if lead.quiz_result_id is not None and lead.quiz_result_id not in quizzes:
                        lead = replace(lead, quiz_result_id=None)  # erased meanwhile
                    stored[lead.form_nonce] = lead
                    fresh.append(submission)
                repository.insert_leads(conn, *(stored[s.lead.form_nonce] for s in fresh))
                for submission in fresh:
                    if submission.application is not None:
                        repository.insert_application(conn, submission.application)
                add_to_outbox(conn, *(event for s in fresh for event in s.events))
        except IntegrityError:
            # Another process stored one of these nonces since the lookup (a database
            # server lets it): the others must not fail with it, so each goes alone.
            if len(batch) == 1:
                self._forget_cv(batch[0].application)
                with self._engine.connect() as conn:
                    first = repository.find_lead_by_nonce(conn, batch[0].lead.form_nonce)
                if first is None:
                    raise
                return [first]
            return [self._store_submissions([submission])[0] for submission in batch]
        except BaseException:
            for submission in batch:
                self._forget_cv(submission.application)
            raise
        results = [stored.get(submission.lead.form_nonce) for submission in batch]
        for submission, kept in zip(batch, results, strict=True):
            if kept is None or kept.lead_id != submission.lead.lead_id:
                self._forget_cv(submission.application)  # a repeat or closed: not kept
        return results

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
                if not pages.published_campaigns(conn, [page.campaign_id]):
                    raise CampaignClosed()  # paused since the quiz was opened
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
        salt = daily_salt(conn, now.date(), now)
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
