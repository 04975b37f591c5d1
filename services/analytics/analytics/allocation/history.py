"""Stage 1: the request's history as arrays the statistics can work on.

Rows keep their request order. Every row belongs to a *unit*: the listed creatives come
first, in the order of ``request.variants``, then creatives that have history but are
not listed this week (paused), in order of first appearance. Unlisted units inform the
campaign's prior only; they get no budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analytics.allocation.contract import CHANNELS, AllocationRequest
from koers.isoweeks import week_ordinal

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

CHANNEL_CODE = {name: code for code, name in enumerate(CHANNELS)}
UNKNOWN_CHANNEL = -1


@dataclass(frozen=True)
class History:
    """Per row: unit, week, age and counts; per unit: id, channel and first live week."""

    planned: int
    """Week ordinal of the planned week."""
    unit_ids: tuple[str, ...]
    listed: int
    """How many units are listed creatives (the first ``listed`` units)."""
    channel: IntArray
    """Channel code per unit; :data:`UNKNOWN_CHANNEL` for unlisted units."""
    first_week: IntArray
    """Week ordinal per unit of its first live week: created, or its first row if earlier."""
    unit: IntArray
    week: IntArray
    age: IntArray
    """Weeks before the planned week (last week is 1)."""
    spend: FloatArray
    clicks: FloatArray
    conversions: FloatArray

    @property
    def units(self) -> int:
        return len(self.unit_ids)

    @property
    def unlisted(self) -> int:
        """Creatives with history that are not listed this week."""
        return self.units - self.listed


def read_history(request: AllocationRequest) -> History:
    """The history of ``request`` as :class:`History` arrays."""
    planned = week_ordinal(request.week)
    ids = [variant.variant_id for variant in request.variants]
    index = {variant_id: i for i, variant_id in enumerate(ids)}
    history = request.history
    count = len(history)
    for variant_id in dict.fromkeys(row["variant_id"] for row in history):  # first seen first
        index.setdefault(variant_id, len(index))
    unit_ids = tuple(index)
    listed = len(ids)

    ordinals = {label: week_ordinal(label) for label in {row["week"] for row in history}}
    week = np.fromiter((ordinals[row["week"]] for row in history), np.int64, count)
    unit = np.fromiter((index[row["variant_id"]] for row in history), np.int64, count)

    channel = np.full(len(unit_ids), UNKNOWN_CHANNEL, dtype=np.int64)
    channel[:listed] = [CHANNEL_CODE[variant.channel] for variant in request.variants]
    first_week = np.full(len(unit_ids), planned, dtype=np.int64)
    created = {variant.created_week for variant in request.variants}
    ordinals.update({label: week_ordinal(label) for label in created - ordinals.keys()})
    first_week[:listed] = [ordinals[variant.created_week] for variant in request.variants]
    np.minimum.at(first_week, unit, week)

    return History(
        planned=planned,
        unit_ids=unit_ids,
        listed=listed,
        channel=channel,
        first_week=first_week,
        unit=unit,
        week=week,
        age=planned - week,
        spend=np.fromiter((row["spend"] for row in history), float, count),
        clicks=np.fromiter((row["clicks"] for row in history), float, count),
        conversions=np.fromiter((row["conversions"] for row in history), float, count),
    )
