"""``POST /v1/allocate``: the allocation contract over HTTP, identical to the CLI's.

The request and response models are the engine's own (``analytics.allocation``); an
invalid request is a 422 problem (the web chassis maps validation errors), and anything
the engine cannot answer is a 422 problem too, never a 500. The route is plain ``def``:
the engine is CPU-bound and runs in the thread pool. It keeps no memory between calls.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from analytics.allocation import AllocationRequest, AllocationResponse, allocate
from analytics.errors import AllocationFailed
from analytics.web.deps import require_service_token
from analytics.web.problems import problem_response

router = APIRouter(
    prefix="/v1",
    tags=["allocation"],
    dependencies=[Depends(require_service_token)],
    responses={401: problem_response("The service token is missing or wrong.")},
)


@router.post(
    "/allocate",
    response_model=AllocationResponse,
    responses={422: problem_response("The request is invalid or cannot be allocated.")},
)
def post_allocate(request: AllocationRequest) -> AllocationResponse:
    """Next week's budget split per creative, with chances, costs and an explanation."""
    try:
        return allocate(request)
    except (ArithmeticError, ValueError) as exc:
        raise AllocationFailed(f"The engine could not answer this request: {exc}") from exc
