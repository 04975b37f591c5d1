"""Console authentication: argon2 password hashes and per-session CSRF tokens."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import MutableMapping
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from campaigns.errors import CsrfRejected

SESSION_USER = "user_id"
SESSION_CSRF = "csrf"


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; an unknown user costs the same time as a wrong one."""
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@cache
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


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


def start_session(session: MutableMapping[str, Any], user_id: str) -> None:
    """A fresh session (new CSRF token) for a user who just proved who they are."""
    session.clear()
    session[SESSION_USER] = user_id
    csrf_token(session)
