"""A published landing page with only the lead form, for the tests that fire at one."""

from __future__ import annotations

from koers.events import CampaignPublished, PageSnapshot, VariantState


def lead_form_campaign(slug: str, name: str) -> CampaignPublished:
    """One variant (``v1``, TikTok video) and a page offering the lead form alone."""
    return CampaignPublished(
        slug=slug,
        name=name,
        weekly_budget=500,
        page=PageSnapshot(
            version=1,
            employer_name="Acme",
            headline="Kom werken bij Acme",
            intro="Leuk werk.",
            entry_points=("lead",),
        ),
        variants=(
            VariantState(
                variant_id="v1", name="V1", channel="tiktok", creative_format="video", hook="h"
            ),
        ),
    )
