"""``koers-campaigns seed-demo``: the demo tenant, its owner and a published campaign.

Idempotent: everything happens in one transaction, and what exists is left alone, so a
second run writes nothing and emits nothing.
"""

from __future__ import annotations

import logging
import os
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import Engine

from campaigns.catalog import repository as catalog_repo
from campaigns.catalog import service as catalog
from campaigns.demo import (
    DEMO_CAMPAIGN,
    DEMO_DETAILS,
    DEMO_EMAIL,
    DEMO_IMPORT_ID,
    DEMO_PAGE,
    DEMO_SLUG,
    DEMO_TENANT,
    DEMO_VARIANTS,
    simulate_spend_history,
)
from campaigns.spend import service as spend
from campaigns.tenancy import repository as tenancy_repo
from campaigns.tenancy import service as tenancy
from campaigns.tenancy.auth import STRONG_PASSWORD_HASHER, verify_password
from campaigns.web.i18n import DEFAULT_LANGUAGE, Language
from koers.db import transaction

log = logging.getLogger(__name__)

SEED_ACTOR = "seed-demo"
PASSWORD_FILE = "demo-login.txt"


@dataclass(frozen=True)
class SeedResult:
    created_tenant: bool
    created_user: bool
    created_campaign: bool
    events_emitted: int
    email: str
    password: str | None
    """The password when it is known to this run (new, from the file or the environment)."""
    password_source: str
    """Where the password lives, in words, for the operator."""


def seed_demo(
    engine: Engine,
    *,
    var_dir: Path,
    console_url: str,
    demo_password: str = "",
    today: date,
    now: datetime,
    language: Language = DEFAULT_LANGUAGE,
    password_hasher: PasswordHasher = STRONG_PASSWORD_HASHER,
) -> SeedResult:
    """The demo employer, its owner account (reading the console in ``language``) and a
    seeded campaign with history; running it again changes nothing."""
    password_file = var_dir / PASSWORD_FILE
    with transaction(engine) as conn:
        user = tenancy_repo.user_by_email(conn, DEMO_EMAIL)
        # The demo employer is the one of that name the demo user works for: employer
        # names are not unique (revision 0009), and another employer that happens to
        # carry the demo's name must never get the demo user as its owner.
        tenant_id = next(
            (
                m.tenant_id
                for m in (tenancy_repo.memberships_of(conn, user.id) if user else ())
                if m.tenant_name == DEMO_TENANT
            ),
            None,
        )
        created_tenant = tenant_id is None
        if tenant_id is None:
            tenant_id = str(uuid.uuid4())
            tenancy_repo.add_tenant(conn, tenant_id, DEMO_TENANT)
        password: str | None
        if user is None:
            password = demo_password or secrets.token_urlsafe(12)
            tenancy.create_user(
                conn,
                tenant_id=tenant_id,
                email=DEMO_EMAIL,
                password=password,
                role="owner",
                now=now,
                language=language,
                password_hasher=password_hasher,
            )
            if demo_password:
                password_source = "from KOERS_DEMO_PASSWORD"
            else:
                # Written before the commit: if the commit fails, the next run creates
                # the user again and overwrites this file.
                _write_private(password_file, console_url, password)
                password_source = f"kept in {password_file}"
        else:
            password, password_source = _known_password(
                password_file, demo_password, user.password_hash, password_hasher
            )

        emitted = 0
        created_campaign = not catalog_repo.slug_taken(conn, DEMO_SLUG)
        if created_campaign:
            campaign = catalog.create_campaign(
                conn,
                tenant_id=tenant_id,
                new=catalog.NewCampaign(page=DEMO_PAGE, variants=DEMO_VARIANTS, **DEMO_CAMPAIGN),
                actor=SEED_ACTOR,
                now=now,
            )
            campaign = replace(campaign, **DEMO_DETAILS)
            catalog_repo.save_campaign(conn, campaign)
            catalog.publish(conn, tenant_id=tenant_id, slug=DEMO_SLUG, actor=SEED_ACTOR, now=now)
            history = simulate_spend_history(tuple(v.variant_id for v in DEMO_VARIANTS), today)
            spend_events = spend.record_spend(
                conn,
                campaign=campaign,
                days=history,
                import_id=DEMO_IMPORT_ID,
                actor=SEED_ACTOR,
                now=now,
            )
            emitted = 1 + len(spend_events)
    return SeedResult(
        created_tenant=created_tenant,
        created_user=user is None,
        created_campaign=created_campaign,
        events_emitted=emitted,
        email=DEMO_EMAIL,
        password=password,
        password_source=password_source,
    )


def _known_password(
    password_file: Path, demo_password: str, password_hash: str, password_hasher: PasswordHasher
) -> tuple[str | None, str]:
    if password_file.exists():
        for line in password_file.read_text().splitlines():
            if line.startswith("password: "):
                return line.removeprefix("password: "), f"kept in {password_file}"
    if demo_password:
        if verify_password(password_hash, demo_password, password_hasher):
            return demo_password, "from KOERS_DEMO_PASSWORD"
        log.warning("KOERS_DEMO_PASSWORD differs from the demo user's password; left unchanged")
    return None, (
        f"shown when the demo was first seeded; {password_file} is gone, so delete the "
        "database and seed again to get a new one"
    )


def _write_private(path: Path, console_url: str, password: str) -> None:
    """Write the demo login readable by its owner only (mode 600, also when it existed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(
            "# Koers demo login, written by `koers-campaigns seed-demo`.\n"
            f"console: {console_url}\nemail: {DEMO_EMAIL}\npassword: {password}\n"
        )
