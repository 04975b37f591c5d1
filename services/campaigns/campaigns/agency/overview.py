"""What the agency overview shows per employer: its live campaigns and the decisions of
the planned week that still wait, with the first deadline.

Read from this service's own tables only (the proposals analytics announced, the
decisions, push times): one overview over ten employers must not ask analytics for
every campaign. The weekly job stores every proposal it receives, so a proposal that
waits is here; the decisions page itself also asks analytics for a fresher one.

Only the employers in ``memberships`` are read: the caller passes the person's own
accepted memberships, never ids from a request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Connection

from campaigns.catalog import repository as catalog_repo
from campaigns.decisions import repository as decisions_repo
from campaigns.tenancy.repository import Membership


@dataclass(frozen=True)
class LiveCampaign:
    slug: str
    name: str
    waits: bool
    """A proposal for the week is here and nobody decided on it yet."""
    push_at: datetime
    """When the week's split goes out: the deadline of its decision."""
    time_zone: str
    """The campaign's own time zone, in which people read ``push_at``."""


@dataclass(frozen=True)
class EmployerSummary:
    tenant_id: str
    name: str
    role: str
    active: bool
    """The employer this session works for now."""
    campaigns: tuple[LiveCampaign, ...]

    @property
    def waiting(self) -> int:
        return sum(1 for c in self.campaigns if c.waits)

    @property
    def first_waiting(self) -> LiveCampaign | None:
        """The waiting decision whose push time comes first: the employer's deadline."""
        return next((c for c in self.campaigns if c.waits), None)


def _proposed_campaigns(conn: Connection, campaign_ids: Sequence[str], week: str) -> set[str]:
    if not campaign_ids:
        return set()
    table = decisions_repo.allocation_proposals
    rows = conn.execute(
        sa.select(table.c.campaign_id).where(
            table.c.campaign_id.in_(list(campaign_ids)), table.c.week == week
        )
    )
    return {row.campaign_id for row in rows}


def _live_campaign(
    conn: Connection,
    campaign_id: str,
    slug: str,
    name: str,
    week: str,
    proposed: bool,
    decided: Mapping[str, object],
) -> LiveCampaign:
    push_time = decisions_repo.push_time_of(conn, campaign_id)
    return LiveCampaign(
        slug=slug,
        name=name,
        waits=proposed and campaign_id not in decided,
        push_at=push_time.moment(week),
        time_zone=push_time.timezone,
    )


def employer_summaries(
    conn: Connection, memberships: Sequence[Membership], *, active_tenant: str, week: str
) -> list[EmployerSummary]:
    """One summary per membership: the active employer first, then by name."""
    summaries = []
    for membership in memberships:
        live = catalog_repo.campaigns_of_tenant(conn, membership.tenant_id, status="live")
        proposed = _proposed_campaigns(conn, [c.id for c in live], week)
        decided = decisions_repo.decisions_of_week(conn, membership.tenant_id, week)
        campaigns = tuple(
            sorted(
                (
                    _live_campaign(conn, c.id, c.slug, c.name, week, c.id in proposed, decided)
                    for c in live
                ),
                key=lambda c: (not c.waits, c.push_at, c.name.casefold()),
            )
        )
        summaries.append(
            EmployerSummary(
                tenant_id=membership.tenant_id,
                name=membership.tenant_name,
                role=membership.role,
                active=membership.tenant_id == active_tenant,
                campaigns=campaigns,
            )
        )
    summaries.sort(key=lambda s: (not s.active, s.name.casefold()))
    return summaries
