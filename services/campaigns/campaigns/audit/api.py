"""JSON API ``/api/v1/audit``: the tenant's audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from campaigns.audit import repository
from campaigns.tenancy.deps import ApiUser
from campaigns.web.deps import EngineDep
from campaigns.web.openapi import ERRORS, Limit, Offset

router = APIRouter(prefix="/api/v1", tags=["tenancy"])


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    actor: str
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime


@router.get("/audit", response_model=list[AuditEntryOut], responses=ERRORS)
def audit_log(
    user: ApiUser, engine: EngineDep, limit: Limit = 50, offset: Offset = 0
) -> list[AuditEntryOut]:
    """The tenant's audit log, newest first."""
    with engine.connect() as conn:
        entries = repository.entries(conn, user.tenant_id, limit=limit, offset=offset)
    return [AuditEntryOut.model_validate(e) for e in entries]
