"""Upcoming fire times: one job's next runs with daylight-saving shifts marked, and every job's
runs in the next hours. The engine is `kubectl-chronos next`'s (`cli.next.list_fire_times`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from chronos_operator.cli.next import list_fire_times
from chronos_operator.schedule import Schedule, ScheduleError, parse_schedule
from chronos_operator.scheduler.view import Entry

from .rows import is_disabled
from .words import zone_of


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
    try:
        return parse_schedule(str(spec["schedule"]), spec.get("scheduleTimeZone") or None).anchored(
            entry.created
        )
    except ScheduleError:
        return None


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
class Upcoming:
    entry: Entry
    fire: FireTime


def upcoming_runs(
    entries: Iterable[Entry], after: datetime, hours: int, per_job: int = 50, limit: int = 2000
) -> tuple[list[Upcoming], int]:
    """Every job's fire times in (after, after + hours], soonest first, at most `per_job` a job and
    `limit` in all; with the number left out."""
    until = after + timedelta(hours=hours)
    found: list[Upcoming] = []
    left_out = 0
    for entry in entries:
        schedule = schedule_of(entry)
        if schedule is None:
            continue
        zone, _ = zone_of(str(entry.raw_spec.get("scheduleTimeZone") or ""))
        times = [t for t in fire_times(schedule, zone, after, per_job + 1) if t.when <= until]
        if len(times) > per_job:
            left_out += 1  # at least one more; counted, not enumerated
            times = times[:per_job]
        found.extend(Upcoming(entry, t) for t in times)
    found.sort(key=lambda u: (u.fire.when, u.entry.namespace, u.entry.chronos_name))
    if len(found) > limit:
        left_out += len(found) - limit
        found = found[:limit]
    return found, left_out
