"""Forged-request protection: a per-session token every state-changing request carries."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any

from fastapi import Request

from campaigns.errors import CsrfRejected

SESSION_CSRF = "csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's CSRF token, created on first use; every form carries it back."""
    token = session.get(SESSION_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_CSRF] = token
    return token


def check_csrf(session: MutableMapping[str, Any], submitted: str) -> None:
    expected = session.get(SESSION_CSRF)
    if (
        not isinstance(expected, str)
        or not submitted
        or not hmac.compare_digest(expected.encode(), submitted.encode())
    ):
        raise CsrfRejected(
            "For your safety this form could not be accepted. "
            "Please go back, reload the page and try again."
        )


async def csrf_guard(request: Request) -> None:
    """Installed on the whole app: every state-changing request proves it is not forged.

    Console forms carry the session's token in ``csrf_token``; the JSON API needs it in
    the ``X-CSRF-Token`` header when it is called with the session cookie, and nothing
    when it is called with an API token (a browser never adds that header on its own).
    """
    if request.method in SAFE_METHODS:
        return
    if request.url.path.startswith("/internal/"):
        return  # service token only (checked by the route); a session is never used there
    if request.url.path.startswith("/api/"):
        if request.headers.get("authorization"):
            return
        check_csrf(request.session, request.headers.get(CSRF_HEADER, ""))
        return
    submitted = ""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        submitted = value if isinstance(value, str) else ""
    check_csrf(request.session, submitted)
