"""Read side: the funnel views the API serves, assembled by the pure domain."""

from __future__ import annotations

from sqlalchemy import Connection, Engine

from analytics import domain, repository
from analytics.errors import CampaignNotFound, InvalidWeek


def _require_known(conn: Connection, campaign_id: str) -> None:
    if not repository.campaign_is_known(conn, campaign_id):
        raise CampaignNotFound(f"analytics has no data for campaign {campaign_id!r}")


def campaign_funnel(engine: Engine, campaign_id: str) -> domain.CampaignFunnel:
    """Every variant's funnel per ISO week, with totals; CampaignNotFound when unknown."""
    with engine.connect() as conn:  # one read transaction: a consistent snapshot
        _require_known(conn, campaign_id)
        return domain.summarise_funnel(
            campaign_id,
            repository.funnel_counter_rows(conn, campaign_id),
            repository.delivery_days(conn, campaign_id),
            repository.known_variant_ids(conn, campaign_id),
        )


def campaign_week(engine: Engine, campaign_id: str, week: str) -> domain.CampaignFunnel:
    """The campaign's funnel restricted to one ISO week (known variants show zeros)."""
    try:
        monday, sunday = domain.week_days(week)
    except ValueError as exc:
        raise InvalidWeek(str(exc)) from exc
    with engine.connect() as conn:
        _require_known(conn, campaign_id)
        return domain.summarise_funnel(
            campaign_id,
            repository.funnel_counter_rows(conn, campaign_id, week),
            repository.delivery_days(conn, campaign_id, monday, sunday),
            repository.known_variant_ids(conn, campaign_id),
        )
