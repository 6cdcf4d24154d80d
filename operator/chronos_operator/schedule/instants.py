"""ISO 8601 / RFC 3339 dates and date-times: schedule starts and status timestamps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .errors import InvalidText

_DATE = r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
_TIME = r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:[.,](?P<fraction>[0-9]+))?)?"
_OFFSET = r"(?P<offset>[Zz]|[+-][0-9]{2}(?::[0-9]{2}(?::[0-9]{2})?|[0-9]{2})?)"
# Extended format only (what Chronos users write and Kubernetes prints); our own grammar so
# that nothing reaches isodate, whose bug classes (offset +25:00, silent truncation) we avoid.
_START = re.compile(rf"{_DATE}(?:T{_TIME}{_OFFSET}?)?", re.ASCII)
_INSTANT = re.compile(rf"{_DATE}[Tt ]{_TIME}{_OFFSET}", re.ASCII)
_FRACTION_DIGITS = 6
_NOT_ISO = "is not an ISO 8601 date or date-time"


@dataclass(frozen=True)
class WrittenDateTime:
    """A date or date-time as written: its wall-clock fields and the offset, if one was written."""

    wall: datetime  # naive
    offset: timedelta | None


def read_start(text: str) -> WrittenDateTime:
    """Parse a schedule start (a date, or a date-time with an optional offset); InvalidText if bad."""
    match = _START.fullmatch(text)
    if match is None:
        raise InvalidText(_NOT_ISO)
    try:
        return _written(match, truncate=False)
    except InvalidText as bad:
        raise InvalidText(f"{_NOT_ISO} ({bad.reason})") from None


def parse_instant(text: str) -> datetime:
    """Parse an RFC 3339 / ISO 8601 date-time with an offset into an aware UTC datetime; ValueError if bad."""
    if not isinstance(text, str):
        raise ValueError(f"a date-time must be a string, not {type(text).__name__}")
    match = _INSTANT.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an RFC 3339 date-time with an offset")
    try:
        written = _written(match, truncate=True)
        assert written.offset is not None  # the grammar requires one
        return (written.wall - written.offset).replace(tzinfo=UTC)
    except InvalidText as bad:
        raise ValueError(f"{text!r} is not a valid date-time ({bad.reason})") from None
    except OverflowError:
        raise ValueError(f"{text!r} is out of range") from None


def read_instant(value: object) -> datetime | None:
    """`parse_instant` for values read from objects (status, annotations): None when the value
    is missing, not a string, or not a date-time, instead of an error."""
    if not value or not isinstance(value, str):
        return None
    try:
        return parse_instant(value)
    except ValueError:
        return None


def format_instant(t: datetime) -> str:
    """RFC 3339 in UTC with milliseconds and ``Z``: ``2024-01-01T00:00:00.000Z``."""
    return _format_fields(to_utc(t)) + "Z"


def format_start(t: datetime) -> str:
    """A schedule start as Chronos prints it: milliseconds (microseconds if finer) and the offset."""
    offset = t.utcoffset()
    assert offset is not None
    return _format_fields(t, fine=True) + format_offset(offset)


def format_offset(offset: timedelta) -> str:
    if not offset:
        return "Z"
    sign = "-" if offset < timedelta(0) else "+"
    minutes, seconds = divmod(int(abs(offset).total_seconds()), 60)
    text = f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return text + (f":{seconds:02d}" if seconds else "")


def to_utc(t: datetime) -> datetime:
    """The same instant in UTC; ValueError for a naive datetime (its instant is unknown)."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{t!r} has no time zone")
    return t.astimezone(UTC)


def _format_fields(t: datetime, *, fine: bool = False) -> str:
    fraction = f"{t.microsecond:06d}" if fine and t.microsecond % 1000 else f"{t.microsecond // 1000:03d}"
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}.{fraction}"


def _written(match: re.Match[str], *, truncate: bool) -> WrittenDateTime:
    fraction = match["fraction"] or ""
    if not truncate and fraction[_FRACTION_DIGITS:].strip("0"):
        raise InvalidText("it is more precise than a microsecond")
    year, month, day, hour, minute, second = (
        int(match[name] or 0) for name in ("year", "month", "day", "hour", "minute", "second")
    )
    if year < 1:
        raise InvalidText("year 0000 does not exist")
    if not 1 <= month <= 12:
        raise InvalidText(f"month {month} is not in 1..12")
    if hour > 23 or minute > 59 or second > 59:
        raise InvalidText("the time of day is outside 00:00:00..23:59:59")
    micros = int(fraction[:_FRACTION_DIGITS].ljust(_FRACTION_DIGITS, "0"))
    try:
        wall = datetime(year, month, day, hour, minute, second, micros)
    except ValueError:
        raise InvalidText(f"day {day} does not exist in {year:04d}-{month:02d}") from None
    return WrittenDateTime(wall, _read_offset(match["offset"]))


def _read_offset(text: str | None) -> timedelta | None:
    if text is None:
        return None
    if text in ("Z", "z"):
        return timedelta(0)
    digits = text[1:].replace(":", "")
    hours, minutes, seconds = int(digits[0:2]), int(digits[2:4] or 0), int(digits[4:6] or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise InvalidText(f"offset {text} is outside -23:59..+23:59")
    offset = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return -offset if text[0] == "-" else offset
