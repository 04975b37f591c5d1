"""Authentication: argon2 password hashes, sessions, API tokens, invitation tokens, and
the rules that throttle login attempts (pure rules; the repository keeps the counts)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import MutableMapping
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from campaigns.web.csrf import csrf_token

SESSION_USER = "user_id"
SESSION_TENANT = "tenant_id"
SESSION_VERSION = "session_version"
"""The user's session version when the session began: logging out, changing the
password or losing a membership bumps the stored one, which ends every copy."""


STRONG_PASSWORD_HASHER = PasswordHasher()
"""What production hashes with: argon2id with the library's defaults, RFC 9106's
low-memory profile (3 passes over 64 MiB, 4 lanes; ~0.17 s of CPU a hash measured on
the 2-core CI machine). The app factory and the use cases take another hasher only so
that tests can use cheap parameters; a unit test keeps these strong."""


def hash_password(password: str, hasher: PasswordHasher = STRONG_PASSWORD_HASHER) -> str:
    return hasher.hash(password)


def verify_password(
    password_hash: str | None, password: str, hasher: PasswordHasher = STRONG_PASSWORD_HASHER
) -> bool:
    """True when ``password`` matches; an unknown user costs the same time as a wrong one."""
    try:
        return hasher.verify(password_hash or _dummy_hash(hasher), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, hasher: PasswordHasher = STRONG_PASSWORD_HASHER) -> bool:
    return hasher.check_needs_rehash(password_hash)


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_urlsafe(16))


def start_session(
    session: MutableMapping[str, Any],
    user_id: str,
    session_version: int,
    tenant_id: str | None = None,
) -> None:
    """A fresh session (new CSRF token) for a user who just proved who they are.

    It holds ids and numbers only: no e-mail address, no name.
    """
    session.clear()
    session[SESSION_USER] = user_id
    session[SESSION_VERSION] = session_version
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


# --- invitation tokens --------------------------------------------------------------


def new_invitation_token() -> tuple[str, str]:
    """``(token, its sha256)``: the token goes into the invite link, only the hash is kept."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


# --- login throttling -----------------------------------------------------------------
#
# Every attempt is counted before the password is checked, each count by one atomic
# statement, so parallel attempts cannot all read "not locked yet" and all guess.
#
# - Per client address: more than CLIENT_LIMIT attempts within FAILURE_WINDOW block that
#   client (a success gives its attempt back).
# - Per account: after MAX_FAILURES attempts without a success, the account only takes
#   one attempt per backoff period, doubling from BACKOFF_START up to BACKOFF_CAP. The
#   account lock only delays: a client with no attempts in the window still gets its
#   one try, so guessing at a known address cannot lock its owner out.

MAX_FAILURES = 5
CLIENT_LIMIT = 20
FAILURE_WINDOW = timedelta(minutes=15)
BACKOFF_START = timedelta(seconds=30)
BACKOFF_CAP = timedelta(minutes=15)


def account_key(email: str) -> str:
    return f"email:{email.strip().lower()[:320]}"


def client_key(client_ip: str) -> str:
    return f"ip:{client_ip[:64]}"


def backoff(attempts: int) -> timedelta | None:
    """How long an account waits after its ``attempts``-th attempt without success."""
    if attempts < MAX_FAILURES:
        return None
    return min(BACKOFF_START * (1 << min(attempts - MAX_FAILURES, 20)), BACKOFF_CAP)


def backoff_steps(now: datetime) -> tuple[list[tuple[int, datetime]], datetime]:
    """``([(attempts, locked until)...] below the cap, locked until at the cap)`` from ``now``:
    the backoff as a table the database applies in its one statement."""
    steps: list[tuple[int, datetime]] = []
    attempts = MAX_FAILURES
    while (wait := backoff(attempts)) is not None and wait < BACKOFF_CAP:
        steps.append((attempts, now + wait))
        attempts += 1
    return steps, now + BACKOFF_CAP
