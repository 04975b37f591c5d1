"""Signed tokens that carry a visit through the journey without a cookie.

- A *visit token* rides along in the entry-point links of a landing page, so the quiz,
  lead form and apply form know when the visit started (``visited_at``) and which
  creative brought it. A missing or broken one simply starts a new visit.
- A *form token* is the hidden field of every form: it binds the submission to one
  campaign, entry point, visit and random nonce (the nonce makes a double submit
  idempotent), and says when the form was served (the bot timing check counts from
  then, not from the visit, whose token may open any number of forms). A broken,
  foreign or expired one is refused.
- A *receipt token* is the candidate's proof of a submission: the thank-you page reads
  the channel from it, and its withdrawal link lets them withdraw consent (which erases
  their data) without an account.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from itsdangerous import (
    BadSignature,
    SignatureExpired,
    Signer,
    TimestampSigner,
    URLSafeTimedSerializer,
)
from itsdangerous.encoding import base64_encode
from itsdangerous.url_safe import URLSafeSerializerMixin

from koers.events import EntryPoint
from landing.errors import FormTokenExpired, FormTokenInvalid

FORM_TOKEN_MAX_AGE_S = 24 * 3600
VISIT_TOKEN_MAX_AGE_S = 24 * 3600
RECEIPT_TOKEN_MAX_AGE_S = 400 * 24 * 3600  # longer than any data is kept


@dataclass(frozen=True)
class Visit:
    campaign_id: str
    variant_id: str
    visited_at: datetime
    visitor_key: str
    utm: dict[str, str] = field(default_factory=dict)
    quiz_result_id: str | None = None
    """The quiz this visit finished, so a lead left afterwards is linked to its answers."""


@dataclass(frozen=True)
class FormGrant:
    visit: Visit
    entry_point: EntryPoint
    nonce: str
    served_at: datetime
    """When the form was served to the candidate."""


@dataclass(frozen=True)
class Receipt:
    campaign_id: str
    lead_id: str
    contact_channel: str
    entry_point: str


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class TokenSigner:
    """Signs and reads visit and form tokens; ``clock`` returns epoch seconds."""

    def __init__(self, secret_key: str, clock: Callable[[], float] = time.time) -> None:
        class ClockedSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock())

        self._visits = _Serializer(secret_key, salt="koers-landing-visit", signer=ClockedSigner)
        self._forms = _Serializer(secret_key, salt="koers-landing-form", signer=ClockedSigner)
        self._receipts = _Serializer(secret_key, salt="koers-landing-receipt", signer=ClockedSigner)

    def sign_visit(self, visit: Visit) -> str:
        return self._visits.dumps(_visit_document(visit))

    def read_visit(self, token: str | None, campaign_id: str) -> Visit | None:
        """The visit a link carried, or None (absent, tampered, expired or foreign)."""
        if not token:
            return None
        try:
            document = self._visits.loads(token, max_age=VISIT_TOKEN_MAX_AGE_S)
            visit = _visit_from(document)
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        return visit if visit.campaign_id == campaign_id else None

    def sign_form(self, grant: FormGrant) -> str:
        document = {
            **_visit_document(grant.visit),
            "e": grant.entry_point,
            "n": grant.nonce,
            "s": grant.served_at.isoformat(),
        }
        return self._forms.dumps(document)

    def read_form(self, token: str, *, campaign_id: str, entry_point: EntryPoint) -> FormGrant:
        """The grant of a submitted form; raises when it cannot be trusted."""
        try:
            document, signed_at = self._forms.loads(
                token, max_age=FORM_TOKEN_MAX_AGE_S, return_timestamp=True
            )
        except SignatureExpired as exc:
            raise FormTokenExpired() from exc
        except BadSignature as exc:
            raise FormTokenInvalid() from exc
        try:
            grant = FormGrant(
                visit=_visit_from(document),
                entry_point=document["e"],
                nonce=str(document["n"]),
                # Tokens signed before "s" existed: the signature's time is when it was
                # served, to the second.
                served_at=_aware(document["s"]) if "s" in document else signed_at,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FormTokenInvalid() from exc
        if grant.visit.campaign_id != campaign_id or grant.entry_point != entry_point:
            raise FormTokenInvalid("form_foreign")
        return grant

    def sign_receipt(self, receipt: Receipt) -> str:
        return self._receipts.dumps(
            {
                "c": receipt.campaign_id,
                "l": receipt.lead_id,
                "ch": receipt.contact_channel,
                "e": receipt.entry_point,
            }
        )

    def read_receipt(self, token: str | None, campaign_id: str) -> Receipt | None:
        """The receipt a thank-you or withdrawal link carries, or None."""
        if not token:
            return None
        try:
            document = self._receipts.loads(token, max_age=RECEIPT_TOKEN_MAX_AGE_S)
            receipt = Receipt(
                campaign_id=str(document["c"]),
                lead_id=str(document["l"]),
                contact_channel=str(document["ch"]),
                entry_point=str(document["e"]),
            )
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        return receipt if receipt.campaign_id == campaign_id else None


class _Serializer(URLSafeTimedSerializer):
    """itsdangerous' URL-safe timed tokens, cheaper to make: every landing page view
    signs one. The signer is built once instead of per token, and the payload is not
    zlib-compressed: trying zlib on each small payload took about a third of the
    signing time to save a few dozen bytes. The format is unchanged (a compressed
    payload is marked), so tokens signed either way read alike."""

    @cached_property
    def _signer(self) -> Signer:
        return super().make_signer()

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        if salt is None or salt == self.salt:
            return self._signer
        return super().make_signer(salt)

    def dump_payload(self, obj: Any) -> bytes:
        # Serializer's JSON, skipping URLSafeSerializerMixin's compression attempt.
        return base64_encode(super(URLSafeSerializerMixin, self).dump_payload(obj))


def _visit_document(visit: Visit) -> dict[str, Any]:
    return {
        "c": visit.campaign_id,
        "v": visit.variant_id,
        "t": visit.visited_at.isoformat(),
        "k": visit.visitor_key,
        "u": visit.utm,
        **({"q": visit.quiz_result_id} if visit.quiz_result_id else {}),
    }


def _aware(moment: Any) -> datetime:
    parsed = datetime.fromisoformat(moment)
    if parsed.tzinfo is None:
        raise ValueError("a moment without a time zone")
    return parsed


def _visit_from(document: Any) -> Visit:
    visited_at = _aware(document["t"])
    utm = document.get("u") or {}
    if not isinstance(utm, dict):
        raise TypeError("utm must be an object")
    return Visit(
        campaign_id=str(document["c"]),
        variant_id=str(document["v"]),
        visited_at=visited_at,
        visitor_key=str(document["k"]),
        utm={str(k): str(v) for k, v in utm.items()},
        quiz_result_id=str(document["q"]) if document.get("q") else None,
    )
