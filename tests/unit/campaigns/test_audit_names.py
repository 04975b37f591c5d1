"""The audit log names objects for people, from the tenant's own tables only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from campaigns.audit import repository as audit
from campaigns.audit.names import object_names
from campaigns.catalog.repository import campaigns, variants
from campaigns.demo import DEMO_EMAIL, DEMO_SLUG
from campaigns.seed import SeedResult
from campaigns.tenancy.repository import users
from koers.db import transaction

pytestmark = pytest.mark.unit


def test_old_rows_get_todays_names_and_other_tenants_see_only_ids(
    engine: Engine, seeded: SeedResult
) -> None:
    with transaction(engine) as conn:
        campaign = conn.execute(sa.select(campaigns).where(campaigns.c.slug == DEMO_SLUG)).one()
        variant = conn.execute(
            sa.select(variants).where(variants.c.campaign_id == campaign.id).limit(1)
        ).one()
        user_id = conn.execute(sa.select(users.c.id).where(users.c.email == DEMO_EMAIL)).scalar()
        rows = [
            ("campaign", campaign.id, None),
            ("creative", f"{campaign.id}:{variant.variant_id}", None),
            ("membership", str(user_id), {"role": "owner"}),
            ("allocation", f"{campaign.id}:2026-W48", {"summary": "Approved as proposed"}),
        ]
        for object_type, object_id, after in rows:
            audit.record(
                conn,
                tenant_id=campaign.tenant_id,
                actor="someone@example.nl",
                action="update",
                object_type=object_type,
                object_id=object_id,
                before=None,
                after=after,
            )
        entries = audit.entries(conn, campaign.tenant_id, limit=4)
        own = object_names(conn, campaign.tenant_id, entries)
        foreign = object_names(conn, "another-tenant", entries)

    by_type = {e.object_type: own[e.id] for e in entries}
    assert by_type["campaign"].name == campaign.name
    assert by_type["creative"].name == f"{variant.name} ({campaign.name})"
    assert by_type["membership"].name == DEMO_EMAIL
    assert by_type["allocation"].name == "Approved as proposed"  # what the row recorded
    assert all(name.known for name in own.values())
    # Another tenant's view of the same ids names nothing it does not own.
    leaked = {campaign.name, variant.name, DEMO_EMAIL}
    for entry in entries:
        name = foreign[entry.id]
        if entry.object_type != "allocation":
            assert not name.known and name.name not in leaked, name
