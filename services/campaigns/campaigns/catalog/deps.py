"""The campaign a route is about: ``{slug}`` of the current user's tenant, else 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from campaigns.catalog import service
from campaigns.catalog.domain import Campaign
from campaigns.tenancy.deps import CurrentUser
from campaigns.web.deps import EngineDep


def tenant_campaign(slug: str, user: CurrentUser, engine: EngineDep) -> Campaign:
    """The user's tenant's campaign ``slug``; another tenant's is simply not found."""
    with engine.connect() as conn:
        return service.get_campaign(conn, user.tenant_id, slug)


TenantCampaign = Annotated[Campaign, Depends(tenant_campaign)]
