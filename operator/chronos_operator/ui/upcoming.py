"""Upcoming fire times: one job's next runs with daylight-saving shifts marked, and every job's
runs in the next hours. The engine is `kubectl-chronos next`'s (`cli.next.list_fire_times`)."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from chronos_operator.api.render import last_status
from chronos_operator.cli.next import list_fire_times
from chronos_operator.schedule import Schedule
from chronos_operator.scheduler.view import Entry

from .rows import is_disabled
from .words import parsed_schedule, zone_of


@dataclass(frozen=True)
class FireTime:
    when: datetime  # UTC
    local: datetime  # in the job's zone
    shift: str  # "" or e.g. "UTC-08:00 → UTC-07:00": the zone's offset changed since the previous one


def schedule_of(entry: Entry) -> Schedule | None:
    """The job's anchored schedule; None for dependency, one-off, invalid or disabled jobs."""
    spec = entry.raw_spec
    if entry.parents or not spec.get("schedule") or entry.spec is None or is_disabled(entry):
        return None
    parsed = parsed_schedule(str(spec["schedule"]), spec.get("scheduleTimeZone") or None)
    return None if parsed is None else parsed.anchored(entry.created)


def _offset(t: datetime) -> str:
    offset = t.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def fire_times(schedule: Schedule, zone: tzinfo, after: datetime, count: int) -> list[FireTime]:
    """The next `count` occurrences after `after`, each marked when the zone's UTC offset differs
    from the one before it (the first is compared with `after`)."""
    result: list[FireTime] = []
    previous = _offset(after.astimezone(zone))
    for when in list_fire_times(schedule, after, count):
        local = when.astimezone(zone)
        offset = _offset(local)
        result.append(FireTime(when, local, f"{previous} → {offset}" if offset != previous else ""))
        previous = offset
    return result


def job_fire_times(entry: Entry, after: datetime, count: int = 10) -> list[FireTime]:
    schedule = schedule_of(entry)
    if schedule is None:
        return []
    zone, _ = zone_of(str(entry.raw_spec.get("scheduleTimeZone") or ""))
    return fire_times(schedule, zone, after, count)


@dataclass(frozen=True)
class Planned:
    """What the upcoming page needs of a job, taken from the view on the event loop, so the merge
    below can run in a worker thread without touching the view."""

    namespace: str
    name: str
    chronos_name: str
    last_status: str
    schedule: Schedule
    zone: tzinfo
    zone_name: str


@dataclass(frozen=True)
class Upcoming:
    job: Planned
    fire: FireTime


def upcoming_runs(
    jobs: Iterable[Planned], after: datetime, hours: int, per_job: int = 50, limit: int = 1000
) -> tuple[list[Upcoming], int]:
    """Every job's fire times in (after, after + hours], soonest first, at most `per_job` a job and
    `limit` in all, with how many were left out (at least; runs past the limit are not counted
    one by one). A heap merges the jobs' series, so the work is one lookup per job plus one step
    per row shown, however often the jobs fire."""
    until = after + timedelta(hours=hours)
    heap: list[tuple[datetime, int, int]] = []
    planned = list(jobs)
    previous: dict[int, str] = {}
    for i, job in enumerate(planned):
        found = job.schedule.next_after(after)
        if found is not None and found[1] <= until:
            heap.append((found[1], i, found[0]))
            previous[i] = _offset(after.astimezone(job.zone))
    heapq.heapify(heap)
    result: list[Upcoming] = []
    shown: dict[int, int] = {}
    left_out = 0
    while heap and len(result) < limit:
        when, i, k = heapq.heappop(heap)
        job = planned[i]
        if shown.get(i, 0) >= per_job:
            left_out += 1
            continue
        shown[i] = shown.get(i, 0) + 1
        local = when.astimezone(job.zone)
        offset = _offset(local)
        shift = f"{previous[i]} → {offset}" if offset != previous[i] else ""
        previous[i] = offset
        result.append(Upcoming(job, FireTime(when, local, shift)))
        try:
            later = job.schedule.occurrence(k + 1)
        except IndexError:
            continue
        if later <= until:
            heapq.heappush(heap, (later, i, k + 1))
    return result, left_out + len(heap)


def plan(entry: Entry) -> Planned | None:
    schedule = schedule_of(entry)
    if schedule is None:
        return None
    zone, zone_name = zone_of(str(entry.raw_spec.get("scheduleTimeZone") or ""))
    return Planned(
        entry.namespace, entry.name, entry.chronos_name, last_status(entry), schedule, zone, zone_name
    )
