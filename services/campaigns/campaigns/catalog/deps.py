"""The campaign a route is about: ``{slug}`` of the current user's tenant, else 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from campaigns.catalog import service
from campaigns.catalog.domain import Campaign
from campaigns.catalog.page_preview import PagePreviews
from campaigns.errors import CAMPAIGN_CHANGED, CampaignChanged
from campaigns.tenancy.deps import CurrentUser
from campaigns.web.deps import EngineDep

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def submitted_version(request: Request) -> int | None:
    """The campaign version a form (hidden ``version``) or API call (``If-Match``) was
    based on; None when it names none."""
    raw: object = None
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        raw = (await request.form()).get("version")
    elif request.headers.get("if-match"):
        raw = request.headers["if-match"].strip().removeprefix("W/").strip('"')
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        return int(raw)
    except ValueError:
        raise CampaignChanged(CAMPAIGN_CHANGED) from None


def tenant_campaign(
    slug: str,
    user: CurrentUser,
    engine: EngineDep,
    based_on: Annotated[int | None, Depends(submitted_version)],
) -> Campaign:
    """The user's tenant's campaign ``slug``; another tenant's is simply not found.

    A form loaded at an older version of the campaign is refused (409) before anything
    is written, so a marketer never overwrites a publish or pause they have not seen;
    the write itself checks the version again (see ``repository.save_campaign``).
    """
    with engine.connect() as conn:
        campaign = service.get_campaign(conn, user.tenant_id, slug)
    if based_on is not None and based_on != campaign.version:
        raise CampaignChanged(CAMPAIGN_CHANGED)
    return campaign


TenantCampaign = Annotated[Campaign, Depends(tenant_campaign)]


async def get_page_previews(request: Request) -> PagePreviews:
    previews: PagePreviews = request.app.state.page_previews
    return previews


PagePreviewsDep = Annotated[PagePreviews, Depends(get_page_previews)]
