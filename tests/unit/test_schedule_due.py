"""decide_schedule: run, wait, idle or exhausted (contract §3.3–§3.5; chronos.md §4.6, §4.7 as fixed)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from chronos_operator.schedule import (
    Schedule,
    ScheduleDecision,
    ScheduleError,
    Verdict,
    decide_schedule,
    parse_schedule,
)

MINUTE = timedelta(minutes=1)
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def utc(year: int, month: int, day: int, *clock: int) -> datetime:
    hour, minute, second, us = (*clock, 0, 0, 0, 0)[:4]
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def decide(
    schedule: Schedule | str,
    now: datetime,
    *,
    last_index: int | None = None,
    effective_from: datetime = LONG_AGO,
    epsilon: timedelta = MINUTE,
    active_runs: int = 0,
    concurrent: bool = False,
    zone: str | None = None,
    catch_up_before_effective: bool = True,
) -> ScheduleDecision:
    if isinstance(schedule, str):
        schedule = parse_schedule(schedule, zone)
    return decide_schedule(
        schedule,
        last_index=last_index,
        effective_from=effective_from,
        now=now,
        epsilon=epsilon,
        active_runs=active_runs,
        concurrent=concurrent,
        catch_up_before_effective=catch_up_before_effective,
    )


# --- the brief's and the contract's examples ---------------------------------------------------------


def test_finite_schedule_entirely_in_the_past_is_exhausted_at_once_without_skips() -> None:
    now = utc(2026, 1, 1)
    d = decide("R10/2012-10-01T05:52:00Z/PT2S", now, effective_from=now)
    assert d.verdict is Verdict.EXHAUSTED
    assert d.silently_consumed == 10
    assert d.skipped == 0
    assert d.skipped_times == ()
    assert d.consumed_through == 9
    assert d.wake_at is None
    assert d.run_index is None
    assert "all 10 occurrences are in the past" in d.message


def test_old_forever_schedule_created_now_runs_on_its_grid_from_now_on() -> None:
    now = utc(2026, 5, 1, 12, 0, 30)  # 30 s after a grid point of R/2014-09-25T17:22:00Z/PT2M
    d = decide("R/2014-09-25T17:22:00Z/PT2M", now, effective_from=now)
    assert d.verdict is Verdict.RUN
    assert d.run_time == utc(2026, 5, 1, 12, 0)
    assert d.skipped == 0
    assert d.silently_consumed == d.run_index
    assert d.consumed_through == d.run_index
    assert d.wake_at == utc(2026, 5, 1, 12, 2)


def test_old_forever_schedule_created_after_epsilon_waits_for_the_next_grid_point() -> None:
    now = utc(2026, 5, 1, 12, 1, 30)
    d = decide("R/2014-09-25T17:22:00Z/PT2M", now, effective_from=now)
    assert d.verdict is Verdict.IDLE
    assert d.skipped == 0
    assert d.run_index is None
    assert d.consumed_through is not None
    assert d.silently_consumed == d.consumed_through + 1
    assert d.wake_at == utc(2026, 5, 1, 12, 2)


def test_stop_of_five_periods_inside_epsilon_gives_one_catch_up_run() -> None:
    s = parse_schedule("R/2024-01-01T00:00:00Z/PT2S")
    # Ran occurrence 10 (00:00:20), then stopped; occurrences 11..15 are due at 00:00:30.5.
    d = decide(
        s,
        utc(2024, 1, 1, 0, 0, 30) + timedelta(milliseconds=500),
        last_index=10,
        epsilon=timedelta(seconds=3),
    )
    assert d.verdict is Verdict.RUN
    assert d.run_index == 15
    assert d.run_time == utc(2024, 1, 1, 0, 0, 30)
    assert d.skipped == 4
    assert d.skipped_times == tuple(utc(2024, 1, 1, 0, 0, s) for s in (22, 24, 26, 28))
    assert d.consumed_through == 15
    assert d.silently_consumed == 0
    assert d.wake_at == utc(2024, 1, 1, 0, 0, 32)


def test_stop_longer_than_epsilon_runs_nothing_and_skips_everything() -> None:
    s = parse_schedule("R/2024-01-01T00:00:00Z/PT2S")
    d = decide(
        s, utc(2024, 1, 1, 0, 1, 1) + timedelta(milliseconds=500), last_index=10, epsilon=timedelta(seconds=1)
    )
    assert d.verdict is Verdict.IDLE
    assert d.run_index is None
    assert d.skipped == 30 - 10  # occurrences 11..30 (00:00:22 .. 00:01:00)
    assert d.consumed_through == 30
    assert len(d.skipped_times) == 10
    assert d.skipped_times[-1] == utc(2024, 1, 1, 0, 1, 0)
    assert d.wake_at == utc(2024, 1, 1, 0, 1, 2)
    assert "20 missed occurrences skipped" in d.message


def test_one_second_schedule_since_2012_is_counted_arithmetically() -> None:
    s = parse_schedule("R/2012-01-01T00:00:00Z/PT1S")
    now = utc(2026, 1, 1, 0, 0, 0) + timedelta(milliseconds=250)
    expected_last = int((utc(2026, 1, 1) - utc(2012, 1, 1)).total_seconds())
    began = time.perf_counter()
    d = decide(s, now, effective_from=utc(2012, 1, 1))
    missed = decide(s, now, last_index=5, effective_from=utc(2012, 1, 1), epsilon=timedelta(0))
    fresh = decide(s, now, effective_from=now)
    assert time.perf_counter() - began < 0.5
    assert (d.verdict, d.run_index, d.skipped) == (Verdict.RUN, expected_last, expected_last)
    assert (missed.verdict, missed.skipped, missed.consumed_through) == (
        Verdict.IDLE,
        expected_last - 5,
        expected_last,
    )
    assert (fresh.verdict, fresh.silently_consumed, fresh.skipped) == (Verdict.RUN, expected_last, 0)


# --- the rules one by one ------------------------------------------------------------------------


def test_nothing_due_yet_is_idle_until_the_first_occurrence() -> None:
    d = decide("R3/2030-01-01T00:00:00Z/P1D", utc(2026, 1, 1))
    assert d.verdict is Verdict.IDLE
    assert d.consumed_through is None
    assert d.wake_at == utc(2030, 1, 1)
    assert (d.skipped, d.silently_consumed) == (0, 0)


def test_nothing_new_due_after_a_run_is_idle_until_the_next() -> None:
    d = decide("R/2024-01-01T00:00:00Z/PT1H", utc(2024, 1, 1, 0, 30), last_index=0)
    assert d.verdict is Verdict.IDLE
    assert d.consumed_through == 0
    assert d.wake_at == utc(2024, 1, 1, 1)


def test_occurrence_runs_exactly_at_its_time() -> None:
    d = decide("R/2024-01-01T00:00:00Z/PT1H", utc(2024, 1, 1, 1), last_index=0)
    assert (d.verdict, d.run_index, d.consumed_through) == (Verdict.RUN, 1, 1)


def test_occurrence_runs_until_t_plus_epsilon_inclusive_then_is_skipped() -> None:
    s = parse_schedule("R/2024-01-01T00:00:00Z/PT1H")
    at_edge = decide(s, utc(2024, 1, 1, 1, 1), last_index=0)
    assert (at_edge.verdict, at_edge.run_index) == (Verdict.RUN, 1)
    late = decide(s, utc(2024, 1, 1, 1, 1) + timedelta(microseconds=1), last_index=0)
    assert (late.verdict, late.skipped, late.consumed_through) == (Verdict.IDLE, 1, 1)
    assert late.skipped_times == (utc(2024, 1, 1, 1),)
    assert late.wake_at == utc(2024, 1, 1, 2)


def test_non_concurrent_occurrence_waits_for_an_active_run_without_being_consumed() -> None:
    d = decide("R/2024-01-01T00:00:00Z/PT1H", utc(2024, 1, 1, 1, 0, 20), last_index=0, active_runs=1)
    assert d.verdict is Verdict.WAIT
    assert (d.run_index, d.run_time) == (1, utc(2024, 1, 1, 1))
    assert d.consumed_through == 0
    assert d.skipped == 0
    assert d.wake_at == utc(2024, 1, 1, 1, 1)


def test_waiting_occurrence_is_skipped_once_its_epsilon_has_passed() -> None:
    d = decide("R/2024-01-01T00:00:00Z/PT1H", utc(2024, 1, 1, 1, 1, 1), last_index=0, active_runs=1)
    assert d.verdict is Verdict.IDLE
    assert (d.skipped, d.consumed_through) == (1, 1)
    assert d.wake_at == utc(2024, 1, 1, 2)


def test_waiting_occurrence_runs_when_the_active_run_ends_inside_epsilon() -> None:
    d = decide("R/2024-01-01T00:00:00Z/PT1H", utc(2024, 1, 1, 1, 0, 50), last_index=0, active_runs=0)
    assert (d.verdict, d.run_index, d.run_time) == (Verdict.RUN, 1, utc(2024, 1, 1, 1))


def test_concurrent_occurrence_runs_despite_an_active_run() -> None:
    d = decide(
        "R/2024-01-01T00:00:00Z/PT1H", utc(2024, 1, 1, 1, 0, 20), last_index=0, active_runs=2, concurrent=True
    )
    assert (d.verdict, d.run_index) == (Verdict.RUN, 1)


def test_waiting_consumes_and_counts_older_missed_occurrences() -> None:
    d = decide(
        "R/2024-01-01T00:00:00Z/PT1M",
        utc(2024, 1, 1, 0, 5, 10),
        last_index=0,
        active_runs=1,
        epsilon=timedelta(seconds=30),
    )
    assert (d.verdict, d.run_index) == (Verdict.WAIT, 5)
    assert d.skipped == 4  # 00:01 .. 00:04
    assert d.consumed_through == 4
    assert d.wake_at == utc(2024, 1, 1, 0, 5, 30)


def test_waiting_wakes_at_the_next_occurrence_when_epsilon_exceeds_the_period() -> None:
    s = parse_schedule("R/2024-01-01T00:00:00Z/PT2S")
    d = decide(
        s, utc(2024, 1, 1, 0, 0, 10, 500000), last_index=4, active_runs=1, epsilon=timedelta(seconds=3)
    )
    assert (d.verdict, d.run_index) == (Verdict.WAIT, 5)
    assert d.wake_at == utc(2024, 1, 1, 0, 0, 12)
    later = decide(s, utc(2024, 1, 1, 0, 0, 12), last_index=4, active_runs=1, epsilon=timedelta(seconds=3))
    assert (later.verdict, later.run_index, later.skipped, later.consumed_through) == (Verdict.WAIT, 6, 1, 5)


def test_waiting_at_the_very_end_of_epsilon_wakes_strictly_later() -> None:
    now = utc(2024, 1, 1, 1, 1)
    d = decide("R/2024-01-01T00:00:00Z/PT1H", now, last_index=0, active_runs=1)
    assert d.verdict is Verdict.WAIT
    assert d.wake_at is not None
    assert d.wake_at > now


def test_first_occurrence_waiting_leaves_nothing_consumed() -> None:
    d = decide("R/2024-01-01T00:00:00Z/PT1H", utc(2024, 1, 1, 0, 0, 10), active_runs=1)
    assert (d.verdict, d.run_index, d.consumed_through) == (Verdict.WAIT, 0, None)


def test_last_run_leaves_no_wake_and_the_next_decision_is_exhausted() -> None:
    s = parse_schedule("R2/2024-01-01T00:00:00Z/PT1H")
    first = decide(s, utc(2024, 1, 1, 0, 0, 5))
    assert (first.verdict, first.run_index, first.wake_at) == (Verdict.RUN, 0, utc(2024, 1, 1, 1))
    second = decide(s, utc(2024, 1, 1, 1, 0, 5), last_index=0)
    assert (second.verdict, second.run_index, second.wake_at) == (Verdict.RUN, 1, None)
    after = decide(s, utc(2024, 1, 1, 1, 30), last_index=1)
    assert after.verdict is Verdict.EXHAUSTED
    assert after.consumed_through == 1
    assert "all 2 occurrences are used" in after.message


def test_exhausted_even_while_a_run_is_active() -> None:
    d = decide("R1/2024-01-01T00:00:00Z/PT1H", utc(2024, 1, 1, 0, 30), last_index=0, active_runs=1)
    assert d.verdict is Verdict.EXHAUSTED


def test_skipping_the_last_occurrence_exhausts_the_schedule() -> None:
    d = decide("R3/2024-01-01T00:00:00Z/PT1H", utc(2024, 1, 1, 5), last_index=0)
    assert d.verdict is Verdict.EXHAUSTED
    assert (d.skipped, d.consumed_through) == (2, 2)


def test_r0_is_exhausted_with_nothing_consumed() -> None:
    # chronos.md §3.12 quirk 2: R0 must not turn into "forever".
    d = decide("R0/2024-01-01T00:00:00Z/PT0S", utc(2024, 1, 2))
    assert d.verdict is Verdict.EXHAUSTED
    assert d.consumed_through is None
    assert (d.skipped, d.silently_consumed) == (0, 0)
    assert "R0" in d.message


def test_cursor_beyond_the_repetitions_is_exhausted() -> None:
    d = decide("R3/2024-01-01T00:00:00Z/PT1H", utc(2024, 1, 1, 5), last_index=7)
    assert d.verdict is Verdict.EXHAUSTED
    assert d.consumed_through == 7


def test_zero_period_runs_once_then_is_exhausted() -> None:
    # chronos.md §3.12 quirk 3 and §4.2 "R1/<now-1 day>/PT0S", with epsilon covering the day.
    s = parse_schedule("R1/2024-01-01T00:00:00Z/PT0S")
    d = decide(s, utc(2024, 1, 1, 0, 0, 30))
    assert (d.verdict, d.run_index, d.wake_at) == (Verdict.RUN, 0, None)
    assert decide(s, utc(2024, 1, 2), last_index=0).verdict is Verdict.EXHAUSTED


def test_schedule_taking_effect_mid_series_consumes_earlier_occurrences_silently() -> None:
    s = parse_schedule("R10/2024-01-01T00:00:00Z/PT1H")
    changed = utc(2024, 1, 1, 3, 30)
    d = decide(s, changed, effective_from=changed)
    assert d.verdict is Verdict.IDLE
    assert (d.silently_consumed, d.skipped, d.consumed_through) == (4, 0, 3)
    assert d.wake_at == utc(2024, 1, 1, 4)
    # Operator down from 03:30 to 06:00:30: 04:00 and 05:00 were missed, 06:00 runs.
    later = decide(s, utc(2024, 1, 1, 6, 0, 30), last_index=3, effective_from=changed)
    assert (later.verdict, later.run_index, later.skipped, later.silently_consumed) == (Verdict.RUN, 6, 2, 0)


def test_operator_down_since_before_the_change_counts_only_occurrences_after_it() -> None:
    s = parse_schedule("R10/2024-01-01T00:00:00Z/PT1H")
    d = decide(s, utc(2024, 1, 1, 6, 0, 30), effective_from=utc(2024, 1, 1, 3, 30))
    assert (d.verdict, d.run_index) == (Verdict.RUN, 6)
    assert (d.silently_consumed, d.skipped) == (4, 2)
    assert d.skipped_times == (utc(2024, 1, 1, 4), utc(2024, 1, 1, 5))


def test_occurrence_exactly_at_the_change_counts_as_after_it() -> None:
    s = parse_schedule("R10/2024-01-01T00:00:00Z/PT1H")
    changed = utc(2024, 1, 1, 3)
    d = decide(s, utc(2024, 1, 1, 3, 5), effective_from=changed)
    assert (d.verdict, d.skipped, d.silently_consumed, d.consumed_through) == (Verdict.IDLE, 1, 3, 3)


def test_last_occurrence_before_the_change_runs_if_the_change_is_within_its_epsilon() -> None:
    s = parse_schedule("R/2024-01-01T00:00:00Z/PT1H")
    changed = utc(2024, 1, 1, 3, 0, 40)
    d = decide(s, changed, effective_from=changed)
    assert (d.verdict, d.run_index, d.silently_consumed, d.skipped) == (Verdict.RUN, 3, 3, 0)


def test_last_occurrence_before_the_change_does_not_run_without_catch_up() -> None:
    s = parse_schedule("R/2024-01-01T00:00:00Z/PT1H")
    enabled = utc(2024, 1, 1, 3, 0, 40)
    d = decide(s, enabled, effective_from=enabled, catch_up_before_effective=False)
    assert (d.verdict, d.silently_consumed, d.skipped, d.consumed_through) == (Verdict.IDLE, 4, 0, 3)
    assert d.wake_at == utc(2024, 1, 1, 4)


def test_last_occurrence_before_the_change_is_counted_if_its_window_then_passes() -> None:
    # It was live (the change came within its epsilon), e.g. waiting for an active run: once
    # t + epsilon has passed it is a missed occurrence like any other (contract §3.5).
    s = parse_schedule("R/2024-01-01T00:00:00Z/PT1H")
    changed = utc(2024, 1, 1, 3, 0, 40)
    waiting = decide(s, changed, effective_from=changed, active_runs=1)
    assert (waiting.verdict, waiting.run_index, waiting.consumed_through) == (Verdict.WAIT, 3, 2)
    d = decide(s, utc(2024, 1, 1, 3, 2), last_index=2, effective_from=changed, active_runs=1)
    assert (d.verdict, d.skipped, d.silently_consumed) == (Verdict.IDLE, 1, 0)


def test_older_occurrences_before_the_change_never_run_even_inside_epsilon() -> None:
    s = parse_schedule("R/2024-01-01T00:00:00Z/PT10S")
    changed = utc(2024, 1, 1, 0, 1, 5)
    d = decide(s, changed, effective_from=changed)
    # 00:00:00 .. 00:00:50 are silently consumed; 00:01:00 is the last one before the change and runs.
    assert (d.verdict, d.run_index, d.silently_consumed, d.skipped) == (Verdict.RUN, 6, 6, 0)


def test_zoned_daily_schedule_wakes_at_the_wall_clock_time_after_dst() -> None:
    now = utc(2024, 3, 9, 14, 0, 5)
    daily = decide("R/2024-03-09T09:00:00Z/P1D", now, zone="America/New_York")
    assert (daily.verdict, daily.run_index, daily.wake_at) == (Verdict.RUN, 0, utc(2024, 3, 10, 13))
    exact = decide("R/2024-03-09T09:00:00Z/PT24H", now, zone="America/New_York")
    assert exact.wake_at == utc(2024, 3, 10, 14)
    fixed = decide("R/2024-03-09T09:00:00-05:00/P1D", now)
    assert fixed.wake_at == utc(2024, 3, 10, 14)


def test_unanchored_schedule_is_refused() -> None:
    with pytest.raises(ScheduleError, match="empty start"):
        decide("R//PT1H", utc(2024, 1, 1))


def test_anchored_empty_start_runs_at_creation() -> None:
    created = utc(2024, 5, 6, 7, 8, 9)
    s = parse_schedule("R1//PT24H").anchored(created)
    d = decide(s, created + timedelta(seconds=2), effective_from=created)
    assert (d.verdict, d.run_index, d.run_time, d.wake_at) == (Verdict.RUN, 0, created, None)


def test_naive_times_and_bad_arguments_are_refused() -> None:
    s = parse_schedule("R/2024-01-01T00:00:00Z/PT1H")
    with pytest.raises(ValueError, match="no time zone"):
        decide(s, datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="no time zone"):
        decide(s, utc(2024, 1, 1), effective_from=datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="negative"):
        decide(s, utc(2024, 1, 1), epsilon=timedelta(seconds=-1))
    with pytest.raises(ValueError, match="negative"):
        decide(s, utc(2024, 1, 1), last_index=-1)


def test_forever_schedule_reaching_year_9999_is_exhausted() -> None:
    d = decide("R/2012-01-01T00:00:00Z/P1000Y", utc(9999, 6, 1))
    assert d.verdict is Verdict.EXHAUSTED
    assert "year 10000" in d.message


# --- chronos.md §4.7 (the 3.x "launched at" cases, decided under the contract) ------------------------


def test_hourly_since_2012_seen_at_10_30_skips_the_missed_hours_and_resumes_at_11() -> None:
    s = parse_schedule("R/2012-01-01T00:00:00Z/PT1H")
    now = utc(2024, 1, 1, 10, 30)
    outside = decide(s, now, effective_from=utc(2012, 1, 1))
    assert (outside.verdict, outside.wake_at) == (Verdict.IDLE, utc(2024, 1, 1, 11))
    inside = decide(s, now, effective_from=utc(2012, 1, 1), epsilon=timedelta(hours=1))
    assert (inside.verdict, inside.run_time, inside.wake_at) == (
        Verdict.RUN,
        utc(2024, 1, 1, 10),
        utc(2024, 1, 1, 11),
    )
    assert inside.skipped == outside.skipped - 1


def test_daily_r5_three_due_uses_three_repetitions_for_one_run() -> None:
    s = parse_schedule("R5/2024-01-01T00:00:00Z/P1D")
    d = decide(s, utc(2024, 1, 3, 12), effective_from=utc(2023, 12, 1), epsilon=timedelta(hours=12))
    # consumed_through 2 of R5: remainingRuns 2 (3.x left R4: a run for three missed occurrences)
    assert (d.verdict, d.run_time, d.skipped, d.consumed_through) == (Verdict.RUN, utc(2024, 1, 3), 2, 2)
    assert d.wake_at == utc(2024, 1, 4)


def test_r1_hourly_runs_once_then_is_exhausted() -> None:
    s = parse_schedule("R1/2024-01-01T00:00:00Z/PT1H")
    d = decide(s, utc(2024, 1, 1, 0, 0, 30), effective_from=utc(2023, 12, 31))
    assert (d.verdict, d.run_index, d.wake_at) == (Verdict.RUN, 0, None)
    assert decide(s, utc(2024, 1, 1, 0, 1), last_index=0).verdict is Verdict.EXHAUSTED


def test_hourly_seen_exactly_at_an_occurrence_runs_it_and_wakes_strictly_after() -> None:
    d = decide("R/2024-01-01T00:00:00Z/PT1H", utc(2024, 1, 1, 2), last_index=1)
    assert (d.verdict, d.run_time, d.wake_at) == (Verdict.RUN, utc(2024, 1, 1, 2), utc(2024, 1, 1, 3))


def test_manual_runs_do_not_touch_a_future_schedule() -> None:
    # §4.7's last case: Chronos used a repetition for a manual run; the contract does not.
    s = parse_schedule("R3/2026-01-02T00:00:00Z/P1D")
    d = decide(s, utc(2026, 1, 1))
    assert (d.verdict, d.consumed_through, d.wake_at) == (Verdict.IDLE, None, utc(2026, 1, 2))


# --- chronos.md §4.6 (2.x epsilon cases), under the contract -------------------------------------------


def test_r1_one_second_past_midnight_is_idle_then_runs_then_exhausts() -> None:
    s = parse_schedule("R1/2012-01-01T00:00:01Z/PT1M")
    created = utc(2011, 12, 31)
    idle = decide(s, utc(2012, 1, 1), effective_from=created)
    assert (idle.verdict, idle.wake_at) == (Verdict.IDLE, utc(2012, 1, 1, 0, 0, 1))
    run = decide(s, utc(2012, 1, 1, 0, 0, 1), effective_from=created)
    assert (run.verdict, run.run_index) == (Verdict.RUN, 0)
    assert decide(s, utc(2012, 1, 1, 0, 1), last_index=0, effective_from=created).verdict is Verdict.EXHAUSTED


def test_r1_seen_exactly_at_t_plus_epsilon_still_runs_and_just_after_is_skipped() -> None:
    # 2.x had a strict boundary; the contract says "created by t + epsilon", so t + epsilon is in time.
    s = parse_schedule("R1/2012-01-01T00:00:01Z/PT1M")
    created = utc(2011, 12, 31)
    assert decide(s, utc(2012, 1, 1, 0, 1, 1), effective_from=created).verdict is Verdict.RUN
    late = decide(s, utc(2012, 1, 1, 0, 1, 1, 1), effective_from=created)
    assert (late.verdict, late.skipped) == (Verdict.EXHAUSTED, 1)
    next_day = decide(s, utc(2012, 1, 2, 0, 1, 1), effective_from=created)
    assert (next_day.verdict, next_day.skipped, next_day.consumed_through) == (Verdict.EXHAUSTED, 1, 0)


def test_r10_minutely_with_20s_epsilon_skips_00_00_and_runs_00_01() -> None:
    d = decide("R10/2012-01-01T00:00:00Z/PT1M", utc(2012, 1, 1, 0, 1, 1), epsilon=timedelta(seconds=20))
    assert (d.verdict, d.run_time, d.skipped, d.consumed_through) == (
        Verdict.RUN,
        utc(2012, 1, 1, 0, 1),
        1,
        1,
    )
    assert d.wake_at == utc(2012, 1, 1, 0, 2)


def test_r10_starting_later_keeps_its_start() -> None:
    d = decide("R10/2012-01-10T00:00:00Z/PT1M", utc(2012, 1, 1, 0, 1, 1))
    assert (d.verdict, d.consumed_through, d.wake_at) == (Verdict.IDLE, None, utc(2012, 1, 10))


def test_r60_seconds_seen_after_all_of_them_runs_only_the_last() -> None:
    d = decide("R60/2012-01-01T00:00:00Z/PT1S", utc(2012, 1, 1, 0, 1), epsilon=timedelta(minutes=5))
    assert (d.verdict, d.run_index, d.skipped, d.wake_at) == (Verdict.RUN, 59, 59, None)


def test_forever_minutely_at_00_01_01_runs_00_01_once() -> None:
    d = decide("R/2012-01-01T00:00:00Z/PT1M", utc(2012, 1, 1, 0, 1, 1))
    assert (d.verdict, d.run_time, d.skipped) == (Verdict.RUN, utc(2012, 1, 1, 0, 1), 1)


def test_r5_daily_registered_on_the_third_day_runs_it_and_keeps_two() -> None:
    registered = utc(2012, 1, 3)
    d = decide("R5/2012-01-01/P1D", registered, effective_from=registered)
    assert (d.verdict, d.run_time, d.silently_consumed, d.skipped) == (Verdict.RUN, registered, 2, 0)
    assert d.consumed_through == 2  # remaining 2, next 2012-01-04 as in 2.x
    assert d.wake_at == utc(2012, 1, 4)


def test_r5_daily_registered_one_hour_late_with_two_hour_epsilon_runs_midnight() -> None:
    registered = utc(2012, 1, 1, 1)
    d = decide("R5/2012-01-01/P1D", registered, effective_from=registered, epsilon=timedelta(hours=2))
    assert (d.verdict, d.run_time, d.silently_consumed, d.skipped) == (Verdict.RUN, utc(2012, 1, 1), 0, 0)
    assert d.wake_at == utc(2012, 1, 2)
