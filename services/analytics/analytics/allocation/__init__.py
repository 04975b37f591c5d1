"""The weekly allocation engine: a pure function from weekly counts to a budget split.

``allocate(request, memory=None)`` takes an :class:`AllocationRequest` (the campaign's
creatives, budget and weekly history) and returns an :class:`AllocationResponse`. See
``docs/api.md`` ("Allocation") for the contract and ``engine.py`` for the steps.
"""

from __future__ import annotations

from analytics.allocation.contract import (
    AllocationPolicy,
    AllocationRequest,
    AllocationResponse,
)
from analytics.allocation.engine import allocate
from analytics.allocation.memory import AllocationMemory

__all__ = [
    "AllocationMemory",
    "AllocationPolicy",
    "AllocationRequest",
    "AllocationResponse",
    "allocate",
]
