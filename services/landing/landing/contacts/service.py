"""Recording a contact: check the history, store the attempt or reply, move the status."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Engine

from koers.db import transaction
from landing.contacts import repository
from landing.contacts.domain import ContactRefused, check_contact, contact_moment, status_after
from landing.errors import ContactConflict, LeadNotFound
from landing.submissions import repository as submissions


def record_contact(
    engine: Engine,
    tenant_id: str,
    lead_id: uuid.UUID,
    *,
    kind: str,
    channel: str,
    at: datetime,
    recruiter_id: str,
) -> repository.Contact:
    with transaction(engine) as conn:
        lead = submissions.get_lead(conn, lead_id)
        if lead is None or lead.tenant_id != tenant_id:
            raise LeadNotFound(f"no lead {lead_id} for tenant {tenant_id!r}")
        history = repository.contacts_of(conn, [lead_id])[lead_id]
        try:
            check_contact(kind, history)
        except ContactRefused as exc:
            raise ContactConflict(str(exc)) from exc
        contact = repository.Contact(
            id=uuid.uuid4(),
            lead_id=lead_id,
            kind=kind,
            channel=channel,
            at=contact_moment(at, lead.created_at),
            recruiter_id=recruiter_id,
        )
        repository.add_contact(conn, contact)
        if new_status := status_after(kind, lead.status):
            submissions.update_lead_status(
                conn,
                lead_id,
                status=new_status,
                now=contact.at,
                procedure_ended_at=None,
                consent_withdrawn_at=None,
            )
    return contact
