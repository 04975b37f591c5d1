from datetime import date, datetime

import pytest

from koers.isoweeks import (
    iso_week,
    next_iso_week,
    shift_week,
    week_label,
    week_monday,
    week_ordinal,
)

pytestmark = pytest.mark.unit


def test_week_labels_round_trip_through_ordinals_across_year_ends() -> None:
    assert shift_week("2026-W53", 1) == "2027-W01"
    assert shift_week("2027-W01", -1) == "2026-W53"
    assert week_label(week_ordinal("2026-W48")) == "2026-W48"
    assert iso_week(datetime(2026, 12, 31, 23, 0)) == "2026-W53"
    assert next_iso_week(date(2026, 12, 4)) == "2026-W50"
    assert week_monday("2026-W49") == date(2026, 11, 30)


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("2027-W53", "2027 has no week 53"),
        ("2026-W00", "has no week 0"),
        ("2026-47", "not an ISO week"),
    ],
)
def test_a_week_that_does_not_exist_is_refused_by_name(week: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        week_ordinal(week)
