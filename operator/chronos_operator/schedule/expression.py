"""The text form of a schedule, ``R[n]/[start]/period``: parse and print it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timezone

from .errors import InvalidText, ScheduleError, quote
from .instants import format_start, read_start
from .period import format_duration, read_period
from .series import Schedule
from .zones import resolve_zone

_REPETITIONS = re.compile(r"R(?P<count>[0-9]*)", re.ASCII)
_MAX_REPETITIONS = 2**63 - 1  # Chronos kept the count in a Java long
_EARLIEST_START = datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)  # Chronos refuses earlier starts
_SHAPE = "expected R[n]/[start]/period, for example R/2024-01-01T00:00:00Z/PT1H or R5//P1D"


def parse_schedule(expr: str, zone: str | None = None) -> Schedule:
    """Parse ``R[n]/[start]/period`` with an optional ``scheduleTimeZone``; ScheduleError if bad.

    An empty zone means none (Chronos job files carry ``"scheduleTimeZone": ""``).
    """
    if not isinstance(expr, str):
        raise ScheduleError(f"schedule must be a string, not {type(expr).__name__}", "schedule")
    where = f"schedule {quote(expr)}"
    parts = expr.split("/")
    if len(parts) != 3:
        missing = " (it has no period)" if len(parts) == 2 and parts[0].startswith("R") else ""
        raise ScheduleError(f"{where}: {_SHAPE}{missing}", "schedule")
    repetitions_text, start_text, period_text = parts

    match = _REPETITIONS.fullmatch(repetitions_text)
    if match is None:
        raise ScheduleError(
            f"{where}: repetitions {quote(repetitions_text)} must be R (forever) or R and a count, like R5",
            "schedule",
        )
    repetitions = _read_count(match["count"], where)

    if not period_text.startswith("P"):
        raise ScheduleError(f"{where}: the period must come last and start with P; {_SHAPE}", "schedule")
    try:
        period = read_period(period_text)
    except InvalidText as bad:
        raise ScheduleError(f"{where}: period {quote(period_text)} {bad.reason}", "schedule") from None
    if period.is_zero() and (repetitions is None or repetitions > 1):
        raise ScheduleError(
            f"{where}: a zero period repeats the same instant; only R0 or R1 may have it", "schedule"
        )
    if not period.is_zero() and not period.has_calendar_part() and period.seconds < 1:
        raise ScheduleError(f"{where}: the period must be at least one second", "schedule")

    written = None
    if start_text:
        try:
            written = read_start(start_text)
        except InvalidText as bad:
            raise ScheduleError(f"{where}: start {quote(start_text)} {bad.reason}", "schedule") from None

    if zone is not None and not isinstance(zone, str):
        raise ScheduleError(
            f"scheduleTimeZone must be a time zone name, not {type(zone).__name__}", "scheduleTimeZone"
        )
    tz = resolve_zone(zone) if zone else None

    start = None
    if written is not None:
        # With a zone the written offset is ignored and the wall-clock fields are kept (Chronos'
        # withZoneRetainFields); without one, the written offset is the zone, UTC if none.
        if tz is not None:
            start = written.wall.replace(tzinfo=tz)
        else:
            start = written.wall.replace(tzinfo=timezone(written.offset) if written.offset else UTC)
        try:
            instant = start.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ScheduleError(f"{where}: start {quote(start_text)} is out of range", "schedule") from None
        if instant < _EARLIEST_START:
            raise ScheduleError(
                f"{where}: start {quote(start_text)} is before 1970-01-01T00:00:01Z", "schedule"
            )
    return Schedule(repetitions=repetitions, start=start, period=period, zone=tz, zone_name=zone or None)


def format_schedule(s: Schedule) -> str:
    """``R<n>/<start>/<period>`` or ``R/<start>/<period>``, the start printed like Chronos does."""
    count = "" if s.repetitions is None else str(s.repetitions)
    start = "" if s.start is None else format_start(s.start)
    return f"R{count}/{start}/{format_duration(s.period)}"


def _read_count(digits: str, where: str) -> int | None:
    if not digits:
        return None
    # Bound the digit string before int(): Python refuses to convert more than 4300 digits.
    if len(digits.lstrip("0")) > len(str(_MAX_REPETITIONS)) or int(digits) > _MAX_REPETITIONS:
        raise ScheduleError(f"{where}: repetitions R{digits} exceed {_MAX_REPETITIONS}", "schedule")
    return int(digits)
