"""Plans the delivery tests share: one creative per platform, ids as a marketer enters them."""

from __future__ import annotations

from campaigns.delivery import BudgetPlan, CreativeBudget, PlatformIds

WEEK = "2026-W48"


def creative(
    variant_id: str,
    channel: str = "instagram",
    weekly_cents: int = 70_000,
    *,
    paused: bool = False,
    **ids: str,
) -> CreativeBudget:
    return CreativeBudget(
        variant_id=variant_id,
        name=f"Creative {variant_id}",
        channel=channel,  # type: ignore[arg-type]
        ids=PlatformIds(**ids),
        new_weekly_cents=weekly_cents,
        current_weekly_cents=50_000,
        paused=paused,
    )


def plan_of(*creatives: CreativeBudget, name: str = "Werken bij Zorg in Zwolle") -> BudgetPlan:
    return BudgetPlan(
        tenant_id="tenant-a",
        campaign_id="camp-1",
        campaign_name=name,
        week=WEEK,
        creatives=tuple(creatives),
    )


def mixed_plan() -> BudgetPlan:
    """Every platform once, a paused creative, one missing id, one channel without adapter."""
    return plan_of(
        creative(
            "video-a", "instagram", 70_000, ad_set_id="120210000000001", ad_id="120210000000091"
        ),
        creative("foto-b", "facebook", 35_000, paused=True, ad_set_id="120210000000002"),
        creative("li-text", "linkedin", 21_000, campaign_id="612345678"),
        creative("tt-video", "tiktok", 14_000, ad_set_id="1780000000000001"),
        creative("yt-short", "youtube", 10_000, campaign_id="20123456789", campaign_name="YT Zorg"),
        creative("no-ids", "instagram", 7_000),
        creative("snap", "snapchat", 5_000, campaign_id="abc"),
    )
