"""ISO 8601 repeating schedules (``R[n]/[start]/period``): parse, print, zones, occurrences and the
per-occurrence decision. Pure: no I/O, no clock; "now" is always an argument."""

from .due import ScheduleDecision, Verdict, decide_schedule
from .errors import ScheduleError
from .expression import format_schedule, parse_schedule
from .instants import format_instant, parse_instant, read_instant
from .period import Period, format_duration, parse_duration
from .series import Schedule
from .zones import JAVA_FIXED_ZONES, JAVA_LEGACY_ZONES, resolve_zone

__all__ = [
    "JAVA_FIXED_ZONES",
    "JAVA_LEGACY_ZONES",
    "Period",
    "Schedule",
    "ScheduleDecision",
    "ScheduleError",
    "Verdict",
    "decide_schedule",
    "format_duration",
    "format_instant",
    "format_schedule",
    "parse_duration",
    "parse_instant",
    "parse_schedule",
    "read_instant",
    "resolve_zone",
]
