"""koers.instants: moments read as UTC, days and moments outside 2000-2199 refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from koers.instants import PlausibleDay, UtcInstant

pytestmark = pytest.mark.unit

INSTANT = TypeAdapter(UtcInstant)
DAY = TypeAdapter(PlausibleDay)


def test_a_moment_is_read_as_aware_utc_with_or_without_a_zone() -> None:
    amsterdam = timezone(timedelta(hours=1))

    assert INSTANT.validate_python("2026-12-06T10:00:00+01:00") == datetime(
        2026, 12, 6, 9, tzinfo=UTC
    )
    assert INSTANT.validate_python(datetime(2026, 12, 6, 10, tzinfo=amsterdam)).tzinfo is UTC
    assert INSTANT.validate_python("2026-12-06T10:00:00") == datetime(2026, 12, 6, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-01:00", "1999-12-31T23:59:59Z"],
)
def test_a_moment_outside_2000_to_2199_is_refused_not_overflowed(moment: str) -> None:
    with pytest.raises(ValidationError, match="between 2000-01-01 and 2199-12-31"):
        INSTANT.validate_python(moment)


def test_days_are_kept_between_2000_and_2199() -> None:
    assert DAY.validate_python("2000-01-01") == date(2000, 1, 1)
    assert DAY.validate_python("2199-12-31") == date(2199, 12, 31)
    for day in ("1999-12-31", "2200-01-01", "9999-12-31"):
        with pytest.raises(ValidationError, match="between"):
            DAY.validate_python(day)
