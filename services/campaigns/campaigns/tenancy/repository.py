"""Persistence of tenants, users, memberships, invitations, API tokens and login counts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from campaigns.schema import metadata
from campaigns.tenancy.domain import Invitation
from koers.db import UtcDateTime

tenants = sa.Table(
    "tenants",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    # Not unique across Koers (revision 0009): only among one person's own employers.
    sa.Column("name", sa.String(200), nullable=False),
    sa.Index("ix_tenants_name", "name"),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("last_login_at", UtcDateTime(), nullable=True),
    sa.Column("session_version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("language", sa.String(5), nullable=False, server_default="nl"),
    sa.CheckConstraint("language IN ('nl', 'en')", name="ck_users_language"),
)

ROLE_CHECK = "role IN ('owner', 'marketer', 'recruiter', 'viewer')"

memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), primary_key=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.CheckConstraint(ROLE_CHECK, name="ck_memberships_role"),
    sa.Index("ix_memberships_tenant", "tenant_id"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("token_prefix", sa.String(16), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("created_by", sa.String(320), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("revoked_at", UtcDateTime(), nullable=True),
    sa.CheckConstraint(ROLE_CHECK, name="ck_api_tokens_role"),
    sa.Index("ix_api_tokens_tenant", "tenant_id"),
)

invitations = sa.Table(
    "invitations",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("invited_by", sa.String(320), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("accepted_at", UtcDateTime(), nullable=True),
    sa.Column("accepted_by", sa.String(36), sa.ForeignKey("users.id"), nullable=True),
    sa.CheckConstraint(ROLE_CHECK, name="ck_invitations_role"),
    sa.Index("ix_invitations_tenant", "tenant_id"),
)

login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("key", sa.String(400), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("first_failed_at", UtcDateTime(), nullable=False),
    sa.Column("locked_until", UtcDateTime(), nullable=True),
)


# --- tenants, users and memberships -------------------------------------------------


@dataclass(frozen=True)
class Membership:
    tenant_id: str
    tenant_name: str
    role: str


@dataclass(frozen=True)
class Member:
    user_id: str
    email: str
    role: str
    created_at: datetime


def tenant_id_by_name(conn: Connection, name: str) -> str | None:
    """The id of an employer of this name (names are not unique: the first by id)."""
    found: str | None = conn.execute(
        sa.select(tenants.c.id).where(tenants.c.name == name).order_by(tenants.c.id).limit(1)
    ).scalar_one_or_none()
    return found


def tenant_name(conn: Connection, tenant_id: str) -> str | None:
    found: str | None = conn.execute(
        sa.select(tenants.c.name).where(tenants.c.id == tenant_id)
    ).scalar_one_or_none()
    return found


def add_tenant(conn: Connection, tenant_id: str, name: str) -> None:
    conn.execute(sa.insert(tenants).values(id=tenant_id, name=name))


def user_by_email(conn: Connection, email: str) -> sa.Row[Any] | None:
    return conn.execute(sa.select(users).where(users.c.email == email)).first()


def user_by_id(conn: Connection, user_id: str) -> sa.Row[Any] | None:
    return conn.execute(sa.select(users).where(users.c.id == user_id)).first()


def add_user(
    conn: Connection,
    *,
    user_id: str,
    email: str,
    password_hash: str,
    created_at: datetime,
    language: str = "nl",
) -> None:
    conn.execute(
        sa.insert(users).values(
            id=user_id,
            email=email,
            password_hash=password_hash,
            created_at=created_at,
            language=language,
        )
    )


def set_language(conn: Connection, user_id: str, language: str) -> None:
    conn.execute(sa.update(users).where(users.c.id == user_id).values(language=language))


def set_password_hash(conn: Connection, user_id: str, password_hash: str) -> None:
    conn.execute(sa.update(users).where(users.c.id == user_id).values(password_hash=password_hash))


def bump_session_version(conn: Connection, user_id: str) -> None:
    """End every session of the user, wherever its cookie is kept."""
    conn.execute(
        sa.update(users)
        .where(users.c.id == user_id)
        .values(session_version=users.c.session_version + 1)
    )


def set_last_login(conn: Connection, user_id: str, at: datetime) -> None:
    conn.execute(sa.update(users).where(users.c.id == user_id).values(last_login_at=at))


def memberships_of(conn: Connection, user_id: str) -> list[Membership]:
    rows = conn.execute(
        sa.select(memberships.c.tenant_id, memberships.c.role, tenants.c.name)
        .join(tenants, tenants.c.id == memberships.c.tenant_id)
        .where(memberships.c.user_id == user_id)
        .order_by(tenants.c.name)
    )
    return [Membership(tenant_id=r.tenant_id, tenant_name=r.name, role=r.role) for r in rows]


def add_membership(
    conn: Connection, *, user_id: str, tenant_id: str, role: str, created_at: datetime
) -> None:
    conn.execute(
        sa.insert(memberships).values(
            user_id=user_id, tenant_id=tenant_id, role=role, created_at=created_at
        )
    )


def set_membership_role(conn: Connection, *, user_id: str, tenant_id: str, role: str) -> bool:
    result = conn.execute(
        sa.update(memberships)
        .where(memberships.c.user_id == user_id, memberships.c.tenant_id == tenant_id)
        .values(role=role)
    )
    return result.rowcount > 0


def remove_membership(conn: Connection, *, user_id: str, tenant_id: str) -> bool:
    result = conn.execute(
        sa.delete(memberships).where(
            memberships.c.user_id == user_id, memberships.c.tenant_id == tenant_id
        )
    )
    return result.rowcount > 0


def members_of(conn: Connection, tenant_id: str) -> list[Member]:
    rows = conn.execute(
        sa.select(users.c.id, users.c.email, memberships.c.role, memberships.c.created_at)
        .join(memberships, memberships.c.user_id == users.c.id)
        .where(memberships.c.tenant_id == tenant_id)
        .order_by(users.c.email)
    )
    return [Member(user_id=r.id, email=r.email, role=r.role, created_at=r.created_at) for r in rows]


def count_owners(conn: Connection, tenant_id: str) -> int:
    found: int = conn.execute(
        sa.select(sa.func.count())
        .select_from(memberships)
        .where(memberships.c.tenant_id == tenant_id, memberships.c.role == "owner")
    ).scalar_one()
    return found


# --- API tokens ----------------------------------------------------------------------


@dataclass(frozen=True)
class ApiToken:
    id: str
    tenant_id: str
    name: str
    token_prefix: str
    role: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


def _api_token(row: sa.Row[Any]) -> ApiToken:
    return ApiToken(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        token_prefix=row.token_prefix,
        role=row.role,
        created_by=row.created_by,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def add_api_token(conn: Connection, token: ApiToken, token_hash: str) -> None:
    conn.execute(
        sa.insert(api_tokens).values(
            id=token.id,
            tenant_id=token.tenant_id,
            name=token.name,
            token_hash=token_hash,
            token_prefix=token.token_prefix,
            role=token.role,
            created_by=token.created_by,
            created_at=token.created_at,
            revoked_at=None,
        )
    )


def api_token_by_hash(conn: Connection, token_hash: str) -> ApiToken | None:
    row = conn.execute(
        sa.select(api_tokens).where(
            api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None)
        )
    ).first()
    return _api_token(row) if row else None


def api_tokens_of(conn: Connection, tenant_id: str) -> list[ApiToken]:
    rows = conn.execute(
        sa.select(api_tokens)
        .where(api_tokens.c.tenant_id == tenant_id)
        .order_by(api_tokens.c.created_at.desc(), api_tokens.c.id)
    )
    return [_api_token(r) for r in rows]


def api_token_of(conn: Connection, tenant_id: str, token_id: str) -> ApiToken | None:
    row = conn.execute(
        sa.select(api_tokens).where(
            api_tokens.c.id == token_id, api_tokens.c.tenant_id == tenant_id
        )
    ).first()
    return _api_token(row) if row else None


def revoke_api_token(conn: Connection, token_id: str, at: datetime) -> None:
    conn.execute(sa.update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=at))


# --- invitations ---------------------------------------------------------------------


def add_invitation(conn: Connection, invitation: Invitation, token_hash: str) -> None:
    conn.execute(
        sa.insert(invitations).values(
            id=invitation.id,
            tenant_id=invitation.tenant_id,
            email=invitation.email,
            role=invitation.role,
            token_hash=token_hash,
            invited_by=invitation.invited_by,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
            accepted_at=None,
        )
    )


def _invitation_query() -> sa.Select[Any]:
    return sa.select(invitations, tenants.c.name.label("tenant_name")).join(
        tenants, tenants.c.id == invitations.c.tenant_id
    )


def _invitation(row: sa.Row[Any]) -> Invitation:
    return Invitation(
        id=row.id,
        tenant_id=row.tenant_id,
        tenant_name=row.tenant_name,
        email=row.email,
        role=row.role,
        invited_by=row.invited_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        accepted_at=row.accepted_at,
    )


def invitation_by_token_hash(conn: Connection, token_hash: str) -> Invitation | None:
    row = conn.execute(_invitation_query().where(invitations.c.token_hash == token_hash)).first()
    return _invitation(row) if row else None


def pending_invitations_of(conn: Connection, tenant_id: str, now: datetime) -> list[Invitation]:
    rows = conn.execute(
        _invitation_query()
        .where(
            invitations.c.tenant_id == tenant_id,
            invitations.c.accepted_at.is_(None),
            invitations.c.expires_at > now,
        )
        .order_by(invitations.c.created_at.desc(), invitations.c.id)
    )
    return [_invitation(r) for r in rows]


def withdraw_pending_invitations(conn: Connection, tenant_id: str, email: str) -> None:
    """Drop the tenant's open invitations of ``email`` (a new one replaces them)."""
    conn.execute(
        sa.delete(invitations).where(
            invitations.c.tenant_id == tenant_id,
            invitations.c.email == email,
            invitations.c.accepted_at.is_(None),
        )
    )


def withdraw_invitation(conn: Connection, tenant_id: str, invitation_id: str) -> bool:
    result = conn.execute(
        sa.delete(invitations).where(
            invitations.c.tenant_id == tenant_id,
            invitations.c.id == invitation_id,
            invitations.c.accepted_at.is_(None),
        )
    )
    return result.rowcount > 0


def mark_invitation_accepted(
    conn: Connection, invitation_id: str, user_id: str, at: datetime
) -> bool:
    """True for the one caller that accepts it; a second acceptance finds it used."""
    result = conn.execute(
        sa.update(invitations)
        .where(
            invitations.c.id == invitation_id,
            invitations.c.accepted_at.is_(None),
            invitations.c.expires_at > at,
        )
        .values(accepted_at=at, accepted_by=user_id)
    )
    return result.rowcount == 1


# --- login attempts -------------------------------------------------------------------
#
# Each count changes in one statement (INSERT ... ON CONFLICT ... RETURNING, or a
# conditional UPDATE ... RETURNING): the database serialises attempts on the key's row,
# on PostgreSQL as on SQLite, so parallel attempts never read the same old count.


def _at(moment: datetime) -> sa.BindParameter[datetime]:
    return sa.literal(moment, UtcDateTime())


def _insert(conn: Connection) -> sqlite.Insert | postgresql.Insert:
    if conn.dialect.name == "sqlite":
        return sqlite.insert(login_failures)
    return postgresql.insert(login_failures)


def count_client_attempt(
    conn: Connection, key: str, now: datetime, window: timedelta
) -> tuple[int, datetime]:
    """One more attempt from a client; ``(attempts in its window, when the window began)``.

    A window older than ``window`` starts again at this attempt.
    """
    t = login_failures
    lapsed = t.c.first_failed_at <= _at(now - window)
    statement = (
        _insert(conn)
        .values(key=key, failures=1, first_failed_at=now, locked_until=None)
        .on_conflict_do_update(
            index_elements=[t.c.key],
            set_={
                "failures": sa.case((lapsed, 1), else_=t.c.failures + 1),
                "first_failed_at": sa.case((lapsed, _at(now)), else_=t.c.first_failed_at),
            },
        )
        .returning(t.c.failures, t.c.first_failed_at)
    )
    row = conn.execute(statement).one()
    return int(row.failures), row.first_failed_at


def admit_account_attempt(
    conn: Connection,
    key: str,
    now: datetime,
    *,
    window: timedelta,
    free_attempts: int,
    steps: Sequence[tuple[int, datetime]],
    locked_at_cap: datetime,
) -> bool:
    """Count an attempt at an account unless it is locked; False when it is locked.

    The count and the check are one conditional UPDATE: of parallel attempts only those
    that find the account unlocked count, and the one that reaches ``free_attempts``
    locks it (until ``steps[n]`` for the n-th attempt, at most ``locked_at_cap``). A
    count whose last lock (or first attempt) lies more than ``window`` back starts over.
    """
    t = login_failures
    conn.execute(
        _insert(conn)
        .values(key=key, failures=0, first_failed_at=now, locked_until=None)
        .on_conflict_do_nothing(index_elements=[t.c.key])
    )
    lapsed = sa.func.coalesce(t.c.locked_until, t.c.first_failed_at) <= _at(now - window)
    attempts = sa.case((lapsed, 1), else_=t.c.failures + 1)
    locked_until = sa.case(
        (attempts < free_attempts, sa.null()),
        *[(attempts == n, _at(until)) for n, until in steps],
        else_=_at(locked_at_cap),
    )
    result = conn.execute(
        sa.update(t)
        .where(t.c.key == key, sa.or_(t.c.locked_until.is_(None), t.c.locked_until <= _at(now)))
        .values(
            failures=attempts,
            first_failed_at=sa.case((lapsed, _at(now)), else_=t.c.first_failed_at),
            locked_until=locked_until,
        )
        .returning(t.c.failures)
    )
    return result.first() is not None


def locked_until_of(conn: Connection, key: str) -> datetime | None:
    found: datetime | None = conn.execute(
        sa.select(login_failures.c.locked_until).where(login_failures.c.key == key)
    ).scalar_one_or_none()
    return found


def give_back_client_attempt(conn: Connection, key: str) -> None:
    """A successful login does not count against its client."""
    t = login_failures
    conn.execute(
        sa.update(t).where(t.c.key == key, t.c.failures > 0).values(failures=t.c.failures - 1)
    )


def clear_login_failures(conn: Connection, keys: Iterable[str]) -> None:
    conn.execute(sa.delete(login_failures).where(login_failures.c.key.in_(list(keys))))
