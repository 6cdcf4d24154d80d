"""Prometheus metrics, served on the metrics port (8081) with the health endpoints.

One registry, built by the app (never the process-global default, so tests and several operators
in one process never share counters). Counters and histograms are fed by the scheduler and the
REST API as things happen; the gauges (jobs by state, active runs, failing jobs) are read from
the view at scrape time, and only on the leader: a standby's view is paused and would report
stale numbers that a `sum()` across replicas would double.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from chronos_operator.scheduler.view import Entry, View

PREFIX = "chronos_operator"
LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
API_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
OUTCOMES = {"Succeeded": "success", "Failed": "failure", "Killed": "killed"}


def job_state(entry: Entry) -> str:
    """What `chronos_operator_jobs{state}` counts: Chronos' summary states (idle, queued,
    running) plus the ones that explain why a job does not run (disabled, invalid)."""
    if entry.spec_error or entry.policy_error:
        return "invalid"
    if bool(getattr(entry.spec, "disabled", False)):
        return "disabled"
    state = str(entry.status.get("state") or "idle")
    return "running" if state.endswith("running") else state


def is_failing(entry: Entry) -> bool:
    return entry.status.get("lastStatus") == "failure"


class ViewCollector(Collector):
    """Gauges computed from the view when Prometheus scrapes."""

    def __init__(self, view: View, enabled: Callable[[], bool]) -> None:
        self.view = view
        self.enabled = enabled

    def describe(self) -> Iterable[Metric]:
        return []  # the families are only known at collect time (labels come from the view)

    def collect(self) -> Iterable[Metric]:
        if not self.enabled():
            return
        jobs = GaugeMetricFamily(
            f"{PREFIX}_jobs", "ChronosJobs by namespace and state", labels=["namespace", "state"]
        )
        failing = GaugeMetricFamily(
            f"{PREFIX}_job_failing",
            "1 for each ChronosJob whose last finished run failed",
            labels=["namespace", "job"],
        )
        active = GaugeMetricFamily(f"{PREFIX}_active_runs", "Runs (Jobs) that have not finished")
        tally: Tally[tuple[str, str]] = Tally()
        for key, entry in list(self.view.jobs.items()):
            tally[(key[0], job_state(entry))] += 1
            if is_failing(entry):
                failing.add_metric([key[0], entry.chronos_name], 1.0)
        for (namespace, state), count in sorted(tally.items()):
            jobs.add_metric([namespace, state], float(count))
        active.add_metric(
            [], float(sum(1 for runs in self.view.runs.values() for r in runs.values() if r.active))
        )
        yield jobs
        yield failing
        yield active


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.runs = Counter(
            f"{PREFIX}_runs",
            "Runs that ended, by outcome (success, failure, killed) and trigger (schedule, "
            "dependency, manual)",
            ["namespace", "trigger", "outcome"],
            registry=r,
        )
        self.runs_started = Counter(
            f"{PREFIX}_runs_started",
            "Jobs created for runs, by trigger",
            ["namespace", "trigger"],
            registry=r,
        )
        self.skipped = Counter(
            f"{PREFIX}_skipped_occurrences",
            "Occurrences not run (missed by more than epsilon, or superseded while waiting)",
            ["namespace"],
            registry=r,
        )
        self.schedule_lag = Histogram(
            f"{PREFIX}_schedule_lag_seconds",
            "From an occurrence's scheduled time to the creation of its Job",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.release = Histogram(
            f"{PREFIX}_dependency_release_seconds",
            "From the completion of a child's last parent to the creation of the child's Job",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.api_requests = Counter(
            f"{PREFIX}_api_requests",
            "REST API and UI requests, by method, route and status code",
            ["method", "route", "code"],
            registry=r,
        )
        self.api_duration = Histogram(
            f"{PREFIX}_api_request_duration_seconds",
            "REST API and UI request durations, by method and route",
            ["method", "route"],
            buckets=API_BUCKETS,
            registry=r,
        )
        self.leader = Gauge(f"{PREFIX}_leader", "1 on the replica that schedules, 0 on a standby", registry=r)

    def watch_view(self, view: View, enabled: Callable[[], bool]) -> None:
        self.registry.register(ViewCollector(view, enabled))

    # --- what the scheduler reports -------------------------------------------------------------

    def run_created(self, namespace: str, trigger: str, delay_seconds: float) -> None:
        self.runs_started.labels(namespace, trigger).inc()
        if trigger == "schedule":
            self.schedule_lag.observe(max(0.0, delay_seconds))
        elif trigger == "dependency":
            self.release.observe(max(0.0, delay_seconds))

    def status_changed(self, namespace: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """Counts the runs that ended and the occurrences skipped between two statuses."""
        skipped = int(new.get("skippedCount", 0) or 0) - int(old.get("skippedCount", 0) or 0)
        if skipped > 0:
            self.skipped.labels(namespace).inc(skipped)
        seen = {_history_key(h) for h in old.get("history") or []}
        for item in new.get("history") or []:
            outcome = OUTCOMES.get(str(item.get("outcome")))
            if outcome is None or item.get("reason") == "MarkedSuccess" or _history_key(item) in seen:
                continue
            self.runs.labels(namespace, str(item.get("trigger") or "schedule"), outcome).inc()


def _history_key(item: Mapping[str, Any]) -> tuple[str, str, str]:
    return (str(item.get("jobName") or ""), str(item.get("finishTime") or ""), str(item.get("outcome") or ""))
