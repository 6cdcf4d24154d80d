"""Parsing and printing schedules and durations (chronos.md §4.1; contract §3.1; reliability.md §3.3)."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from chronos_operator.schedule import (
    Period,
    ScheduleError,
    format_duration,
    format_instant,
    format_schedule,
    parse_duration,
    parse_instant,
    parse_schedule,
    read_instant,
)


def utc(year: int, month: int, day: int, *clock: int) -> datetime:
    hour, minute, second, us = (*clock, 0, 0, 0, 0)[:4]
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


# --- chronos.md §4.1 (Iso8601ExpressionParserSpec) -------------------------------------------------


def test_text_that_is_not_a_schedule_is_rejected() -> None:
    with pytest.raises(ScheduleError) as error:
        parse_schedule("FOO")
    assert error.value.field == "schedule"
    assert "R[n]/[start]/period" in str(error.value)


def test_finite_repetitions_start_and_period_are_read() -> None:
    s = parse_schedule("R5/2008-03-01T13:00:00Z/P1D")
    assert s.repetitions == 5
    assert s.start == utc(2008, 3, 1, 13)
    assert s.period == Period(days=1)
    assert s.zone is None


def test_bare_r_repeats_forever() -> None:
    s = parse_schedule("R/2008-03-01T13:00:00Z/P1D")
    assert s.repetitions is None
    assert s.start == utc(2008, 3, 1, 13)


def test_empty_start_is_filled_by_the_anchor() -> None:
    s = parse_schedule("R1//P1D")
    assert (s.repetitions, s.start, s.period) == (1, None, Period(days=1))
    created = utc(2026, 1, 2, 3, 4, 5)
    anchored = s.anchored(created)
    assert anchored.start == created
    assert anchored.occurrence(0) == created
    assert anchored.anchored(utc(2030, 1, 1)) is anchored  # a set start is kept


def test_bare_p_is_the_zero_period() -> None:
    s = parse_schedule("R1//P")
    assert s.repetitions == 1
    assert s.start is None
    assert s.period.is_zero()


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("BST", "2008-03-01T13:00:00.000+06:00"),
        ("PST", "2008-03-01T13:00:00.000-08:00"),
        ("Europe/Paris", "2008-03-01T13:00:00.000+01:00"),
    ],
)
def test_zone_keeps_the_wall_clock_fields_of_the_start(zone: str, expected: str) -> None:
    s = parse_schedule("R/2008-03-01T13:00:00Z/P1D", zone)
    assert format_schedule(s) == f"R/{expected}/P1D"
    assert s.zone_name == zone


def test_zone_wins_over_the_written_offset() -> None:
    s = parse_schedule("R/2008-03-01T13:00:00-04:00/P1D", "PST")
    assert s.occurrence(0) == utc(2008, 3, 1, 21)  # 13:00-08:00
    assert format_schedule(s) == "R/2008-03-01T13:00:00.000-08:00/P1D"


def test_schedule_without_a_period_is_rejected_even_with_a_zone() -> None:
    with pytest.raises(ScheduleError, match="no period") as error:
        parse_schedule("R/2008-03-01T13:00:00Z", "PST")
    assert error.value.field == "schedule"


def test_date_only_start_is_midnight_in_the_zone() -> None:
    s = parse_schedule("R/2008-03-01/P1D", "PST")
    assert s.occurrence(0) == utc(2008, 3, 1, 8)
    assert format_schedule(s) == "R/2008-03-01T00:00:00.000-08:00/P1D"


# --- contract §3.1: shape of the expression ------------------------------------------------------


def test_r0_is_valid_and_never_occurs() -> None:
    s = parse_schedule("R0/2024-01-01T00:00:00Z/PT1H")
    assert s.repetitions == 0
    assert s.index_at_or_before(utc(2030, 1, 1)) is None
    assert s.next_after(utc(2020, 1, 1)) is None


def test_start_without_offset_is_utc() -> None:
    assert parse_schedule("R/2012-10-01T05:52:00/PT2S").start == utc(2012, 10, 1, 5, 52)


def test_date_only_start_without_zone_is_midnight_utc() -> None:
    assert parse_schedule("R/2012-10-01/PT2S").start == utc(2012, 10, 1)


def test_written_offset_without_zone_is_kept() -> None:
    s = parse_schedule("R/2024-03-09T09:00:00-05:00/P1D")
    assert s.occurrence(0) == utc(2024, 3, 9, 14)
    assert format_schedule(s) == "R/2024-03-09T09:00:00.000-05:00/P1D"


@pytest.mark.parametrize(
    "expr",
    ["R5/2012-01-01T00:00:00Z/PT1S", "R5/2012-01-01T00:00:00Z/P1Y2M3DT4H5M6S", "R/2012-01-01T00:00:00Z/P2W"],
)
def test_any_iso_duration_is_a_period(expr: str) -> None:
    assert parse_schedule(expr).period.approx_seconds() >= 1


def test_zero_period_with_more_than_one_repetition_is_rejected() -> None:
    for expr in ("R2/2024-01-01T00:00:00Z/PT0S", "R/2024-01-01T00:00:00Z/P0D", "R//P"):
        with pytest.raises(ScheduleError, match="zero period"):
            parse_schedule(expr)


def test_zero_period_is_allowed_with_r0_and_r1() -> None:
    assert parse_schedule("R0/2024-01-01T00:00:00Z/PT0S").period.is_zero()
    assert parse_schedule("R1/2024-01-01T00:00:00Z/PT0S").period.is_zero()


@pytest.mark.parametrize("period", ["PT0.5S", "PT0.999999S", "PT0.001S"])
def test_period_under_one_second_is_rejected(period: str) -> None:
    with pytest.raises(ScheduleError, match="at least one second"):
        parse_schedule(f"R/2024-01-01T00:00:00Z/{period}")


def test_fractional_seconds_period_is_exact() -> None:
    s = parse_schedule("R/2024-01-01T00:00:00Z/PT1.5S")
    assert s.period.seconds == Decimal("1.5")
    assert s.occurrence(3) == utc(2024, 1, 1, 0, 0, 4) + timedelta(milliseconds=500)


@pytest.mark.parametrize(
    "start", ["1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "1970-01-01", "1970-01-01T01:00:00+02:00"]
)
def test_start_before_1970_01_01_00_00_01_is_rejected(start: str) -> None:
    with pytest.raises(ScheduleError, match="before 1970-01-01T00:00:01Z"):
        parse_schedule(f"R/{start}/P1D")


def test_start_at_1970_01_01_00_00_01_is_accepted() -> None:
    assert parse_schedule("R/1970-01-01T00:00:01Z/P1D").start == utc(1970, 1, 1, 0, 0, 1)


def test_bad_start_message_names_the_schedule_and_the_start() -> None:
    with pytest.raises(ScheduleError) as error:
        parse_schedule("R5/2012-13-01T00:00:00Z/PT2S")
    assert str(error.value).startswith(
        "schedule 'R5/2012-13-01T00:00:00Z/PT2S': start '2012-13-01T00:00:00Z' is not an ISO 8601 date or "
        "date-time"
    )
    assert error.value.field == "schedule"


@pytest.mark.parametrize(
    "expr",
    [
        "",
        "R",
        "R/",
        "R//",
        "R5/PT2S",
        "5/2012-01-01T00:00:00Z/PT2S",
        "R-1/2012-01-01T00:00:00Z/PT2S",
        "Rx/2012-01-01T00:00:00Z/PT2S",
        "r/2012-01-01T00:00:00Z/PT2S",
        "R/2012-01-01T00:00:00Z/PT2S/P1D",
        "R/PT1H/2012-01-01T00:00:00Z",
        "R/2012-01-01T00:00:00Z/2012-02-01T00:00:00Z",
        " R/2012-01-01T00:00:00Z/PT2S",
        "R/2012-01-01T00:00:00Z/PT2S ",
        "R/2012-01-01T00:00:00Z/PT2S\n",
        "R/2012-02-30T00:00:00Z/PT2S",
        "R/2012-01-01T24:00:00Z/PT2S",
        "R/2012-01-01T23:59:60Z/PT2S",
        "R/0000-01-01T00:00:00Z/PT2S",
        "R/+10000-01-01T00:00:00Z/PT2S",
        "R/2012-01-01T05:52:00+25:00/PT2S",
        "R/2012-01-01T05:52:00+05:60/PT2S",
        "R/2012-01-01T00:00:00.123456789Z/PT2S",
        "R/20120101T000000Z/PT2S",
        "R/2012-01-01T00Z/PT2S",
        "R/2012-01-01Z/PT2S",
        "R/2012-01-01T00:00:00Z/-P1D",
        "R/2012-01-01T00:00:00Z/P",
        "R/2012-01-01T00:00:00Z/PT",
        "R/2012-01-01T00:00:00Z/P1.5M",
        "R/2012-01-01T00:00:00Z/P99999999999Y",
        "R/2012-01-01T00:00:00Z/PT999999999999999999999999S",
        "R99999999999999999999/2012-01-01T00:00:00Z/PT2S",
        "R/２０１２-01-01T00:00:00Z/PT2S",
    ],
)
def test_malformed_schedules_raise_schedule_error(expr: str) -> None:
    with pytest.raises(ScheduleError) as error:
        parse_schedule(expr)
    assert error.value.field == "schedule"
    assert "schedule " in str(error.value)


def test_start_with_nanoseconds_of_zero_is_accepted() -> None:
    assert parse_schedule("R/2012-01-01T00:00:00.123000000Z/PT2S").start == utc(2012, 1, 1) + timedelta(
        milliseconds=123
    )


def test_start_with_offset_without_colon_is_accepted() -> None:
    assert parse_schedule("R/2012-01-01T00:00:00+0530/P1D").occurrence(0) == utc(2011, 12, 31, 18, 30)


def test_start_near_year_9999_that_overflows_utc_is_rejected_cleanly() -> None:
    with pytest.raises(ScheduleError, match="out of range"):
        parse_schedule("R/9999-12-31T23:00:00-05:00/P1D")


def test_schedule_error_is_a_value_error_that_keeps_its_field_when_pickled() -> None:
    with pytest.raises(ValueError) as error:
        parse_schedule("R/2024-01-01T00:00:00Z/P1D", "Nowhere/Land")
    assert isinstance(error.value, ScheduleError)
    copy = pickle.loads(pickle.dumps(error.value))
    assert (copy.field, str(copy)) == ("scheduleTimeZone", str(error.value))


def test_non_string_schedule_raises_schedule_error() -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(42)  # type: ignore[arg-type]
    with pytest.raises(ScheduleError) as error:
        parse_schedule("R/2012-01-01T00:00:00Z/P1D", 5)  # type: ignore[arg-type]
    assert error.value.field == "scheduleTimeZone"


def test_huge_repetition_count_within_a_java_long_is_accepted() -> None:
    assert parse_schedule("R9223372036854775807/2012-01-01T00:00:00Z/PT1S").repetitions == 2**63 - 1


def test_lowercase_period_designators_are_accepted_like_joda() -> None:
    assert parse_schedule("R/2012-01-01T00:00:00Z/Pt1h").period == Period(seconds=Decimal(3600))


# --- printing ----------------------------------------------------------------------------------


def test_format_schedule_prints_millis_and_z_like_chronos() -> None:
    assert format_schedule(parse_schedule("R/2012-01-02/P1D")) == "R/2012-01-02T00:00:00.000Z/P1D"
    assert format_schedule(parse_schedule("R3/2012-01-02T00:00:00.5Z/PT2S")) == (
        "R3/2012-01-02T00:00:00.500Z/PT2S"
    )


def test_format_schedule_keeps_microseconds_when_the_start_has_them() -> None:
    s = parse_schedule("R3/2012-01-02T00:00:00.000250Z/PT2S")
    assert format_schedule(s) == "R3/2012-01-02T00:00:00.000250Z/PT2S"


def test_format_schedule_prints_an_empty_start_as_empty() -> None:
    assert format_schedule(parse_schedule("R5//PT2S")) == "R5//PT2S"
    assert format_schedule(parse_schedule("R//P1W")) == "R//P7D"


def test_format_schedule_of_r0() -> None:
    assert (
        format_schedule(parse_schedule("R0/2012-01-02T00:00:00Z/PT0S")) == "R0/2012-01-02T00:00:00.000Z/PT0S"
    )


# --- durations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT2S", Period(seconds=Decimal(2))),
        ("P1M", Period(months=1)),
        ("P1Y2M3DT4H5M6S", Period(1, 2, 3, Decimal(4 * 3600 + 5 * 60 + 6))),
        ("P2W", Period(days=14)),
        ("P1W1D", Period(days=8)),  # Joda accepted weeks with days; ISO 8601-2 does too
        ("PT1.5S", Period(seconds=Decimal("1.5"))),
        ("PT1,5S", Period(seconds=Decimal("1.5"))),
        ("PT1.5H", Period(seconds=Decimal(5400))),
        ("PT36H", Period(seconds=Decimal(36 * 3600))),
        ("PT90M", Period(seconds=Decimal(5400))),
        ("P", Period()),
        ("PT0S", Period()),
        ("P0D", Period()),
        ("PT0.000001S", Period(seconds=Decimal("0.000001"))),
        ("pt60s", Period(seconds=Decimal(60))),
    ],
)
def test_parse_duration_reads_iso_8601_durations(text: str, expected: Period) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2S",
        "PT",
        "P1DT",
        "-P1D",
        "-PT0.5S",
        "P-1D",
        "+PT1S",
        "PT2S\n",
        " PT2S",
        "PT 2S",
        "P0.5Y",
        "P1.5M",
        "P1.5W",
        "P1.5D",
        "PT1.5H30M",
        "PT1.0000000001S",
        "PT999999999999999999999999S",
        "P99999999999Y",
        "P10000Y",
        "P1S",
        "PT1Y",
        "P1D1M",
        "P1Y1Y",
        "PT1e3S",
        "PT١S",
        "P" + "9" * 5000 + "D",
    ],
)
def test_parse_duration_rejects_bad_text_naming_the_field(text: str) -> None:
    with pytest.raises(ScheduleError) as error:
        parse_duration(text)
    assert error.value.field == "epsilon"
    assert str(error.value).startswith("epsilon ")


def test_parse_duration_names_the_field_it_is_given() -> None:
    with pytest.raises(ScheduleError) as error:
        parse_duration("nope", field="schedule")
    assert error.value.field == "schedule"


@pytest.mark.parametrize("value", [{}, None, 60, ["PT1S"]])
def test_parse_duration_rejects_non_strings_with_schedule_error(value: object) -> None:
    with pytest.raises(ScheduleError):
        parse_duration(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("PT2S", "PT2S"),
        ("P1M", "P1M"),
        ("P1Y2M3DT4H5M6S", "P1Y2M3DT4H5M6S"),
        ("PT0S", "PT0S"),
        ("P", "PT0S"),
        ("P2W", "P14D"),
        ("PT90M", "PT1H30M"),
        ("PT3600S", "PT1H"),
        ("PT1.50S", "PT1.5S"),
        ("PT10S", "PT10S"),
        ("PT0.25H", "PT15M"),
        ("P1DT0.000001S", "P1DT0.000001S"),
    ],
)
def test_format_duration_prints_canonical_iso(text: str, canonical: str) -> None:
    assert format_duration(parse_duration(text)) == canonical
    assert parse_duration(canonical) == parse_duration(text)


def test_period_approx_seconds_uses_average_month_and_year() -> None:
    assert Period(months=1).approx_seconds() == pytest.approx(30.436875 * 86400)
    assert Period(years=1).approx_seconds() == pytest.approx(365.2425 * 86400)
    assert Period(days=1, seconds=Decimal("1.5")).approx_seconds() == 86401.5


def test_period_calendar_part_and_zero() -> None:
    assert Period(days=1).has_calendar_part()
    assert not Period(seconds=Decimal(86400)).has_calendar_part()
    assert Period().is_zero()
    assert not Period(seconds=Decimal("0.5")).is_zero()


def test_period_to_timedelta_for_epsilon() -> None:
    assert parse_duration("PT60S").to_timedelta() == timedelta(seconds=60)
    assert parse_duration("P1DT0.5S").to_timedelta() == timedelta(days=1, milliseconds=500)
    with pytest.raises(ValueError, match="no fixed length"):
        parse_duration("P1M").to_timedelta()


# --- instants ----------------------------------------------------------------------------------


def test_format_instant_is_rfc3339_utc_with_millis() -> None:
    assert format_instant(utc(2024, 1, 1)) == "2024-01-01T00:00:00.000Z"
    t = datetime(2024, 1, 1, 1, 2, 3, 456789, tzinfo=parse_schedule("R/2024-01-01/P1D", "PST").zone)
    assert format_instant(t) == "2024-01-01T09:02:03.456Z"


def test_format_instant_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        format_instant(datetime(2024, 1, 1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01T00:00:00.000Z", utc(2024, 1, 1)),
        ("2024-01-01T00:00:00Z", utc(2024, 1, 1)),
        ("2024-01-01t00:00:00z", utc(2024, 1, 1)),
        ("2024-01-01 00:00:00Z", utc(2024, 1, 1)),
        ("2024-01-01T01:00:00+01:00", utc(2024, 1, 1)),
        ("2023-12-31T19:00:00-05:00", utc(2024, 1, 1)),
        ("2024-01-01T00:00:00.123456789Z", utc(2024, 1, 1) + timedelta(microseconds=123456)),
        ("2024-01-01T00:00Z", utc(2024, 1, 1)),
    ],
)
def test_parse_instant_reads_rfc3339(text: str, expected: datetime) -> None:
    parsed = parse_instant(text)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    ["2024-01-01T00:00:00", "2024-01-01", "yesterday", "2024-02-30T00:00:00Z", "2024-01-01T00:00:00+24:00"],
)
def test_parse_instant_rejects_text_without_a_valid_instant(text: str) -> None:
    with pytest.raises(ValueError):
        parse_instant(text)


def test_parse_instant_inverts_format_instant() -> None:
    t = datetime(2031, 7, 4, 5, 6, 7, 891000, tzinfo=UTC)
    assert parse_instant(format_instant(t)) == t


def test_read_instant_gives_none_for_missing_or_bad_values_from_objects() -> None:
    assert read_instant("2026-03-01T12:00:00Z") == parse_instant("2026-03-01T12:00:00Z")
    for value in (None, "", 42, "yesterday", "2026-03-01T12:00:00"):
        assert read_instant(value) is None
