"""What every ``/api/v1`` route shares: its error responses and paging parameters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No or an unknown API token / session"},
    403: {"model": Problem, "description": "The role may not do this, or the CSRF check failed"},
    404: {"model": Problem, "description": "Not found in this tenant"},
    409: {"model": Problem, "description": "Not possible in the object's current state"},
    422: {"model": Problem, "description": "Invalid input"},
}

Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
