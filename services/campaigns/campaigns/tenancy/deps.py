"""Dependency wiring for the routes: typed ``Annotated`` aliases over app state.

Who is asking, for which tenant, in which role:

- the console knows a person by their session; an agency user with memberships in
  several employers picks the active one with the tenant switcher (stored in the
  session);
- ``/api/v1`` accepts ``Authorization: Bearer <per-tenant API token>`` (the token fixes
  tenant and role) or, for the console's own scripts, the session;
- ``require_role(...)`` turns a role list into a dependency; the aliases below
  (``ConsoleEditor``, ``ApiEditor``, ...) name the common ones.

Every route loads objects through the user's ``tenant_id``, so another tenant's object
is simply not found (404), and refuses a role without the permission with 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from sqlalchemy import Engine

from campaigns.errors import LoginRequired, NotAuthenticated, RoleForbidden
from campaigns.tenancy import auth
from campaigns.tenancy import repository as repo
from campaigns.tenancy.auth import SESSION_TENANT, SESSION_USER
from campaigns.tenancy.domain import Permission, Role, can, roles_with
from campaigns.web.deps import EngineDep


@dataclass(frozen=True)
class User:
    """A person (or an API token) acting in one tenant with one role."""

    id: str
    tenant_id: str
    tenant_name: str
    email: str
    role: Role
    memberships: tuple[repo.Membership, ...] = ()
    via: Literal["session", "token"] = "session"

    @property
    def actor(self) -> str:
        """How the audit log names who did it."""
        return self.email

    def can(self, permission: Permission) -> bool:
        return can(self.role, permission)

    @property
    def other_tenants(self) -> tuple[repo.Membership, ...]:
        return tuple(m for m in self.memberships if m.tenant_id != self.tenant_id)


def session_user(request: Request, engine: Engine) -> User | None:
    """The logged-in user in their active tenant, or None (no session, no membership)."""
    user_id = request.session.get(SESSION_USER)
    if not isinstance(user_id, str):
        return None
    with engine.connect() as conn:
        row = repo.user_by_id(conn, user_id)
        memberships = tuple(repo.memberships_of(conn, user_id)) if row is not None else ()
    if row is None or not memberships:
        request.session.clear()
        return None
    wanted = request.session.get(SESSION_TENANT)
    active = next((m for m in memberships if m.tenant_id == wanted), memberships[0])
    return User(
        id=row.id,
        tenant_id=active.tenant_id,
        tenant_name=active.tenant_name,
        email=row.email,
        role=active.role,  # type: ignore[arg-type]  # the database checks the role
        memberships=memberships,
    )


def token_user(request: Request, engine: Engine) -> User | None:
    """The API token's identity, None without a bearer token; a bad token is a 401."""
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if not header:
        return None
    if scheme.lower() != "bearer" or not credentials.strip():
        raise NotAuthenticated("use 'Authorization: Bearer <API token>'")
    with engine.connect() as conn:
        token = repo.api_token_by_hash(conn, auth.token_hash(credentials.strip()))
        name = repo.tenant_name(conn, token.tenant_id) if token else None
    if token is None or name is None:
        raise NotAuthenticated("this API token is unknown or revoked")
    return User(
        id=f"token:{token.id}",
        tenant_id=token.tenant_id,
        tenant_name=name,
        email=f"api-token:{token.name}",
        role=token.role,  # type: ignore[arg-type]
        via="token",
    )


def console_user(request: Request, engine: EngineDep) -> User:
    user = session_user(request, engine)
    if user is None:
        raise LoginRequired
    request.state.user = user
    return user


def api_user(request: Request, engine: EngineDep) -> User:
    user = token_user(request, engine) or session_user(request, engine)
    if user is None:
        raise NotAuthenticated(
            "send 'Authorization: Bearer <API token>' (made by an owner under Settings), "
            "or log in to the console"
        )
    request.state.user = user
    return user


def current_user(request: Request, engine: EngineDep) -> User:
    """The user the route's own user dependency found; else as its kind of route asks.

    Lets a dependency such as ``TenantCampaign`` serve the console and the API alike: a
    route names its user (and role) first, and this reuses that answer.
    """
    found = getattr(request.state, "user", None)
    if isinstance(found, User):
        return found
    if request.url.path.startswith("/api/"):
        return api_user(request, engine)
    return console_user(request, engine)


ConsoleUser = Annotated[User, Depends(console_user)]
ApiUser = Annotated[User, Depends(api_user)]


def require_role(*roles: Role, api: bool = False) -> Any:
    """A dependency giving the current user when their role is one of ``roles``, else 403."""
    allowed = frozenset(roles)
    base: Callable[..., User] = api_user if api else console_user

    # A default rather than ``Annotated``: the closure's ``base`` cannot be resolved
    # from a postponed (string) annotation.
    def dependency(user: User = Depends(base)) -> User:
        if user.role not in allowed:
            raise RoleForbidden(
                f"Your role ({user.role}) cannot do this; ask an owner of "
                f"{user.tenant_name} if you need to."
            )
        return user

    return Depends(dependency)


def require_permission(permission: Permission, *, api: bool = False) -> Any:
    return require_role(*roles_with(permission), api=api)


ConsoleEditor = Annotated[User, require_permission("edit_campaigns")]
ConsoleLeadWorker = Annotated[User, require_permission("work_leads")]
ConsoleExporter = Annotated[User, require_permission("export_leads")]
ConsoleOwner = Annotated[User, require_permission("manage_tenant")]
ApiEditor = Annotated[User, require_permission("edit_campaigns", api=True)]
ApiOwner = Annotated[User, require_permission("manage_tenant", api=True)]
CurrentUser = Annotated[User, Depends(current_user)]
