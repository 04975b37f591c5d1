"""Domain errors of the analytics service; mapped to problem details by the web chassis."""

from __future__ import annotations

from koers.web import KoersError, NotFound


class AnalyticsError(KoersError):
    """Base of every analytics error."""


class CampaignNotFound(AnalyticsError, NotFound):
    """Analytics has neither campaign state nor any facts for this campaign id."""


class InvalidWeek(AnalyticsError):
    status = 422
    title = "Invalid request"
