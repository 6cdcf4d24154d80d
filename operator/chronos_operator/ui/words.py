"""Schedules and durations in words, and instants in a chosen zone, for people reading the UI."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, tzinfo
from decimal import Decimal

from chronos_operator.schedule import Period, Schedule, ScheduleError, parse_schedule, resolve_zone

_UNITS = (("year", "years"), ("month", "months"), ("week", "weeks"), ("day", "days"))


def _plural(n: int | Decimal, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def period_words(p: Period) -> str:
    """P1D -> "1 day", PT90M -> "1 h 30 min", P2W -> "2 weeks"."""
    parts: list[str] = []
    days = p.days
    weeks, days = (days // 7, 0) if days and days % 7 == 0 and not p.years and not p.months else (0, days)
    for value, (one, many) in zip((p.years, p.months, weeks, days), _UNITS, strict=True):
        if value:
            parts.append(_plural(value, one, many))
    seconds = p.seconds
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        parts.append(f"{hours} h")
    if minutes:
        parts.append(f"{minutes} min")
    if secs:
        parts.append(f"{secs.normalize():f} s")
    return " ".join(parts) or "0 s"


def duration_words(seconds: float) -> str:
    """61.5 -> "1m 1.5s"; 3725 -> "1h 2m 5s"."""
    if seconds < 60:
        return f"{seconds:.1f}s" if seconds % 1 else f"{int(seconds)}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    return f"{minutes}m {secs}s"


def schedule_words(
    schedule: str | None, zone: str | None, parents: tuple[str, ...], remaining: int | None = None
) -> str:
    """ "every 1 day from 2024-01-01 02:00 (Europe/Paris), forever", "after a, b" or "once"."""
    if parents:
        return "after " + ", ".join(parents)
    if not schedule:
        return "once, when created"
    parsed = parsed_schedule(schedule, zone)
    return schedule if parsed is None else describe(parsed, remaining)


@functools.lru_cache(maxsize=4096)
def parsed_schedule(schedule: str, zone: str | None) -> Schedule | None:
    """parse_schedule, remembered: thousands of jobs share a few hundred schedules, and a page
    of 200 rows would otherwise parse each one again (Schedule is immutable)."""
    try:
        return parse_schedule(schedule, zone or None)
    except ScheduleError:
        return None


def describe(parsed: Schedule, remaining: int | None = None) -> str:
    if parsed.repetitions == 0:
        return "never (R0)"
    text = f"every {period_words(parsed.period)}"
    if parsed.start is not None:
        where = parsed.zone_name or "UTC"
        start = parsed.start.astimezone(parsed.zone) if parsed.zone is not None else parsed.start
        text += f" from {start:%Y-%m-%d %H:%M} ({where})"
    else:
        text += " from creation"
    if parsed.repetitions is None:
        return text + ", forever"
    if remaining is not None:
        return text + f", {_plural(remaining, 'run', 'runs')} left of {parsed.repetitions}"
    return text + f", {_plural(parsed.repetitions, 'run', 'runs')} in all"


def zone_of(name: str | None) -> tuple[tzinfo, str]:
    """The zone named `name` (IANA or Java id) and its display name; UTC when empty or unknown."""
    if not name:
        return UTC, "UTC"
    try:
        return resolve_zone(name), name
    except (ScheduleError, ValueError, KeyError):
        return UTC, "UTC"


def show_instant(when: datetime | None, zone: tzinfo = UTC) -> str:
    """ "2024-03-10 02:00 PDT" (seconds when not zero); "" for None."""
    if when is None:
        return ""
    local = when.astimezone(zone)
    fmt = "%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M"
    return f"{local.strftime(fmt)} {local.tzname() or ''}".strip()


def iso(when: datetime | None) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else ""
