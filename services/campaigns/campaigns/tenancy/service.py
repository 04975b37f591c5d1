"""Tenancy use cases: logging in, members and their roles, API tokens.

Each takes the caller's transaction and writes its change with its audit row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from campaigns.audit import repository as audit
from campaigns.errors import InvalidInput, ObjectNotFound, TransitionRefused
from campaigns.tenancy import auth
from campaigns.tenancy import repository as repo
from campaigns.tenancy.auth import hash_password, needs_rehash, verify_password
from koers.events import utcnow

# --- logging in ----------------------------------------------------------------------


@dataclass(frozen=True)
class LoginOutcome:
    user_id: str | None
    locked_until: datetime | None = None


def authenticate(
    conn: Connection,
    email: str,
    password: str,
    *,
    client_ip: str | None = None,
    now: datetime | None = None,
) -> LoginOutcome:
    """Check a password unless the account or address is locked after repeated failures.

    A failure is counted per account and per address; a success clears the account's
    count. While locked, the password is not even checked, so guessing gains nothing.
    """
    now = now or utcnow()
    normalised = email.strip().lower()
    keys = auth.throttle_keys(normalised, client_ip)
    known = {f.key: f for f in repo.login_failures_of(conn, keys)}
    locked = auth.locked_until(known.values(), now)
    if locked is not None:
        return LoginOutcome(user_id=None, locked_until=locked)
    user = repo.user_by_email(conn, normalised)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        for key in keys:
            state = auth.after_failure(key, known.get(key), now, ip_key=key.startswith("ip:"))
            repo.save_login_failures(conn, state)
        return LoginOutcome(user_id=None)
    repo.clear_login_failures(conn, keys[:1])
    if needs_rehash(user.password_hash):
        repo.set_password_hash(conn, user.id, hash_password(password))
    repo.set_last_login(conn, user.id, now)
    return LoginOutcome(user_id=str(user.id))


# --- users, memberships, API tokens --------------------------------------------------


def create_user(
    conn: Connection, *, tenant_id: str, email: str, password: str, role: str, now: datetime
) -> str:
    """A new user with a membership (and role) in one tenant."""
    user_id = str(uuid.uuid4())
    repo.add_user(
        conn,
        user_id=user_id,
        email=email.strip().lower(),
        password_hash=hash_password(password),
        created_at=now,
    )
    repo.add_membership(conn, user_id=user_id, tenant_id=tenant_id, role=role, created_at=now)
    return user_id


def add_member(
    conn: Connection,
    *,
    tenant_id: str,
    email: str,
    role: str,
    password: str,
    actor: str,
    now: datetime,
) -> str:
    """Give a person a role in this tenant; a new e-mail address becomes a new user.

    An existing user (say, an agency marketer serving several employers) keeps their
    password; ``password`` is only used for someone new.
    """
    normalised = email.strip().lower()
    user = repo.user_by_email(conn, normalised)
    if user is None:
        if len(password) < 12:
            raise InvalidInput(
                "a new user needs a password", {"password": "Use at least 12 characters."}
            )
        user_id = create_user(
            conn, tenant_id=tenant_id, email=normalised, password=password, role=role, now=now
        )
    else:
        user_id = str(user.id)
        if any(m.tenant_id == tenant_id for m in repo.memberships_of(conn, user_id)):
            raise InvalidInput("already a member", {"email": "This person is already a member."})
        repo.add_membership(conn, user_id=user_id, tenant_id=tenant_id, role=role, created_at=now)
    audit.record(
        conn,
        tenant_id=tenant_id,
        actor=actor,
        action="add_member",
        object_type="membership",
        object_id=user_id,
        before=None,
        after={"role": role},
        at=now,
    )
    return user_id


def change_member(
    conn: Connection,
    *,
    tenant_id: str,
    user_id: str,
    role: str | None,
    actor: str,
    now: datetime,
) -> None:
    """Change a member's role, or remove them (``role=None``); one owner always stays."""
    current = next((m for m in repo.members_of(conn, tenant_id) if m.user_id == user_id), None)
    if current is None:
        raise ObjectNotFound("no such member")
    if current.role == "owner" and role != "owner" and repo.count_owners(conn, tenant_id) == 1:
        raise TransitionRefused("every employer keeps at least one owner")
    if role is None:
        repo.remove_membership(conn, user_id=user_id, tenant_id=tenant_id)
    else:
        repo.set_membership_role(conn, user_id=user_id, tenant_id=tenant_id, role=role)
    audit.record(
        conn,
        tenant_id=tenant_id,
        actor=actor,
        action="remove_member" if role is None else "change_role",
        object_type="membership",
        object_id=user_id,
        before={"role": current.role},
        after=None if role is None else {"role": role},
        at=now,
    )


def create_api_token(
    conn: Connection, *, tenant_id: str, name: str, role: str, actor: str, now: datetime
) -> tuple[repo.ApiToken, str]:
    """A new token for scripts; the secret is returned once and only its hash is kept."""
    secret, digest, prefix = auth.new_api_token()
    token = repo.ApiToken(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        name=name,
        token_prefix=prefix,
        role=role,
        created_by=actor,
        created_at=now,
        revoked_at=None,
    )
    repo.add_api_token(conn, token, digest)
    audit.record(
        conn,
        tenant_id=tenant_id,
        actor=actor,
        action="create_api_token",
        object_type="api_token",
        object_id=token.id,
        before=None,
        after={"name": name, "role": role, "prefix": prefix},
        at=now,
    )
    return token, secret


def revoke_api_token(
    conn: Connection, *, tenant_id: str, token_id: str, actor: str, now: datetime
) -> None:
    token = repo.api_token_of(conn, tenant_id, token_id)
    if token is None:
        raise ObjectNotFound("no such API token")
    if token.revoked_at is not None:
        raise TransitionRefused("this token was already revoked")
    repo.revoke_api_token(conn, token_id, now)
    audit.record(
        conn,
        tenant_id=tenant_id,
        actor=actor,
        action="revoke_api_token",
        object_type="api_token",
        object_id=token_id,
        before={"revoked": False},
        after={"revoked": True},
        at=now,
    )
