"""Domain errors of the landing service, mapped to HTTP once (see ``main.py``).

Errors on candidate pages subclass :class:`CandidatePageError` and always render a
friendly HTML page, whatever the browser's Accept header (in-app browsers of social
apps send odd ones); errors of the internal API are JSON problem details.
"""

from __future__ import annotations

from koers.web import KoersError, NotFound


class CandidatePageError(KoersError):
    """Something a candidate can run into; shown as a friendly page."""


class PageNotFound(CandidatePageError):
    status = 404
    title = "Deze pagina bestaat niet (meer)"


class FormTokenInvalid(CandidatePageError):
    """The hidden form token is missing, tampered with or belongs to another page."""

    status = 400
    title = "Dit formulier kunnen we niet verwerken"


class FormTokenExpired(CandidatePageError):
    status = 400
    title = "Dit formulier is verlopen"


class LeadNotFound(NotFound):
    title = "Lead not found"
