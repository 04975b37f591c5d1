"""Authentication: argon2 password hashes, sessions, API tokens, and the throttling of
failed logins (pure rules; the repository stores the counts)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, MutableMapping
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from campaigns.tenancy.domain import LoginFailures
from campaigns.web.csrf import csrf_token

SESSION_USER = "user_id"
SESSION_TENANT = "tenant_id"


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


def start_session(
    session: MutableMapping[str, Any], user_id: str, tenant_id: str | None = None
) -> None:
    """A fresh session (new CSRF token) for a user who just proved who they are."""
    session.clear()
    session[SESSION_USER] = user_id
    if tenant_id is not None:
        session[SESSION_TENANT] = tenant_id
    csrf_token(session)


# --- per-tenant API tokens -----------------------------------------------------------

API_TOKEN_PREFIX = "koers_"


def new_api_token() -> tuple[str, str, str]:
    """``(token, its sha256, the prefix shown in lists)``; only the hash is stored."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token_hash(token), token[: len(API_TOKEN_PREFIX) + 6]


def token_hash(token: str) -> str:
    # A random 256-bit token needs no slow hash: sha256 cannot be brute-forced back.
    return hashlib.sha256(token.encode()).hexdigest()


# --- failed-login throttling ---------------------------------------------------------

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


def throttle_keys(email: str, client_ip: str | None) -> tuple[str, ...]:
    """Failures count per account (guessing one password) and per address (spraying)."""
    keys = [f"email:{email.strip().lower()[:320]}"]
    if client_ip:
        keys.append(f"ip:{client_ip[:64]}")
    return tuple(keys)


def locked_until(failures: Iterable[LoginFailures], now: datetime) -> datetime | None:
    """The latest lock still in force among these keys, or None."""
    locks = [f.locked_until for f in failures if f.locked_until and f.locked_until > now]
    return max(locks) if locks else None


def after_failure(
    key: str, previous: LoginFailures | None, now: datetime, *, ip_key: bool = False
) -> LoginFailures:
    """Count one more failure; the fifth within the window locks the key for a while.

    An address gets four times the allowance of an account, so colleagues behind one
    office router do not lock each other out.
    """
    limit = MAX_FAILURES * (4 if ip_key else 1)
    if previous is None or now - previous.first_failed_at > FAILURE_WINDOW:
        failures, first = 1, now
    else:
        failures, first = previous.failures + 1, previous.first_failed_at
    locked = now + LOCKOUT if failures >= limit else None
    return LoginFailures(key=key, failures=failures, first_failed_at=first, locked_until=locked)
