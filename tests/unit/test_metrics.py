"""Prometheus metrics: names, labels and what the scheduler reports (metrics.py)."""

from __future__ import annotations

from prometheus_client import generate_latest
from tests.unit.api_fixtures import NS, filled_view

from chronos_operator.metrics import Metrics


def sample(metrics: Metrics, name: str, labels: dict[str, str] | None = None) -> float | None:
    return metrics.registry.get_sample_value(name, labels or {})


def test_runs_that_ended_are_counted_once_by_trigger_and_outcome() -> None:
    m = Metrics()
    old = {"history": [{"jobName": "a-1", "finishTime": "t1", "outcome": "Succeeded", "trigger": "schedule"}]}
    new = {
        "history": [
            {"jobName": "a-3", "finishTime": "t3", "outcome": "Failed", "trigger": "manual"},
            {"jobName": "a-2", "finishTime": "t2", "outcome": "Succeeded", "trigger": "dependency"},
            {"jobName": "a-1", "finishTime": "t1", "outcome": "Succeeded", "trigger": "schedule"},
            {"trigger": "manual", "outcome": "Succeeded", "finishTime": "t4", "reason": "MarkedSuccess"},
            {"jobName": "a-4", "finishTime": "t4", "outcome": "Skipped", "trigger": "schedule"},
        ]
    }
    m.status_changed("ns", old, new)
    m.status_changed("ns", new, new)  # nothing new the second time
    runs = "chronos_operator_runs_total"
    assert sample(m, runs, {"namespace": "ns", "trigger": "manual", "outcome": "failure"}) == 1
    assert sample(m, runs, {"namespace": "ns", "trigger": "dependency", "outcome": "success"}) == 1
    assert sample(m, runs, {"namespace": "ns", "trigger": "schedule", "outcome": "success"}) is None


def test_skipped_occurrences_follow_the_skipped_counter() -> None:
    m = Metrics()
    m.status_changed("ns", {"skippedCount": 2}, {"skippedCount": 5})
    m.status_changed("ns", {"skippedCount": 5}, {"skippedCount": 5})
    assert sample(m, "chronos_operator_skipped_occurrences_total", {"namespace": "ns"}) == 3


def test_created_runs_feed_the_lag_and_release_histograms() -> None:
    m = Metrics()
    m.run_created("ns", "schedule", 0.2)
    m.run_created("ns", "schedule", 3.0)
    m.run_created("ns", "dependency", 0.4)
    m.run_created("ns", "manual", 99.0)  # a manual run has no due time to be late against
    assert sample(m, "chronos_operator_schedule_lag_seconds_count") == 2
    assert sample(m, "chronos_operator_schedule_lag_seconds_bucket", {"le": "0.25"}) == 1
    assert sample(m, "chronos_operator_dependency_release_seconds_count") == 1
    assert sample(m, "chronos_operator_runs_started_total", {"namespace": "ns", "trigger": "manual"}) == 1


def test_view_gauges_only_on_the_leader() -> None:
    view = filled_view()
    leading = {"now": True}
    m = Metrics()
    m.watch_view(view, lambda: leading["now"])
    text = generate_latest(m.registry).decode()
    assert "chronos_operator_jobs{" in text
    total = sum(
        value
        for state in ("idle", "running", "queued", "disabled", "invalid")
        if (value := sample(m, "chronos_operator_jobs", {"namespace": NS, "state": state})) is not None
    )
    assert total == sum(1 for key in view.jobs if key[0] == NS)
    leading["now"] = False
    assert "chronos_operator_jobs{" not in generate_latest(m.registry).decode()


def test_every_metric_is_prefixed_and_suffixed_by_convention() -> None:
    m = Metrics()
    m.run_created("ns", "schedule", 1.0)
    m.status_changed("ns", {}, {"skippedCount": 1})
    for family in m.registry.collect():
        assert family.name.startswith("chronos_operator_")
        if family.type == "counter":
            assert all(s.name.endswith(("_total", "_created")) for s in family.samples)
        if family.type == "histogram":
            assert family.name.endswith("_seconds")
