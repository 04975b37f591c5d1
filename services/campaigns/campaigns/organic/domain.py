"""What organic views of employee-made content are worth, as pure functions.

Employee-made creatives (a colleague's own video or post) reach people without paid
spend. The employer values that reach at its CPM: what a thousand paid impressions cost
it. ``value = views / 1000 * CPM``, in cents, half up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

DEFAULT_CPM_CENTS = 800
"""€8 per thousand views, a common paid-social CPM, until the employer sets its own."""
MAX_CPM_CENTS = 100_000
"""€1,000: a CPM above this is a typo, not a price."""
MAX_WEEKLY_VIEWS = 1_000_000_000


def media_value_cents(views: int, cpm_cents: int) -> int:
    """What ``views`` organic views are worth at ``cpm_cents`` per thousand."""
    value = Decimal(views) * Decimal(cpm_cents) / 1000
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class OrganicRow:
    """One employee-made creative: its organic views, their value and its paid spend."""

    variant_id: str
    name: str
    views: int
    value_cents: int
    spend_cents: int


@dataclass(frozen=True)
class OrganicSummary:
    cpm_cents: int
    rows: tuple[OrganicRow, ...]

    @property
    def views(self) -> int:
        return sum(r.views for r in self.rows)

    @property
    def value_cents(self) -> int:
        return sum(r.value_cents for r in self.rows)

    @property
    def spend_cents(self) -> int:
        return sum(r.spend_cents for r in self.rows)


def organic_summary(
    creatives: Sequence[tuple[str, str]],
    views: Mapping[str, int],
    spend_cents: Mapping[str, int],
    cpm_cents: int,
) -> OrganicSummary:
    """Per employee-made creative (id, name) in the given order: views, value, spend."""
    return OrganicSummary(
        cpm_cents=cpm_cents,
        rows=tuple(
            OrganicRow(
                variant_id=variant_id,
                name=name,
                views=views.get(variant_id, 0),
                value_cents=media_value_cents(views.get(variant_id, 0), cpm_cents),
                spend_cents=spend_cents.get(variant_id, 0),
            )
            for variant_id, name in creatives
        ),
    )
