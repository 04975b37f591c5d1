"""Domain errors of the landing service, mapped to HTTP once (see ``main.py``).

Errors on candidate pages subclass :class:`CandidatePageError` and always render a
friendly HTML page in the candidate's language, whatever the browser's Accept header (in-app
browsers of social apps send odd ones): they carry a message code from
``messages.ERRORS``, not a sentence. Errors of the internal API are JSON problem details.
"""

from __future__ import annotations

from koers.web import Conflict, KoersError, NotFound


class CandidatePageError(KoersError):
    """Something a candidate can run into; shown as a friendly page."""

    code = "invalid_request"

    def __init__(self, code: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        self.code = code or type(self).code
        super().__init__(self.code)
        self.headers = headers or {}


class PageNotFound(CandidatePageError):
    status = 404
    title = "Page not found"
    code = "page_not_found"


class FormTokenInvalid(CandidatePageError):
    """The hidden form token is missing, tampered with or belongs to another page."""

    status = 400
    title = "Form token invalid"
    code = "form_invalid"


class FormTokenExpired(CandidatePageError):
    status = 400
    title = "Form token expired"
    code = "form_expired"


class CampaignClosed(CandidatePageError):
    """The campaign was paused or ended after the form was opened."""

    status = 410
    title = "Campaign closed"
    code = "campaign_closed"


class SubmissionRefused(CandidatePageError):
    """The database refused a value of this submission (the form checks let it by)."""

    status = 422
    title = "Submission refused"
    code = "submission_refused"


class TooManyRequests(CandidatePageError):
    status = 429
    title = "Too many requests"
    code = "too_many_requests"


class UploadTooLarge(CandidatePageError):
    status = 413
    title = "Upload too large"
    code = "upload_too_large"


class ReceiptInvalid(CandidatePageError):
    status = 400
    title = "Receipt invalid"
    code = "receipt_invalid"


class LeadNotFound(NotFound):
    title = "Lead not found"


class CvNotFound(NotFound):
    title = "CV not found"


class StatusChangeRefused(Conflict):
    title = "Status change refused"


class ErasureRequestInvalid(KoersError):
    status = 422
    title = "Erasure or export request invalid"


class ContactConflict(Conflict):
    """A reply without an attempt, or a second reply."""

    title = "Contact refused"
