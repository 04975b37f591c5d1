"""Domain errors of the campaigns service; mapped to HTTP once, by the web chassis."""

from __future__ import annotations

from koers.web import Forbidden, KoersError, NotFound, Unauthorized


class CampaignsError(KoersError):
    """Base of this service's domain errors."""


class CampaignNotFound(CampaignsError, NotFound):
    pass


class NotAuthenticated(CampaignsError, Unauthorized):
    pass


class CsrfRejected(CampaignsError, Forbidden):
    title = "This form has expired"


class CampaignNotPublishable(CampaignsError):
    status = 422
    title = "Campaign cannot be published"


class LoginRequired(Exception):
    """A console page was asked for without a session: send the browser to /login."""
