"""Turning the watcher's records into sightings, run counts and reportable rows."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from bench.cluster import parse_time
from bench.stats import RunCount, Sighting, count_runs, summarize


def sightings(records: Iterable[Mapping[str, Any]], kind: str, namespaces: set[str]) -> list[Sighting]:
    return [
        Sighting(owner=r["owner"], scheduled=parse_time(r["sched"]), uid=r["uid"], seen=r["recv"])
        for r in records
        if r["e"] == "add" and r["kind"] == kind and r["ns"] in namespaces and r.get("sched")
    ]


def watcher_delay(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """How late the watcher itself could be: receive time minus the Job's creationTimestamp,
    which the API server truncates to the second, so each value is the watch delay plus up to
    one second. The mean minus 0.5 s estimates the mean watch delay."""
    values = [r["recv"] - parse_time(r["created"]).timestamp() for r in records if r["e"] == "add"]
    summary = summarize(values)
    if values:
        summary["estimated_mean_delay"] = round(max(0.0, sum(values) / len(values) - 0.5), 3)
    return summary


def wait_for_sightings(
    records: Callable[[], list[dict[str, Any]]],
    enough: Callable[[list[dict[str, Any]]], bool],
    timeout: float,
) -> list[dict[str, Any]]:
    """Polls the watcher's records until `enough` holds or `timeout` passes (late runs then count
    as missed); returns the last records read."""
    deadline = time.monotonic() + timeout
    while True:
        current = records()
        if enough(current) or time.monotonic() > deadline:
            return current
        time.sleep(1)


def run_row(label: str, count: RunCount) -> list[Any]:
    s = summarize(count.lags)
    return [
        label,
        count.expected,
        count.ran,
        s.get("p50"),
        s.get("p95"),
        s.get("p99"),
        s.get("max"),
        count.missed,
        count.duplicates,
        count.unexpected,
    ]


RUN_HEADERS = [
    "series",
    "runs expected",
    "runs seen",
    "lag p50 (s)",
    "lag p95 (s)",
    "lag p99 (s)",
    "lag max (s)",
    "missed",
    "duplicates",
    "unexpected",
]


def run_summary(count: RunCount) -> dict[str, Any]:
    return {
        "expected": count.expected,
        "ran": count.ran,
        "missed": count.missed,
        "duplicates": count.duplicates,
        "unexpected": count.unexpected,
        "lag_seconds": summarize(count.lags),
        "missed_examples": count.missed_examples,
        "duplicate_examples": count.duplicate_examples,
    }


def lag_points(
    count_expected: Mapping[str, Iterable[datetime]], sights: list[Sighting]
) -> list[tuple[float, float]]:
    """(scheduled epoch, lag) of the first sighting of each expected occurrence, for plots."""
    wanted = {(o, t) for o, ts in count_expected.items() for t in ts}
    first: dict[tuple[str, datetime], float] = {}
    for s in sights:
        key = (s.owner, s.scheduled)
        if key in wanted:
            first[key] = min(first.get(key, s.seen), s.seen)
    return [(k[1].timestamp(), v - k[1].timestamp()) for k, v in first.items()]


def counted(expected: Mapping[str, Iterable[datetime]], sights: list[Sighting]) -> RunCount:
    return count_runs(expected, sights)
