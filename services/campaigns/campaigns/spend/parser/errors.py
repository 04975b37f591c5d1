"""Why a whole file cannot be imported: each error says what to do about it.

Problems with single rows are not errors here: they end up in the preview next to the
row (see ``model.RowResult``). These are for files nothing can be read from, and they
are ``CampaignsError``s so the web chassis maps them to a 4xx once, for every route.
"""

from __future__ import annotations

from campaigns.errors import CampaignsError


class SpendFileRejected(CampaignsError):
    """Base: the upload as a whole cannot be read as an ad-platform export."""

    status = 422
    title = "This file cannot be imported"


class EmptyFile(SpendFileRejected):
    title = "The file is empty"


class FileTooLarge(SpendFileRejected):
    status = 413
    title = "The file is too large"


class NotATextFile(SpendFileRejected):
    status = 415
    title = "This is not a CSV export"


class HeaderNotFound(SpendFileRejected):
    title = "No column names found"


class NoDataRows(SpendFileRejected):
    title = "The file has no rows to import"


class TooManyRows(SpendFileRejected):
    status = 413
    title = "The file has too many rows"
