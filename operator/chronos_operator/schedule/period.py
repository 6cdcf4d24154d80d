"""ISO 8601 durations (``PT2S``, ``P1M``, ``P1Y2M3DT4H5M6S``, ``P2W``), kept in calendar and exact parts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from .errors import InvalidText, ScheduleError, quote

_SECONDS_PER_DAY = 86_400
_DAYS_PER_YEAR = 365.2425
_DAYS_PER_MONTH = _DAYS_PER_YEAR / 12  # 30.436875
_MICROS = Decimal(1_000_000)

# Caps keep every later calendar computation inside datetime's range (years 1..9999): a longer
# period could never produce a second occurrence anyway, and isodate lets such values through.
_MAX_YEARS = 9_999
_MAX_MONTHS = _MAX_YEARS * 12
_MAX_DAYS = 3_652_059  # days between 0001-01-01 and 9999-12-31
_MAX_SECONDS = Decimal(_MAX_DAYS * _SECONDS_PER_DAY)

_NUMBER = r"[0-9]+(?:[.,][0-9]+)?"
# Our own strict grammar (isodate accepts signs, a trailing newline and more): designators in
# ISO order, each at most once, no sign, no whitespace. Designators are case-insensitive because
# Joda, which Chronos used, parses them so.
_DURATION = re.compile(
    rf"""
    P
    (?:(?P<years>{_NUMBER})Y)?
    (?:(?P<months>{_NUMBER})M)?
    (?:(?P<weeks>{_NUMBER})W)?
    (?:(?P<days>{_NUMBER})D)?
    (?P<time>T
        (?:(?P<hours>{_NUMBER})H)?
        (?:(?P<minutes>{_NUMBER})M)?
        (?:(?P<seconds>{_NUMBER})S)?
    )?
    """,
    re.VERBOSE | re.IGNORECASE | re.ASCII,
)
_PARTS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")
_FRACTIONAL_PARTS = frozenset({"hours", "minutes", "seconds"})
_SECONDS_PER = {"hours": 3_600, "minutes": 60, "seconds": 1}


@dataclass(frozen=True)
class Period:
    """An ISO 8601 duration. Weeks are folded into days; hours, minutes and seconds into ``seconds``."""

    years: int = 0
    months: int = 0
    days: int = 0
    seconds: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if min(self.years, self.months, self.days) < 0 or self.seconds < 0:
            raise ValueError(f"a period has no negative parts: {self!r}")

    def is_zero(self) -> bool:
        return self.years == 0 and self.months == 0 and self.days == 0 and self.seconds == 0

    def has_calendar_part(self) -> bool:
        """True when years, months or days are set: those keep wall-clock time, not elapsed time."""
        return self.years != 0 or self.months != 0 or self.days != 0

    def approx_seconds(self) -> float:
        """Average length, for estimates only (a month is 30.436875 days, a year 365.2425 days)."""
        days = self.years * _DAYS_PER_YEAR + self.months * _DAYS_PER_MONTH + self.days
        return days * _SECONDS_PER_DAY + float(self.seconds)

    def exact_microseconds(self) -> int:
        """The exact (hours, minutes, seconds) part in whole microseconds."""
        return int(self.seconds * _MICROS)

    def to_timedelta(self) -> timedelta:
        """Exact length, a day counting as 24 h (for epsilon). ValueError when years or months are set."""
        if self.years or self.months:
            raise ValueError(f"{format_duration(self)} has years or months, which have no fixed length")
        return timedelta(days=self.days, microseconds=self.exact_microseconds())


def parse_duration(text: str, field: str = "epsilon") -> Period:
    """Parse an ISO 8601 duration; a ScheduleError naming ``field`` on bad input."""
    if not isinstance(text, str):
        raise ScheduleError(f"{field} must be an ISO 8601 duration string, not {type(text).__name__}", field)
    try:
        return read_period(text)
    except InvalidText as bad:
        raise ScheduleError(f"{field} {quote(text)} {bad.reason}", field) from None


def read_period(text: str) -> Period:
    """Parse a duration; InvalidText with the reason (without context) on bad input."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise InvalidText("is not an ISO 8601 duration (for example PT2S, PT1H30M, P1D, P1M or P2W)")
    if match["time"] is not None and match["time"].upper() == "T":
        raise InvalidText("has a 'T' that is not followed by hours, minutes or seconds")
    given = [name for name in _PARTS if match[name] is not None]
    values = {name: Decimal(match[name].replace(",", ".")) for name in given}
    for name in given[:-1]:
        if values[name] != values[name].to_integral_value():
            raise InvalidText("has a fraction in a part other than the last one")
    for name in given:
        if name not in _FRACTIONAL_PARTS and values[name] != values[name].to_integral_value():
            raise InvalidText(f"has a fraction in {name}; only hours, minutes and seconds may have one")

    def whole(name: str, cap: int) -> int:
        value = values.get(name, Decimal(0))
        if value > cap:
            raise InvalidText(f"is too long: more than {cap} {name}")
        return int(value)

    years = whole("years", _MAX_YEARS)
    months = whole("months", _MAX_MONTHS)
    days = whole("weeks", _MAX_DAYS // 7) * 7 + whole("days", _MAX_DAYS)
    if days > _MAX_DAYS:
        raise InvalidText(f"is too long: more than {_MAX_DAYS} days")
    seconds = Decimal(0)
    for name, factor in _SECONDS_PER.items():
        value = values.get(name, Decimal(0))
        # Compare before multiplying so that a huge digit string never reaches Decimal rounding.
        if value > _MAX_SECONDS:
            raise InvalidText("is too long: more than 10000 years")
        seconds += value * factor
    if seconds > _MAX_SECONDS:
        raise InvalidText("is too long: more than 10000 years")
    if seconds * _MICROS != (seconds * _MICROS).to_integral_value():
        raise InvalidText("is more precise than a microsecond")
    return Period(years=years, months=months, days=days, seconds=seconds)


def format_duration(p: Period) -> str:
    """Canonical ISO 8601 text, e.g. ``PT2S``, ``P1M``, ``P1Y2M3DT4H5M6S``; zero is ``PT0S``."""
    if p.is_zero():
        return "PT0S"
    date = "".join(
        f"{value}{unit}" for value, unit in ((p.years, "Y"), (p.months, "M"), (p.days, "D")) if value
    )
    hours, rest = divmod(p.seconds, 3_600)
    minutes, seconds = divmod(rest, 60)
    time = "".join(
        f"{_decimal_text(value)}{unit}"
        for value, unit in ((hours, "H"), (minutes, "M"), (seconds, "S"))
        if value
    )
    return f"P{date}" + (f"T{time}" if time else "")


def _decimal_text(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")
