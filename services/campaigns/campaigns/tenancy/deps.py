"""Dependency wiring for the routes: typed ``Annotated`` aliases over app state.

Who is asking, for which tenant, in which role:

- the console knows a person by their session (ids and a session version, checked on
  every request); an agency user with memberships in several employers chooses the
  active one after logging in and may switch later (stored in the session);
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

from campaigns.errors import (
    LoginRequired,
    NotAuthenticated,
    RoleForbidden,
    TenantChoiceRequired,
)
from campaigns.tenancy import auth
from campaigns.tenancy import repository as repo
from campaigns.tenancy.auth import SESSION_TENANT, SESSION_USER, SESSION_VERSION
from campaigns.tenancy.domain import Permission, Role, can, roles_with
from campaigns.web.deps import EngineDep
from campaigns.web.i18n import DEFAULT_LANGUAGE, Language, as_language


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
    language: Language = DEFAULT_LANGUAGE

    @property
    def actor(self) -> str:
        """How the audit log names who did it."""
        return self.email

    def can(self, permission: Permission) -> bool:
        return can(self.role, permission)

    @property
    def other_tenants(self) -> tuple[repo.Membership, ...]:
        return tuple(m for m in self.memberships if m.tenant_id != self.tenant_id)


@dataclass(frozen=True)
class Person:
    """Who the session belongs to, before an employer is chosen."""

    id: str
    email: str
    memberships: tuple[repo.Membership, ...]
    language: Language = DEFAULT_LANGUAGE


def session_person(request: Request, engine: Engine) -> Person | None:
    """The session's person, or None (no session, an ended one, or no memberships left).

    A session ends everywhere when the user's session version moves on (log out,
    password change, removal from an employer): the cookie's copy no longer matches.
    """
    user_id = request.session.get(SESSION_USER)
    version = request.session.get(SESSION_VERSION)
    if not isinstance(user_id, str) or not isinstance(version, int):
        if user_id is not None:
            request.session.clear()
        return None
    with engine.connect() as conn:
        row = repo.user_by_id(conn, user_id)
        current = row is not None and row.session_version == version
        memberships = tuple(repo.memberships_of(conn, user_id)) if current else ()
    if row is None or not current or not memberships:
        request.session.clear()
        return None
    return Person(
        id=row.id,
        email=row.email,
        memberships=memberships,
        language=as_language(row.language) or DEFAULT_LANGUAGE,
    )


def session_user(request: Request, engine: Engine) -> User | None:
    """The logged-in user in their active tenant, or None (no session, no membership).

    The active tenant is the one chosen in this session, if still a membership; with a
    single membership that one; with several and none chosen, TenantChoiceRequired:
    nobody is put to work for an employer by the order of a list.
    """
    person = session_person(request, engine)
    if person is None:
        return None
    wanted = request.session.get(SESSION_TENANT)
    active = next((m for m in person.memberships if m.tenant_id == wanted), None)
    if active is None and len(person.memberships) == 1:
        active = person.memberships[0]
        request.session[SESSION_TENANT] = active.tenant_id
    if active is None:
        request.session.pop(SESSION_TENANT, None)
        raise TenantChoiceRequired
    return User(
        id=person.id,
        tenant_id=active.tenant_id,
        tenant_name=active.tenant_name,
        email=person.email,
        role=active.role,  # type: ignore[arg-type]  # the database checks the role
        memberships=person.memberships,
        language=person.language,
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
    try:
        user = token_user(request, engine) or session_user(request, engine)
    except TenantChoiceRequired:
        raise NotAuthenticated("choose the employer you work for in the console first") from None
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


def console_person(request: Request, engine: EngineDep) -> Person:
    person = session_person(request, engine)
    if person is None:
        raise LoginRequired
    request.state.person = person
    return person


ConsoleUser = Annotated[User, Depends(console_user)]
ConsolePerson = Annotated[Person, Depends(console_person)]
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
