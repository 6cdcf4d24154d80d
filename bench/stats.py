"""Pure statistics for the benchmarks: percentiles, and misses/duplicates counted from
(owner, scheduled time, Job uid) sightings against the occurrences that should have run."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linearly interpolated between the closest ranks (as numpy's
    default); NaN for no values."""
    if not values:
        return math.nan
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(values: Sequence[float], digits: int = 3) -> dict[str, float | int]:
    """Count, mean, p50/p95/p99 and max of `values` (seconds), rounded for the report."""
    if not values:
        return {"count": 0}

    def r(x: float) -> float:
        return round(x, digits)

    return {
        "count": len(values),
        "min": r(min(values)),
        "mean": r(sum(values) / len(values)),
        "p50": r(percentile(values, 50)),
        "p95": r(percentile(values, 95)),
        "p99": r(percentile(values, 99)),
        "max": r(max(values)),
    }


def occurrences(
    start: datetime, period: timedelta, window_from: datetime, window_to: datetime
) -> list[datetime]:
    """The times start + k*period (k >= 0) within [window_from, window_to]."""
    if period <= timedelta(0):
        raise ValueError("period must be positive")
    first = max(0, math.ceil((window_from - start) / period))
    times = []
    t = start + first * period
    while t <= window_to:
        if t >= window_from:
            times.append(t)
        t += period
    return times


@dataclass(frozen=True)
class Sighting:
    owner: str
    scheduled: datetime
    uid: str
    seen: float  # the watcher's clock (epoch seconds) when the Job first appeared


@dataclass(frozen=True)
class RunCount:
    expected: int
    ran: int  # expected occurrences with at least one Job
    missed: int  # expected occurrences without any Job
    duplicates: int  # Jobs beyond the first for one occurrence
    unexpected: int  # Jobs for an (owner, time) that was not expected (wrong time, or not asked for)
    lags: list[float]  # first sighting minus scheduled time, one per occurrence that ran
    missed_examples: list[str]
    duplicate_examples: list[str]


def count_runs(expected: Mapping[str, Iterable[datetime]], sightings: Iterable[Sighting]) -> RunCount:
    """Matches sightings to the expected occurrences of each owner. Sightings scheduled outside
    the expected owners' windows are ignored only if their owner is not in `expected` at all."""
    wanted = {(owner, t) for owner, times in expected.items() for t in times}
    uids: dict[tuple[str, datetime], set[str]] = {}
    first_seen: dict[tuple[str, datetime], float] = {}
    unexpected = 0
    window = {owner: (min(ts), max(ts)) for owner, ts in ((o, list(t)) for o, t in expected.items()) if ts}
    for s in sightings:
        key = (s.owner, s.scheduled)
        if key not in wanted:
            bounds = window.get(s.owner)
            if bounds is not None and bounds[0] <= s.scheduled <= bounds[1]:
                unexpected += 1
            continue
        uids.setdefault(key, set()).add(s.uid)
        first_seen[key] = min(first_seen.get(key, s.seen), s.seen)
    missed = sorted(wanted - uids.keys())
    dups = {k: len(v) - 1 for k, v in uids.items() if len(v) > 1}
    lags = [first_seen[k] - k[1].timestamp() for k in sorted(first_seen)]
    return RunCount(
        expected=len(wanted),
        ran=len(uids),
        missed=len(missed),
        duplicates=sum(dups.values()),
        unexpected=unexpected,
        lags=lags,
        missed_examples=[f"{o}@{t.isoformat()}" for o, t in missed[:10]],
        duplicate_examples=[f"{o}@{t.isoformat()} x{n + 1}" for (o, t), n in list(dups.items())[:10]],
    )


def release_delays(
    parents_of: Mapping[str, Sequence[str]],
    completions: Mapping[str, Sequence[float]],
    child_appearances: Mapping[str, Sequence[float]],
) -> list[float]:
    """Delay from the last parent's completion to each child Job's appearance: for a child seen at
    time c, the release is the latest completion of each parent before c, and the delay is c minus
    the latest of those. Appearances with a parent that had not completed yet are left out."""
    delays = []
    for child, seen_times in child_appearances.items():
        for c in seen_times:
            latest = []
            for p in parents_of[child]:
                before = [t for t in completions.get(p, ()) if t <= c]
                if not before:
                    break
                latest.append(max(before))
            else:
                if latest:
                    delays.append(c - max(latest))
    return delays


def runs_per_second(seen: Sequence[float]) -> float:
    """Jobs per second between the first and the last of a burst of sightings."""
    if len(seen) < 2:
        return math.nan
    span = max(seen) - min(seen)
    return (len(seen) - 1) / span if span > 0 else math.inf
