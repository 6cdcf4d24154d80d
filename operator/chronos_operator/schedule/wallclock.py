"""Calendar arithmetic on wall-clock fields, and wall-clock time to UTC in a zone."""

from __future__ import annotations

from calendar import monthrange
from datetime import MAXYEAR, MINYEAR, UTC, datetime, timedelta, tzinfo


def shift_wall(wall: datetime, *, years: int, months: int, days: int) -> datetime:
    """Add calendar parts to naive wall-clock fields: years and months first, the day clamped to the
    month's end (Jan 31 + 1 month = Feb 28/29), then days. OverflowError beyond year 9999."""
    months_since_year_0 = wall.month - 1 + months + 12 * years
    year = wall.year + months_since_year_0 // 12
    if not MINYEAR <= year <= MAXYEAR:
        raise OverflowError(f"year {year} is out of range")
    month = months_since_year_0 % 12 + 1
    day = min(wall.day, monthrange(year, month)[1])
    return wall.replace(year=year, month=month, day=day) + timedelta(days=days)


def wall_to_utc(wall: datetime, zone: tzinfo) -> datetime:
    """The instant of a naive wall-clock time in ``zone``.

    PEP 495's fold=0 gives exactly the contract's rules: a wall time in a gap is read with the offset
    before the transition, which moves it forward by the gap; an ambiguous one gets the earlier offset.
    """
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
