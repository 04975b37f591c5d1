"""Tenancy use cases: logging in and out, invitations, members and their roles, API tokens.

Each takes the caller's transaction and writes its change with its audit row; logging
in takes the engine, because it counts the attempt in a transaction of its own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import Connection, Engine

from campaigns.audit import repository as audit
from campaigns.errors import (
    InvalidInput,
    InvitationInvalid,
    ObjectNotFound,
    RoleForbidden,
    TransitionRefused,
)
from campaigns.tenancy import auth
from campaigns.tenancy import repository as repo
from campaigns.tenancy.auth import (
    STRONG_PASSWORD_HASHER,
    hash_password,
    needs_rehash,
    verify_password,
)
from campaigns.tenancy.domain import (
    INVITATION_VALID_FOR,
    Invitation,
    employer_name,
    may_create_employers,
    normalise_email,
)
from campaigns.web.i18n import DEFAULT_LANGUAGE, Language
from koers.db import transaction
from koers.events import utcnow

# --- logging in ----------------------------------------------------------------------


@dataclass(frozen=True)
class LoginOutcome:
    user_id: str | None
    locked_until: datetime | None = None
    session_version: int = 0


def authenticate(
    engine: Engine,
    email: str,
    password: str,
    *,
    client_ip: str | None = None,
    now: datetime | None = None,
    password_hasher: PasswordHasher = STRONG_PASSWORD_HASHER,
) -> LoginOutcome:
    """Check a password, unless the client or the account has run out of attempts.

    The attempt is counted first, in its own short transaction (see ``auth`` for the
    rules), and only an admitted attempt checks the password: however many attempts
    arrive in parallel, no more guesses get through than the counts allow. A success
    clears the account's count and gives the client its attempt back.
    """
    now = now or utcnow()
    normalised = email.strip().lower()
    account = auth.account_key(normalised)
    client = auth.client_key(client_ip) if client_ip else None
    with transaction(engine) as conn:
        fresh_client = False
        if client is not None:
            attempts, window_began = repo.count_client_attempt(
                conn, client, now, auth.FAILURE_WINDOW
            )
            if attempts > auth.CLIENT_LIMIT:
                return LoginOutcome(user_id=None, locked_until=window_began + auth.FAILURE_WINDOW)
            fresh_client = attempts == 1
        steps, locked_at_cap = auth.backoff_steps(now)
        admitted = repo.admit_account_attempt(
            conn,
            account,
            now,
            window=auth.FAILURE_WINDOW,
            free_attempts=auth.MAX_FAILURES,
            steps=steps,
            locked_at_cap=locked_at_cap,
        )
        if not admitted and not fresh_client:
            locked = repo.locked_until_of(conn, account) or now + auth.BACKOFF_START
            return LoginOutcome(user_id=None, locked_until=locked)
    with engine.connect() as conn:
        user = repo.user_by_email(conn, normalised)
    stored_hash = user.password_hash if user else None
    if not verify_password(stored_hash, password, password_hasher) or user is None:
        return LoginOutcome(user_id=None)
    with transaction(engine) as conn:
        repo.clear_login_failures(conn, [account])
        if client is not None:
            repo.give_back_client_attempt(conn, client)
        if needs_rehash(user.password_hash, password_hasher):
            repo.set_password_hash(conn, user.id, hash_password(password, password_hasher))
        repo.set_last_login(conn, user.id, now)
    return LoginOutcome(user_id=str(user.id), session_version=int(user.session_version))


def log_out(conn: Connection, user_id: str) -> None:
    """End every copy of the user's session (this browser's and any other)."""
    repo.bump_session_version(conn, user_id)


def change_password(
    conn: Connection,
    *,
    user_id: str,
    new_password: str,
    now: datetime,
    password_hasher: PasswordHasher = STRONG_PASSWORD_HASHER,
) -> int:
    """Set a new password and end every session; returns the new session version."""
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            "the password is too short",
            {"new_password": f"Use at least {MIN_PASSWORD_LENGTH} characters."},
        )
    repo.set_password_hash(conn, user_id, hash_password(new_password, password_hasher))
    repo.bump_session_version(conn, user_id)
    row = repo.user_by_id(conn, user_id)
    assert row is not None
    return int(row.session_version)


# --- users, memberships, invitations, API tokens -------------------------------------

MIN_PASSWORD_LENGTH = 12


def create_user(
    conn: Connection,
    *,
    tenant_id: str,
    email: str,
    password: str,
    role: str,
    now: datetime,
    language: Language = DEFAULT_LANGUAGE,
    password_hasher: PasswordHasher = STRONG_PASSWORD_HASHER,
) -> str:
    """A new user with a membership (and role) in one tenant (seeding, tests, accepting).

    New accounts read the console in Dutch unless they say otherwise.
    """
    user_id = str(uuid.uuid4())
    repo.add_user(
        conn,
        user_id=user_id,
        email=email.strip().lower(),
        password_hash=hash_password(password, password_hasher),
        created_at=now,
        language=language,
    )
    repo.add_membership(conn, user_id=user_id, tenant_id=tenant_id, role=role, created_at=now)
    return user_id


def set_user_language(conn: Connection, user_id: str, language: Language) -> None:
    """The language the user reads the console in, from their next page on."""
    repo.set_language(conn, user_id, language)


def email_field(raw: str) -> str:
    """A member's address, normalised; InvalidInput naming the ``email`` field otherwise."""
    try:
        return normalise_email(raw)
    except ValueError as exc:
        raise InvalidInput("invalid e-mail address", {"email": str(exc)}) from None


def invite_member(
    conn: Connection,
    *,
    tenant_id: str,
    email: str,
    role: str,
    actor: str,
    now: datetime,
) -> tuple[Invitation, str]:
    """Offer someone a role here; returns the invitation and its one-time token.

    Nothing about the address's account is looked at or changed: whether it has one or
    not, the answer is the same invitation. Only the invitee, by accepting, joins.
    """
    normalised = email_field(email)
    if any(m.email == normalised for m in repo.members_of(conn, tenant_id)):
        raise InvalidInput("already a member", {"email": "This person is already a member."})
    repo.withdraw_pending_invitations(conn, tenant_id, normalised)
    token, digest = auth.new_invitation_token()
    invitation = Invitation(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        tenant_name=repo.tenant_name(conn, tenant_id) or "",
        email=normalised,
        role=role,
        invited_by=actor,
        created_at=now,
        expires_at=now + INVITATION_VALID_FOR,
        accepted_at=None,
    )
    repo.add_invitation(conn, invitation, digest)
    audit.record(
        conn,
        tenant_id=tenant_id,
        actor=actor,
        action="invite_member",
        object_type="invitation",
        object_id=invitation.id,
        before=None,
        after={"role": role, "expires_at": invitation.expires_at.isoformat()},
        at=now,
    )
    return invitation, token


def usable_invitation(conn: Connection, token: str, now: datetime) -> Invitation:
    """The invitation of this link; one that is unknown, used or expired looks the same."""
    invitation = repo.invitation_by_token_hash(conn, auth.token_hash(token)) if token else None
    if invitation is None or not invitation.usable(now):
        raise InvitationInvalid(
            "This invitation link cannot be used: it was used already, it expired, or it "
            "was replaced by a newer one. Ask whoever invited you for a new link."
        )
    return invitation


def account_exists(conn: Connection, email: str) -> bool:
    return repo.user_by_email(conn, email) is not None


def accept_invitation(
    conn: Connection, *, invitation: Invitation, user_id: str, now: datetime
) -> None:
    """Join the invitation's tenant as ``user_id`` (who proved they own the address)."""
    if not repo.mark_invitation_accepted(conn, invitation.id, user_id, now):
        raise InvitationInvalid("This invitation link was used already.")
    current = repo.memberships_of(conn, user_id)
    if not any(m.tenant_id == invitation.tenant_id for m in current):
        repo.add_membership(
            conn,
            user_id=user_id,
            tenant_id=invitation.tenant_id,
            role=invitation.role,
            created_at=now,
        )
    audit.record(
        conn,
        tenant_id=invitation.tenant_id,
        actor=invitation.email,
        action="accept_invitation",
        object_type="membership",
        object_id=user_id,
        before=None,
        after={"role": invitation.role},
        at=now,
    )


def accept_as_new_user(
    conn: Connection,
    *,
    invitation: Invitation,
    password: str,
    repeat: str,
    now: datetime,
    password_hasher: PasswordHasher = STRONG_PASSWORD_HASHER,
) -> str:
    """Make the invitee's account with the password they chose, and join; the user id."""
    errors: dict[str, str] = {}
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = f"Use at least {MIN_PASSWORD_LENGTH} characters."
    elif password != repeat:
        errors["repeat"] = "The two passwords differ."
    if errors:
        raise InvalidInput("choose a password", errors)
    if repo.user_by_email(conn, invitation.email) is not None:
        raise InvitationInvalid("This address has an account now: log in to accept.")
    user_id = str(uuid.uuid4())
    repo.add_user(
        conn,
        user_id=user_id,
        email=invitation.email,
        password_hash=hash_password(password, password_hasher),
        created_at=now,
    )
    accept_invitation(conn, invitation=invitation, user_id=user_id, now=now)
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
        # Their open sessions may be working in this tenant right now: end them all.
        repo.bump_session_version(conn, user_id)
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


# --- employers ------------------------------------------------------------------------

CREATE_EMPLOYER_REFUSED = (
    "Only an owner of an employer can add a new one. Ask an owner (for example of your "
    "agency) to add it and invite you."
)


def name_field(raw: str) -> str:
    """An employer's name, normalised; InvalidInput naming the ``name`` field otherwise."""
    try:
        return employer_name(raw)
    except ValueError as exc:
        raise InvalidInput("invalid employer name", {"name": str(exc)}) from None


def create_employer(
    conn: Connection, *, name: str, owner_id: str, actor: str, now: datetime
) -> repo.Membership:
    """A new employer (tenant) with ``owner_id`` as its owner; returns that membership.

    Only someone who owns an employer already may (``may_create_employers``). Names are
    distinct among the owner's own employers, so the switcher never shows two alike;
    across Koers they need not be (revision 0009), so the answer never tells whether
    some other agency works for an employer of that name.
    """
    cleaned = name_field(name)
    current = repo.memberships_of(conn, owner_id)
    if not may_create_employers(current):
        raise RoleForbidden(CREATE_EMPLOYER_REFUSED)
    if any(m.tenant_name.casefold() == cleaned.casefold() for m in current):
        raise InvalidInput(
            "you have an employer of that name",
            {"name": "You already work for an employer of that name; choose another."},
        )
    tenant_id = _add_employer(conn, cleaned, actor=actor, now=now)
    repo.add_membership(conn, user_id=owner_id, tenant_id=tenant_id, role="owner", created_at=now)
    return repo.Membership(tenant_id=tenant_id, tenant_name=cleaned, role="owner")


def _add_employer(conn: Connection, name: str, *, actor: str, now: datetime) -> str:
    """A new employer (tenant) of that name, audited; its id."""
    tenant_id = str(uuid.uuid4())
    repo.add_tenant(conn, tenant_id, name)
    audit.record(
        conn,
        tenant_id=tenant_id,
        actor=actor,
        action="create_employer",
        object_type="tenant",
        object_id=tenant_id,
        before=None,
        after={"name": name},
        at=now,
    )
    return tenant_id


def owner_behind_token(conn: Connection, *, tenant_id: str, token_id: str) -> str:
    """The account that made an owner API token and still owns its employer: the owner
    of an employer created through that token. RoleForbidden when there is none."""
    token = repo.api_token_of(conn, tenant_id, token_id)
    maker = repo.user_by_email(conn, token.created_by) if token else None
    owns = maker is not None and any(
        m.tenant_id == tenant_id and m.role == "owner" for m in repo.memberships_of(conn, maker.id)
    )
    if maker is None or not owns:
        raise RoleForbidden(
            "A new employer needs a person as its owner, and whoever made this token no "
            "longer owns its employer. Use a token made by a current owner."
        )
    return str(maker.id)


def found_employer(
    conn: Connection, *, name: str, owner_email: str, actor: str, now: datetime
) -> tuple[str, Invitation, str]:
    """An operator's first employer: the employer, and an owner invitation for
    ``owner_email`` with its one-time token; ``(tenant id, invitation, token)``.

    Nobody owns anything yet on a fresh installation, so nobody could add it in the
    console; the invitee still accepts (and chooses their password) themselves.
    """
    cleaned = name_field(name)
    email = email_field(owner_email)
    tenant_id = _add_employer(conn, cleaned, actor=actor, now=now)
    invitation, token = invite_member(
        conn, tenant_id=tenant_id, email=email, role="owner", actor=actor, now=now
    )
    return tenant_id, invitation, token
