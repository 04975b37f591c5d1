"""Domain errors of the campaigns service; mapped to HTTP once, by the web chassis."""

from __future__ import annotations

from typing import Any

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
    title = "This form has expired"


class RoleForbidden(CampaignsError, Forbidden):
    title = "Not allowed for your role"


class CampaignNotPublishable(CampaignsError):
    status = 422
    title = "Campaign cannot be published"


class TransitionRefused(CampaignsError, Conflict):
    title = "That change is not possible now"


class InvalidInput(CampaignsError):
    """Input that parses but breaks a rule; ``field_errors`` maps form fields to messages."""

    status = 422
    title = "Invalid input"

    def __init__(self, detail: str, field_errors: dict[str, str] | None = None) -> None:
        errors: list[dict[str, Any]] = [
            {"field": field, "message": message} for field, message in (field_errors or {}).items()
        ]
        super().__init__(detail, errors=errors)
        self.field_errors = dict(field_errors or {})


class LoginRequired(Exception):
    """A console page was asked for without a session: send the browser to /login."""
