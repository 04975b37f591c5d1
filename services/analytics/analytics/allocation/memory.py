"""What the engine may remember between calls for a campaign, as a service would.

The engine works without it; with it, the lag of late conversions is measured directly:
the same week's conversions seen last week (young) and again now (complete). The memory
is an ordinary object the caller owns and passes in — nothing is kept globally.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from analytics.allocation.maturity import GrowthEvidence

KEEP_WEEKS = 60
"""Observations of weeks older than this (relative to the newest call) are forgotten."""


class AllocationMemory:
    """Per campaign: conversions of each (variant, week) as seen at each age."""

    def __init__(self) -> None:
        self._seen: dict[str, dict[tuple[str, int], dict[int, float]]] = {}

    def observe(
        self, campaign_id: str, planned: int, rows: Iterable[tuple[str, int, float]]
    ) -> None:
        """Remember ``(variant_id, week ordinal, conversions)`` as seen before ``planned``."""
        campaign = self._seen.setdefault(campaign_id, {})
        for variant_id, week, conversions in rows:
            campaign.setdefault((variant_id, week), {})[planned - week] = conversions
        for key in [key for key in campaign if key[1] < planned - KEEP_WEEKS]:
            del campaign[key]

    def growth(self, campaign_id: str, lag: int) -> GrowthEvidence:
        """Young and complete conversions of the weeks seen at both ages."""
        at_age = np.zeros(lag)
        complete = np.zeros(lag)
        for by_age in self._seen.get(campaign_id, {}).values():
            mature = [age for age in by_age if age > lag]
            if not mature:
                continue
            final = by_age[max(mature)]
            for age in range(1, lag + 1):
                if age in by_age:
                    at_age[age - 1] += by_age[age]
                    complete[age - 1] += final
        return GrowthEvidence(at_age=at_age, complete=complete)
