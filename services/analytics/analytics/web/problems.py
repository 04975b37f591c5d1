"""Problem details (RFC 9457) as the OpenAPI document describes them; the chassis renders
them (``koers.web``), the routers declare which ones they answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Problem(BaseModel):
    """An RFC 9457 problem details body."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str


def problem_response(description: str) -> dict[str, Any]:
    """An OpenAPI ``responses`` entry for a problem-details error."""
    return {"model": Problem, "description": description}
