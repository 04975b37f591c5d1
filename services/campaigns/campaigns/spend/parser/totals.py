"""Totals rows: the sums platforms add to a table, which must not count twice.

Two kinds are recognised:

- *labelled* totals: a cell reading "Total", "Totals", "Totaal", "Totalen", "Grand total"
  or "Summary", alone, followed by ":", "(" or "-", or by "of"/"van" ("Total: Account",
  "Total: Search campaigns", "Totaal (12 advertenties)", "Total of 14 results"). Checked
  in the row's first filled cell and its ad-name cell only, so an ad called "Total
  recall" is still an ad.
- *unlabelled* summary rows: Meta Ads Manager can write the report's overall results as
  a row without an ad name. A row without an ad name is taken for such a summary only
  when its amount spent equals the sum of all the named rows (``is_summary_of``);
  otherwise it stays an error, because it may be spend we cannot assign.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

_TOTALS_LABEL = re.compile(
    r"(grand\s+total|totals?|totaal|totalen|eindtotaal|summary)"
    r"(\s*[:(\-\u2013].*|\s+(of|van)\s.*)?",
    re.IGNORECASE,
)


def is_totals_label(cell: str) -> bool:
    return _TOTALS_LABEL.fullmatch(cell.strip()) is not None


def is_totals_row(cells: tuple[str, ...], ad_name_index: int) -> bool:
    """A row labelled as a total in its first filled cell or in its ad-name cell."""
    first_filled = next((cell for cell in cells if cell), "")
    ad_name = cells[ad_name_index] if ad_name_index < len(cells) else ""
    return is_totals_label(first_filled) or is_totals_label(ad_name)


def is_summary_of(row_spend: Decimal, named_spends: Iterable[Decimal]) -> bool:
    """Whether an unnamed row's spend is exactly the sum of the named rows' spend."""
    return row_spend > 0 and row_spend == sum(named_spends, Decimal(0))
