"""A candidate's journey through a landing page: each step is one transaction that
changes the landing database and queues the events it causes in the outbox.

Events carry ids, categories and scores, never the candidate's name, phone or e-mail.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

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
from landing.repository import Lead, PublishedPage, QuizResult
from landing.tokens import FormGrant, Visit, new_nonce

SOURCE = "landing"

Clock = Callable[[], datetime]


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


class Journeys:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def view_page(
        self, page: PublishedPage, variant_id: str, utm: dict[str, str], visitor: Visitor
    ) -> Visit:
        """A new visit: count it (PageViewed) and return what its links carry along."""
        now = self._clock()
        with transaction(self._engine) as conn:
            visit = self._new_visit(conn, page, variant_id, utm, visitor, now)
            viewed = PageViewed(
                variant_id=variant_id,
                visitor_key=visit.visitor_key,
                visited_at=now,
                utm_source=utm.get("utm_source"),
            )
            add_to_outbox(conn, _event(page, viewed, now))
        return visit

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

    def submit_lead(self, page: PublishedPage, grant: FormGrant, lead: domain.ValidLead) -> Lead:
        """Store the lead and its events at once; a second submit of the same form
        changes nothing and returns the lead stored the first time."""
        now = self._clock()
        visit = grant.visit
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
            consent_text=domain.consent_text(page.campaign.page.employer_name),
            consented_at=now,
            form_nonce=grant.nonce,
            utm=visit.utm,
            visited_at=visit.visited_at,
            created_at=now,
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
        if grant.entry_point == "apply":
            events.append(
                ApplicationSubmitted(
                    variant_id=visit.variant_id,
                    visitor_key=visit.visitor_key,
                    visited_at=visit.visited_at,
                    application_id=str(stored.lead_id),
                )
            )
        try:
            with transaction(self._engine) as conn:
                repository.insert_leads(conn, stored)
                add_to_outbox(conn, *(_event(page, e, now) for e in events))
        except IntegrityError:
            with self._engine.connect() as conn:
                first = repository.find_lead_by_nonce(conn, grant.nonce)
            if first is None:
                raise
            return first
        return stored

    def complete_quiz(
        self, page: PublishedPage, grant: FormGrant, result: domain.QuizScore
    ) -> None:
        """Store the quiz result and QuizCompleted; a double submit stores it once."""
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
            return  # the same quiz form submitted twice: it counted the first time

    @staticmethod
    def _new_visit(
        conn: Connection,
        page: PublishedPage,
        variant_id: str,
        utm: dict[str, str],
        visitor: Visitor,
        now: datetime,
    ) -> Visit:
        salt = repository.daily_salt(conn, now.date(), now)
        key = domain.visitor_key(salt, page.campaign_id, visitor.client_ip, visitor.user_agent)
        return Visit(
            campaign_id=page.campaign_id,
            variant_id=variant_id,
            visited_at=now,
            visitor_key=key,
            utm=utm,
        )
