"""Occurrences: start + k × period, searches and limits (contract §3.2; chronos.md §3.12, §4.2)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from chronos_operator.schedule import Period, Schedule, ScheduleError, parse_schedule


def utc(year: int, month: int, day: int, *clock: int) -> datetime:
    hour, minute, second, us = (*clock, 0, 0, 0, 0)[:4]
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def test_month_period_from_jan_31_clamps_without_drift() -> None:
    s = parse_schedule("R/2012-01-31T00:00:00Z/P1M")
    assert [s.occurrence(k) for k in range(5)] == [
        utc(2012, 1, 31),
        utc(2012, 2, 29),
        utc(2012, 3, 31),
        utc(2012, 4, 30),
        utc(2012, 5, 31),
    ]


def test_month_period_from_jan_31_in_a_common_year_clamps_to_feb_28() -> None:
    s = parse_schedule("R/2013-01-31T10:00:00Z/P1M")
    assert s.occurrence(1) == utc(2013, 2, 28, 10)
    assert s.occurrence(2) == utc(2013, 3, 31, 10)


def test_year_period_from_feb_29_clamps_and_returns_to_feb_29_in_leap_years() -> None:
    s = parse_schedule("R/2012-02-29T00:00:00Z/P1Y")
    assert [s.occurrence(k) for k in range(5)] == [
        utc(2012, 2, 29),
        utc(2013, 2, 28),
        utc(2014, 2, 28),
        utc(2015, 2, 28),
        utc(2016, 2, 29),
    ]


def test_combined_period_adds_years_months_then_days_then_time() -> None:
    s = parse_schedule("R/2012-01-31T00:00:00Z/P1M1DT1H")
    assert s.occurrence(1) == utc(2012, 3, 1, 1)  # Jan 31 + 1 month = Feb 29, + 1 day = Mar 1, + 1 h
    assert s.occurrence(2) == utc(2012, 4, 2, 2)  # Jan 31 + 2 months = Mar 31, + 2 days, + 2 h


def test_weeks_are_seven_days() -> None:
    s = parse_schedule("R/2024-01-01T00:00:00Z/P2W")
    assert s.occurrence(1) == utc(2024, 1, 15)


def test_occurrence_beyond_the_repetitions_raises_index_error() -> None:
    s = parse_schedule("R3/2024-01-01T00:00:00Z/PT1H")
    assert s.occurrence(2) == utc(2024, 1, 1, 2)
    with pytest.raises(IndexError):
        s.occurrence(3)
    with pytest.raises(IndexError):
        s.occurrence(-1)


def test_occurrence_of_an_empty_start_raises_schedule_error() -> None:
    s = parse_schedule("R3//PT1H")
    with pytest.raises(ScheduleError, match="empty start"):
        s.occurrence(0)
    with pytest.raises(ScheduleError):
        s.index_at_or_before(utc(2024, 1, 1))
    with pytest.raises(ScheduleError):
        s.next_after(utc(2024, 1, 1))


def test_occurrences_past_year_9999_do_not_exist() -> None:
    s = parse_schedule("R/2012-01-01T00:00:00Z/P1Y")
    assert s.occurrence(7987) == utc(9999, 1, 1)
    with pytest.raises(IndexError):
        s.occurrence(7988)
    assert s.next_after(utc(9999, 1, 1)) is None
    assert s.index_at_or_before(datetime.max.replace(tzinfo=UTC)) == 7987


def test_index_at_or_before_finds_the_last_occurrence_not_after_the_instant() -> None:
    s = parse_schedule("R/2024-01-01T00:00:00Z/PT1H")
    assert s.index_at_or_before(utc(2023, 12, 31, 23, 59)) is None
    assert s.index_at_or_before(utc(2024, 1, 1)) == 0
    assert s.index_at_or_before(utc(2024, 1, 1, 1, 59, 59)) == 1
    assert s.index_at_or_before(utc(2024, 1, 1, 2)) == 2


def test_index_at_or_before_stays_within_the_repetitions() -> None:
    s = parse_schedule("R3/2024-01-01T00:00:00Z/PT1H")
    assert s.index_at_or_before(utc(2030, 1, 1)) == 2


def test_index_at_or_before_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        parse_schedule("R/2024-01-01T00:00:00Z/PT1H").index_at_or_before(datetime(2024, 1, 2))


def test_next_after_is_strictly_after_the_instant() -> None:
    s = parse_schedule("R/2024-01-01T00:00:00Z/PT1H")
    assert s.next_after(utc(2024, 1, 1, 2)) == (3, utc(2024, 1, 1, 3))
    assert s.next_after(utc(2024, 1, 1, 2, 0, 0) - timedelta(microseconds=1)) == (2, utc(2024, 1, 1, 2))
    assert s.next_after(utc(2020, 1, 1)) == (0, utc(2024, 1, 1))


def test_next_after_respects_from_index_and_repetitions() -> None:
    s = parse_schedule("R5/2024-01-01T00:00:00Z/PT1H")
    assert s.next_after(utc(2020, 1, 1), from_index=3) == (3, utc(2024, 1, 1, 3))
    assert s.next_after(utc(2024, 1, 1, 3, 30)) == (4, utc(2024, 1, 1, 4))
    assert s.next_after(utc(2024, 1, 1, 4)) is None
    assert s.next_after(utc(2020, 1, 1), from_index=5) is None


def test_one_second_schedule_from_2012_is_searched_in_2026_without_iterating() -> None:
    s = parse_schedule("R/2012-01-01T00:00:00Z/PT1S")
    began = time.perf_counter()
    k = s.index_at_or_before(utc(2026, 5, 1, 12, 0, 0) + timedelta(milliseconds=500))
    assert time.perf_counter() - began < 0.1
    assert k == int((utc(2026, 5, 1, 12) - utc(2012, 1, 1)).total_seconds())
    assert s.occurrence(k) == utc(2026, 5, 1, 12)


def test_monthly_schedule_search_is_exact_after_many_years() -> None:
    s = parse_schedule("R/2012-01-31T00:00:00Z/P1M")
    assert s.index_at_or_before(utc(2026, 2, 28)) == 14 * 12 + 1
    assert s.index_at_or_before(utc(2026, 2, 27, 23, 59)) == 14 * 12


def test_month_schedule_next_run_is_after_now_on_day_one() -> None:
    # chronos.md §3.12 quirk 1: Chronos' skipForward landed in the past (2024-11-01); this must not.
    s = parse_schedule("R/2012-01-01T00:00:01.000Z/P1M")
    assert s.next_after(utc(2025, 1, 15)) == (157, utc(2025, 2, 1, 0, 0, 1))


def test_zero_period_has_one_occurrence_at_most() -> None:
    # chronos.md §3.12 quirk 3: a zero period must not stay due forever.
    s = parse_schedule("R1/2024-01-01T00:00:00Z/PT0S")
    assert s.occurrence(0) == utc(2024, 1, 1)
    with pytest.raises(IndexError):
        s.occurrence(1)
    assert s.index_at_or_before(utc(2030, 1, 1)) == 0
    assert s.next_after(utc(2024, 1, 1)) is None


def test_year_period_next_occurrence_is_one_year_after_a_start_of_yesterday() -> None:
    # chronos.md §4.2: R/<now-1 day>/P1Y
    now = utc(2026, 3, 14, 15, 9, 26)
    yesterday = now - timedelta(days=1)
    s = parse_schedule("R/2026-03-13T15:09:26Z/P1Y")
    assert s.start == yesterday
    assert s.next_after(now) == (1, utc(2027, 3, 13, 15, 9, 26))


def test_minute_period_next_occurrence_is_on_the_same_day_as_now() -> None:
    # chronos.md §4.2: R/2012-01-01T00:00:01.000Z/PT1M
    s = parse_schedule("R/2012-01-01T00:00:01.000Z/PT1M")
    now = utc(2026, 6, 1, 12, 0, 30)
    found = s.next_after(now)
    assert found is not None
    assert found[1] == utc(2026, 6, 1, 12, 1, 1)


def test_future_start_is_the_next_occurrence() -> None:
    s = parse_schedule("R/2030-01-01T00:00:00Z/PT1M")
    assert s.next_after(utc(2026, 1, 1)) == (0, utc(2030, 1, 1))
    assert s.index_at_or_before(utc(2026, 1, 1)) is None


def test_schedule_built_directly_with_a_zoneinfo_start_and_no_zone_uses_the_start_offset() -> None:
    # zone None means the fixed offset of the start: no DST even if the start's tzinfo has some.
    start = parse_schedule("R/2024-03-09T09:00:00Z/P1D", "America/New_York").start
    s = Schedule(repetitions=None, start=start, period=Period(days=1))
    assert s.occurrence(1) == utc(2024, 3, 10, 14)


def test_fractional_period_accumulates_exactly() -> None:
    s = parse_schedule("R/2024-01-01T00:00:00Z/PT1.000001S")
    assert s.occurrence(1_000_000) == utc(2024, 1, 1) + timedelta(seconds=1_000_001)


def test_occurrence_count() -> None:
    assert parse_schedule("R/2024-01-01T00:00:00Z/PT1S").occurrence_count() is None
    assert parse_schedule("R7/2024-01-01T00:00:00Z/PT1S").occurrence_count() == 7
    assert parse_schedule("R1/2024-01-01T00:00:00Z/PT0S").occurrence_count() == 1
    assert parse_schedule("R0/2024-01-01T00:00:00Z/PT0S").occurrence_count() == 0
    assert Schedule(None, utc(2024, 1, 1), Period(seconds=Decimal(0))).occurrence_count() == 1
