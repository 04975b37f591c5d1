"""Persistence of tenants, users, memberships, API tokens and failed logins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from campaigns.schema import metadata
from campaigns.tenancy.domain import LoginFailures
from koers.db import UtcDateTime, upsert

tenants = sa.Table(
    "tenants",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("last_login_at", UtcDateTime(), nullable=True),
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
    found: str | None = conn.execute(
        sa.select(tenants.c.id).where(tenants.c.name == name)
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
    conn: Connection, *, user_id: str, email: str, password_hash: str, created_at: datetime
) -> None:
    conn.execute(
        sa.insert(users).values(
            id=user_id, email=email, password_hash=password_hash, created_at=created_at
        )
    )


def set_password_hash(conn: Connection, user_id: str, password_hash: str) -> None:
    conn.execute(sa.update(users).where(users.c.id == user_id).values(password_hash=password_hash))


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


# --- failed logins -------------------------------------------------------------------


def login_failures_of(conn: Connection, keys: Iterable[str]) -> list[LoginFailures]:
    rows = conn.execute(sa.select(login_failures).where(login_failures.c.key.in_(list(keys))))
    return [
        LoginFailures(
            key=r.key,
            failures=r.failures,
            first_failed_at=r.first_failed_at,
            locked_until=r.locked_until,
        )
        for r in rows
    ]


def save_login_failures(conn: Connection, state: LoginFailures) -> None:
    upsert(
        conn,
        login_failures,
        {
            "key": state.key,
            "failures": state.failures,
            "first_failed_at": state.first_failed_at,
            "locked_until": state.locked_until,
        },
        ("failures", "first_failed_at", "locked_until"),
    )


def clear_login_failures(conn: Connection, keys: Iterable[str]) -> None:
    conn.execute(sa.delete(login_failures).where(login_failures.c.key.in_(list(keys))))
