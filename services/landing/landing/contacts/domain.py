"""Rules of the contact history. Pure: values in, values out.

A reply answers an attempt, so it needs one first; a lead replies once (the reply is
what analytics counts as "reached", and counting it twice would count two). The first
attempt moves a new lead to "contacted", as recording that outcome by hand would.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from landing.contacts.repository import Contact

CONTACT_CHANNELS = ("whatsapp", "phone", "email", "linkedin")


class ContactRefused(ValueError):
    """The contact cannot be recorded; the message says why."""


def check_contact(kind: str, history: Sequence[Contact]) -> None:
    if kind == "reply":
        if not any(c.kind == "attempt" for c in history):
            raise ContactRefused("A reply can only be marked after a contact attempt.")
        if any(c.kind == "reply" for c in history):
            raise ContactRefused("This candidate's reply is already marked.")


def contact_moment(requested: datetime, lead_created_at: datetime) -> datetime:
    """Never before the lead existed: a console clock a little behind ours must not make
    a time to first contact negative."""
    return max(requested, lead_created_at)


def status_after(kind: str, status: str) -> str | None:
    """The lead's new status after this contact, or None to leave it."""
    return "contacted" if kind == "attempt" and status == "new" else None
