from datetime import date

import pytest

from confman.demo.data import demo_date


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 11, 25), date(2027, 11, 14)),  # 14 Nov 2026 is past (and a Saturday)
        (date(2027, 1, 1), date(2027, 11, 14)),
        (date(2027, 11, 14), date(2027, 11, 14)),  # the day itself still counts
        (date(2027, 11, 15), date(2032, 11, 14)),  # next Sunday 14 November after 2027
    ],
)
def test_demo_date_is_next_sunday_14_november(today: date, expected: date) -> None:
    assert demo_date(today) == expected
    assert expected.weekday() == 6
