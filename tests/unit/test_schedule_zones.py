"""Time zones: IANA and Java legacy ids, and wall-clock arithmetic across DST (contract §3.2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chronos_operator.schedule import (
    JAVA_FIXED_ZONES,
    JAVA_LEGACY_ZONES,
    ScheduleError,
    parse_schedule,
    resolve_zone,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def utc(year: int, month: int, day: int, *clock: int) -> datetime:
    hour, minute, second, us = (*clock, 0, 0, 0, 0)[:4]
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def local(schedule_text: str, zone: str, k: int) -> datetime:
    s = parse_schedule(schedule_text, zone)
    assert s.zone is not None
    return s.occurrence(k).astimezone(s.zone)


# --- resolving names -------------------------------------------------------------------------------


@pytest.mark.parametrize("short_id", sorted(JAVA_LEGACY_ZONES) + sorted(JAVA_FIXED_ZONES))
def test_every_java_legacy_id_resolves(short_id: str) -> None:
    zone = resolve_zone(short_id)
    assert zone.utcoffset(datetime(2024, 1, 15)) is not None


@pytest.mark.parametrize(("short_id", "hours"), [("EST", -5), ("MST", -7), ("HST", -10)])
def test_est_mst_hst_are_fixed_offsets_without_dst(short_id: str, hours: int) -> None:
    zone = resolve_zone(short_id)
    assert zone.utcoffset(datetime(2024, 1, 15)) == timedelta(hours=hours)
    assert zone.utcoffset(datetime(2024, 7, 15)) == timedelta(hours=hours)


def test_bst_is_bangladesh_not_british_summer_time() -> None:
    assert resolve_zone("BST").utcoffset(datetime(2024, 7, 15)) == timedelta(hours=6)
    assert resolve_zone("BST") == ZoneInfo("Asia/Dhaka")


def test_pst_follows_los_angeles_dst() -> None:
    zone = resolve_zone("PST")
    assert zone.utcoffset(datetime(2024, 1, 15)) == timedelta(hours=-8)
    assert zone.utcoffset(datetime(2024, 7, 15)) == timedelta(hours=-7)


@pytest.mark.parametrize(
    "name", ["America/New_York", "Europe/Berlin", "UTC", "Etc/GMT+5", "US/Eastern", "CET"]
)
def test_iana_names_resolve(name: str) -> None:
    assert resolve_zone(name) == ZoneInfo(name)


@pytest.mark.parametrize(
    "name",
    [
        "Mars/Olympus",
        "america/new_york",
        "America",
        "",
        " PST",
        "PST ",
        "pst",
        "GMT+5",
        "localtime",
        "posixrules",
        "Factory",
        "posix/America/New_York",
        "../etc/passwd",
        "/etc/localtime",
        "America/New_York\x00",
        "Europe/Berlin/",
    ],
)
def test_unknown_zone_raises_schedule_error_never_utc(name: str) -> None:
    with pytest.raises(ScheduleError) as error:
        resolve_zone(name)
    assert error.value.field == "scheduleTimeZone"


def test_unknown_zone_in_parse_schedule_names_the_zone_field() -> None:
    with pytest.raises(ScheduleError) as error:
        parse_schedule("R/2024-01-01T00:00:00Z/P1D", "Mars/Olympus")
    assert error.value.field == "scheduleTimeZone"
    assert "Mars/Olympus" in str(error.value)


def test_empty_zone_means_no_zone_like_chronos_job_files() -> None:
    s = parse_schedule("R/2024-01-01T09:00:00-05:00/P1D", "")
    assert s.zone is None
    assert s.zone_name is None
    assert s.occurrence(0) == utc(2024, 1, 1, 14)


def test_non_string_zone_raises_schedule_error() -> None:
    with pytest.raises(ScheduleError) as error:
        resolve_zone(None)  # type: ignore[arg-type]
    assert error.value.field == "scheduleTimeZone"


# --- DST: America/New_York (spring forward 2024-03-10 02:00, fall back 2024-11-03 02:00) -------------


def test_p1d_keeps_wall_clock_across_spring_forward_in_new_york() -> None:
    # chronos.md §4.7
    assert local("R/2024-03-09T09:00:00Z/P1D", "America/New_York", 1) == datetime(
        2024, 3, 10, 9, tzinfo=NEW_YORK
    )
    assert parse_schedule("R/2024-03-09T09:00:00Z/P1D", "America/New_York").occurrence(1) == utc(
        2024, 3, 10, 13
    )


def test_pt24h_is_exact_elapsed_time_across_spring_forward_in_new_york() -> None:
    assert local("R/2024-03-09T09:00:00Z/PT24H", "America/New_York", 1) == datetime(
        2024, 3, 10, 10, tzinfo=NEW_YORK
    )


def test_fixed_offset_without_zone_has_no_dst() -> None:
    s = parse_schedule("R/2024-03-09T09:00:00-05:00/P1D")
    assert s.occurrence(1) == utc(2024, 3, 10, 14)  # 09:00-05:00, i.e. 10:00 EDT


def test_p1d_keeps_wall_clock_across_fall_back_in_new_york() -> None:
    assert local("R/2024-11-02T09:00:00/P1D", "America/New_York", 1) == datetime(
        2024, 11, 3, 9, tzinfo=NEW_YORK
    )
    assert parse_schedule("R/2024-11-02T09:00:00/P1D", "America/New_York").occurrence(1) == utc(
        2024, 11, 3, 14
    )


def test_pt24h_moves_wall_clock_back_across_fall_back_in_new_york() -> None:
    assert local("R/2024-11-02T09:00:00/PT24H", "America/New_York", 1) == datetime(
        2024, 11, 3, 8, tzinfo=NEW_YORK
    )


def test_wall_time_in_the_spring_gap_moves_forward_by_the_gap_in_new_york() -> None:
    s = parse_schedule("R/2024-03-09T02:30:00/P1D", "America/New_York")
    assert s.occurrence(1) == utc(2024, 3, 10, 7, 30)  # 02:30 does not exist: 03:30 EDT
    assert s.occurrence(1).astimezone(NEW_YORK).hour == 3
    assert s.occurrence(2) == utc(2024, 3, 11, 6, 30)  # back to 02:30, now EDT


def test_start_in_the_spring_gap_moves_forward_by_the_gap() -> None:
    s = parse_schedule("R/2024-03-10T02:30:00/PT1H", "America/New_York")
    assert s.occurrence(0) == utc(2024, 3, 10, 7, 30)
    assert s.occurrence(1) == utc(2024, 3, 10, 8, 30)


def test_ambiguous_wall_time_in_the_fall_overlap_takes_the_earlier_offset_in_new_york() -> None:
    s = parse_schedule("R/2024-11-02T01:30:00/P1D", "America/New_York")
    assert s.occurrence(1) == utc(2024, 11, 3, 5, 30)  # 01:30 EDT, the first of the two
    assert s.occurrence(2) == utc(2024, 11, 4, 6, 30)  # 01:30 EST


def test_ambiguous_start_ignores_the_written_offset_and_takes_the_earlier_one() -> None:
    s = parse_schedule("R/2024-11-03T01:30:00-05:00/PT1H", "America/New_York")
    assert s.occurrence(0) == utc(2024, 11, 3, 5, 30)


def test_hourly_period_passes_through_the_repeated_hour_in_new_york() -> None:
    s = parse_schedule("R/2024-11-03T00:00:00/PT1H", "America/New_York")
    assert [s.occurrence(k) for k in range(4)] == [utc(2024, 11, 3, h) for h in range(4, 8)]
    assert [s.occurrence(k).astimezone(NEW_YORK).hour for k in range(4)] == [0, 1, 1, 2]


def test_monthly_period_keeps_wall_clock_across_dst_in_new_york() -> None:
    s = parse_schedule("R/2024-01-15T09:00:00/P1M", "America/New_York")
    assert [s.occurrence(k).astimezone(NEW_YORK).hour for k in range(12)] == [9] * 12
    assert s.occurrence(3) == utc(2024, 4, 15, 13)


def test_mixed_period_adds_calendar_parts_on_the_wall_then_exact_time() -> None:
    s = parse_schedule("R/2024-03-09T09:00:00/P1DT1H", "America/New_York")
    # 2024-03-10 09:00 EDT (calendar day kept), then one exact hour.
    assert s.occurrence(1) == utc(2024, 3, 10, 14)
    assert s.occurrence(1).astimezone(NEW_YORK) == datetime(2024, 3, 10, 10, tzinfo=NEW_YORK)


def test_anchored_start_in_the_repeated_hour_keeps_its_instant() -> None:
    s = parse_schedule("R//P1D", "America/New_York")
    anchor = utc(2024, 11, 3, 6, 30)  # 01:30 EST, the second 01:30
    anchored = s.anchored(anchor)
    assert anchored.occurrence(0) == anchor
    assert anchored.occurrence(1) == utc(2024, 11, 4, 6, 30)


# --- DST: Europe/Berlin (spring forward 2024-03-31 02:00, fall back 2024-10-27 03:00) --------------


def test_p1d_keeps_wall_clock_across_spring_forward_in_berlin() -> None:
    assert local("R/2024-03-30T09:00:00/P1D", "Europe/Berlin", 1) == datetime(2024, 3, 31, 9, tzinfo=BERLIN)
    assert parse_schedule("R/2024-03-30T09:00:00/P1D", "Europe/Berlin").occurrence(1) == utc(2024, 3, 31, 7)


def test_pt24h_moves_wall_clock_across_spring_forward_in_berlin() -> None:
    assert local("R/2024-03-30T09:00:00/PT24H", "Europe/Berlin", 1) == datetime(
        2024, 3, 31, 10, tzinfo=BERLIN
    )


def test_wall_time_in_the_spring_gap_moves_forward_in_berlin() -> None:
    s = parse_schedule("R/2024-03-30T02:30:00/P1D", "Europe/Berlin")
    assert s.occurrence(1) == utc(2024, 3, 31, 1, 30)  # 03:30 CEST
    assert s.occurrence(1).astimezone(BERLIN).hour == 3


def test_ambiguous_wall_time_in_the_fall_overlap_takes_the_earlier_offset_in_berlin() -> None:
    s = parse_schedule("R/2024-10-26T02:30:00/P1D", "Europe/Berlin")
    assert s.occurrence(1) == utc(2024, 10, 27, 0, 30)  # 02:30 CEST, the first of the two
    assert s.occurrence(2) == utc(2024, 10, 28, 1, 30)  # 02:30 CET


def test_pt24h_moves_wall_clock_back_across_fall_back_in_berlin() -> None:
    assert local("R/2024-10-26T09:00:00/PT24H", "Europe/Berlin", 1) == datetime(
        2024, 10, 27, 8, tzinfo=BERLIN
    )


def test_weekly_period_keeps_wall_clock_across_dst_in_berlin() -> None:
    s = parse_schedule("R/2024-03-25T09:00:00/P1W", "Europe/Berlin")
    assert s.occurrence(1) == utc(2024, 4, 1, 7)  # 09:00 CEST
    assert s.occurrence(0) == utc(2024, 3, 25, 8)  # 09:00 CET


def test_legacy_id_with_dst_is_dst_aware() -> None:
    s = parse_schedule("R/2024-03-09T09:00:00/P1D", "PST")
    assert s.occurrence(0) == utc(2024, 3, 9, 17)
    assert s.occurrence(1) == utc(2024, 3, 10, 16)  # 09:00 PDT, daylight time from 02:00 that day


def test_wall_clock_day_the_zone_skips_coincides_with_the_next_day() -> None:
    # Samoa (Java MIT) skipped 2011-12-30: its 12:00 moves forward by the 24 h gap onto the 31st's.
    s = parse_schedule("R/2011-12-29T12:00:00/P1D", "MIT")
    assert s.occurrence(1) == s.occurrence(2) == utc(2011, 12, 30, 22)
    assert s.occurrence(3) == utc(2011, 12, 31, 22)
    assert s.index_at_or_before(utc(2011, 12, 30, 22)) == 2
