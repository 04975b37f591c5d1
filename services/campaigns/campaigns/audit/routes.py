"""The console's audit log page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from campaigns.audit import repository
from campaigns.audit.names import object_names
from campaigns.tenancy.deps import ConsoleUser
from campaigns.web.deps import EngineDep
from campaigns.web.pager import PageNumber, Pager
from campaigns.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/audit", name="audit_log")
def audit_log(
    request: Request, user: ConsoleUser, engine: EngineDep, page: PageNumber = 1
) -> Response:
    """Every change and decision in this employer: who, when, what, before and after."""
    with engine.connect() as conn:
        pager = Pager.clamped(page, repository.count(conn, user.tenant_id))
        entries = repository.entries(
            conn, user.tenant_id, limit=pager.per_page, offset=pager.offset
        )
        names = object_names(conn, user.tenant_id, entries)
    context = {"entries": entries, "names": names, "pager": pager}
    return render(request, "audit.html", context, user=user)
