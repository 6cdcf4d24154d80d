"""The benchmark's pure statistics: percentiles, and misses/duplicates from sightings."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from bench.stats import (
    Sighting,
    count_runs,
    occurrences,
    percentile,
    release_delays,
    runs_per_second,
    summarize,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def seen(owner: str, scheduled: datetime, lag: float, uid: str | None = None) -> Sighting:
    return Sighting(owner, scheduled, uid or f"{owner}-{scheduled.timestamp()}", scheduled.timestamp() + lag)


def test_percentile_interpolates_between_closest_ranks() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 50) == pytest.approx(2.5)
    assert percentile(values, 99) == pytest.approx(3.97)


def test_percentile_of_one_value_is_that_value_and_of_none_is_nan() -> None:
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))


def test_percentile_outside_0_to_100_is_refused() -> None:
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_summary_of_no_values_reports_only_the_count() -> None:
    assert summarize([]) == {"count": 0}
    assert summarize([1.0, 3.0])["p50"] == 2.0


def test_occurrences_are_the_period_multiples_inside_the_window() -> None:
    assert occurrences(at(0), timedelta(seconds=10), at(5), at(30)) == [at(10), at(20), at(30)]
    assert occurrences(at(100), timedelta(seconds=10), at(0), at(105)) == [at(100)]


def test_every_expected_run_seen_once_counts_no_miss_and_no_duplicate() -> None:
    expected = {"a": [at(0), at(10)], "b": [at(0)]}
    count = count_runs(expected, [seen("a", at(0), 0.2), seen("a", at(10), 0.4), seen("b", at(0), 1.0)])
    assert (count.expected, count.ran, count.missed, count.duplicates, count.unexpected) == (3, 3, 0, 0, 0)
    assert sorted(count.lags) == pytest.approx([0.2, 0.4, 1.0])


def test_expected_run_never_seen_is_missed() -> None:
    count = count_runs({"a": [at(0), at(10)]}, [seen("a", at(0), 0.1)])
    assert count.missed == 1
    assert count.missed_examples == [f"a@{at(10).isoformat()}"]


def test_two_jobs_for_one_occurrence_count_one_duplicate_and_the_first_sets_the_lag() -> None:
    count = count_runs({"a": [at(0)]}, [seen("a", at(0), 0.5, "u1"), seen("a", at(0), 0.3, "u2")])
    assert count.duplicates == 1
    assert count.lags == pytest.approx([0.3])


def test_the_same_job_seen_twice_is_not_a_duplicate() -> None:
    count = count_runs({"a": [at(0)]}, [seen("a", at(0), 0.5, "u1"), seen("a", at(0), 0.9, "u1")])
    assert count.duplicates == 0


def test_a_run_at_an_unscheduled_time_inside_the_window_is_unexpected() -> None:
    count = count_runs({"a": [at(0), at(10)]}, [seen("a", at(5), 0.1), seen("other", at(5), 0.1)])
    assert count.unexpected == 1
    assert count.missed == 2


def test_release_delay_is_measured_from_the_last_parent_completion_before_the_child() -> None:
    parents = {"child": ["p1", "p2"]}
    completions = {"p1": [100.0, 160.0], "p2": [101.5, 162.0]}
    children = {"child": [102.0, 162.25]}
    assert release_delays(parents, completions, children) == pytest.approx([0.5, 0.25])


def test_child_seen_before_a_parent_completed_gives_no_delay() -> None:
    assert release_delays({"c": ["p"]}, {"p": [10.0]}, {"c": [5.0]}) == []


def test_runs_per_second_spans_the_first_to_the_last_sighting() -> None:
    assert runs_per_second([0.0, 0.5, 1.0, 2.0]) == pytest.approx(1.5)
    assert math.isnan(runs_per_second([1.0]))
