"""Domain errors of the campaigns service; mapped to HTTP once, by the web chassis."""

from __future__ import annotations

from typing import Any

from campaigns.web.i18n import N_
from koers.web import Conflict, Forbidden, KoersError, NotFound, Unauthorized


class CampaignsError(KoersError):
    """Base of this service's domain errors."""


class CampaignNotFound(CampaignsError, NotFound):
    pass


class CreativeNotFound(CampaignsError, NotFound):
    pass


class ObjectNotFound(CampaignsError, NotFound):
    """Anything else of the tenant that is not there (or belongs to another tenant)."""


class NotAuthenticated(CampaignsError, Unauthorized):
    pass


class CsrfRejected(CampaignsError, Forbidden):
    title = N_("This form has expired")


class RoleForbidden(CampaignsError, Forbidden):
    title = N_("Not allowed for your role")


class CampaignNotPublishable(CampaignsError):
    status = 422
    title = N_("Campaign cannot be published")


class TransitionRefused(CampaignsError, Conflict):
    title = N_("That change is not possible now")


CAMPAIGN_CHANGED = N_(
    "Someone changed this campaign after you opened it (for example published, paused "
    "or edited it). Nothing was saved. Reload the page to see the campaign as it is now, "
    "then make your change again."
)


class CampaignChanged(CampaignsError, Conflict):
    """A write based on a version of the campaign that is no longer the newest."""

    title = N_("The campaign was changed meanwhile")


class InvalidInput(CampaignsError):
    """Input that parses but breaks a rule; ``field_errors`` maps form fields to messages."""

    status = 422
    title = N_("Invalid input")

    def __init__(self, detail: str, field_errors: dict[str, str] | None = None) -> None:
        errors: list[dict[str, Any]] = [
            {"field": field, "message": message} for field, message in (field_errors or {}).items()
        ]
        super().__init__(detail, errors=errors)
        self.field_errors = dict(field_errors or {})


class InvitationInvalid(CampaignsError, NotFound):
    title = N_("This invitation cannot be used")


class LoginRequired(Exception):
    """A console page was asked for without a session: send the browser to /login."""


class TenantChoiceRequired(LoginRequired):
    """Someone with several employers has not chosen one yet: send them to the chooser."""
