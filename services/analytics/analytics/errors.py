"""Domain errors of the analytics service; mapped to problem details by the web chassis."""

from __future__ import annotations

from koers.web import Conflict, KoersError, NotFound


class AnalyticsError(KoersError):
    """Base of every analytics error."""


class CampaignNotFound(AnalyticsError, NotFound):
    """Analytics has neither campaign state nor any facts for this campaign id."""


class InvalidWeek(AnalyticsError):
    status = 422
    title = "Invalid request"


class AllocationNotFound(AnalyticsError, NotFound):
    """No proposal has been computed for this campaign and ISO week."""


class CannotPropose(AnalyticsError, Conflict):
    """The campaign is in no state to get a proposal (no live creative, paused, unknown)."""


class AllocationAlreadyDecided(AnalyticsError, Conflict):
    """The week's proposal was approved or rejected; it is final."""


class AllocationFailed(AnalyticsError):
    """The engine cannot answer a request, sent as is or built from the stored facts
    (reported, never a 500)."""

    status = 422
    title = "Allocation failed"
