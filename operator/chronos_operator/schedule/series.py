"""A parsed repeating interval and its occurrences: occurrence k is start + k × period."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone, tzinfo

from .errors import ScheduleError
from .instants import to_utc
from .period import Period
from .wallclock import shift_wall, wall_to_utc


@dataclass(frozen=True)
class Schedule:
    """``R[n]/[start]/period`` with its zone.

    Occurrences past year 9999 do not exist: the series ends there, as if its repetitions ran out.
    """

    repetitions: int | None  # None = forever ("R"); 0 for "R0"
    start: datetime | None  # aware; None = empty start (the caller supplies the anchor)
    period: Period
    zone: tzinfo | None = None  # None = the fixed offset written in start
    zone_name: str | None = None  # as given, e.g. "PST"

    def anchored(self, anchor: datetime) -> Schedule:
        """Fill an empty start with ``anchor`` (an aware instant); no-op when the start is set."""
        if self.start is not None:
            return self
        instant = to_utc(anchor)
        return replace(self, start=instant.astimezone(self.zone) if self.zone is not None else instant)

    def occurrence(self, k: int) -> datetime:
        """Occurrence ``k`` (0-based) in UTC. IndexError beyond the repetitions (or year 9999)."""
        limit = self.occurrence_count()
        if k < 0 or (limit is not None and k >= limit):
            raise IndexError(f"occurrence {k} is outside the schedule's {limit} occurrences")
        t = self._occurrence_or_none(k)
        if t is None:
            raise IndexError(f"occurrence {k} is after year 9999")
        return t

    def index_at_or_before(self, instant: datetime) -> int | None:
        """The largest k with occurrence(k) <= instant, or None. O(log) in k, never a scan."""
        instant = to_utc(instant)
        start = self._start_utc()
        limit = self.occurrence_count()
        if limit == 0 or start > instant:
            return None
        if limit == 1:
            return 0

        def at_or_before(k: int) -> bool:
            if limit is not None and k >= limit:
                return False
            t = self._occurrence_or_none(k)
            return t is not None and t <= instant

        # The average period length puts the estimate within a step or two of the answer
        # (months and years differ from their average by days, DST by an hour); the search
        # below corrects it, galloping so that even a poor estimate costs only O(log k).
        estimate = int((instant - start).total_seconds() // self.period.approx_seconds())
        if limit is not None:
            estimate = min(estimate, limit - 1)
        return _last_true(at_or_before, max(estimate, 0))

    def next_after(self, instant: datetime, from_index: int = 0) -> tuple[int, datetime] | None:
        """The first k >= from_index whose occurrence is strictly after ``instant``, with that occurrence;
        None when the repetitions run out."""
        if from_index < 0:
            raise ValueError(f"from_index {from_index} is negative")
        last = self.index_at_or_before(instant)
        k = max(from_index, 0 if last is None else last + 1)
        limit = self.occurrence_count()
        if limit is not None and k >= limit:
            return None
        t = self._occurrence_or_none(k)
        return None if t is None else (k, t)

    def occurrence_count(self) -> int | None:
        """How many occurrences exist (None = forever). A zero period repeats one instant: at most one."""
        if self.period.is_zero():
            return 1 if self.repetitions is None else min(self.repetitions, 1)
        return self.repetitions

    def _start_utc(self) -> datetime:
        if self.start is None:
            raise ScheduleError("the schedule has an empty start: anchor it first", "schedule")
        return to_utc(self.start)

    def _occurrence_or_none(self, k: int) -> datetime | None:
        """Occurrence k, or None past datetime's range. Computed from the start each time: no drift."""
        start = self._start_utc()
        assert self.start is not None
        period = self.period
        try:
            if k == 0 or not period.has_calendar_part():
                # The wall-clock time is unchanged: keep the start's instant (and its fold).
                base = start
            else:
                zone = (
                    self.zone if self.zone is not None else timezone(self.start.utcoffset() or timedelta(0))
                )
                wall = (self.start if self.start.tzinfo is zone else self.start.astimezone(zone)).replace(
                    tzinfo=None
                )
                shifted = shift_wall(
                    wall, years=k * period.years, months=k * period.months, days=k * period.days
                )
                base = wall_to_utc(shifted, zone)
            # Time parts are exact elapsed time, so they are added in UTC, after the calendar parts.
            return base + timedelta(microseconds=k * period.exact_microseconds())
        except (OverflowError, ValueError):
            return None


def _last_true(holds: Callable[[int], bool], guess: int) -> int:
    """The largest k with holds(k), for a predicate true at 0 and true-then-false in k."""
    step = 1
    if holds(guess):
        low, high = guess, guess + 1
        while holds(high):
            low, step = high, step * 2
            high = low + step
    else:
        high, low = guess, max(guess - 1, 0)
        while not holds(low):
            high, step = low, step * 2
            low = max(high - step, 0)
    while high - low > 1:
        middle = (low + high) // 2
        if holds(middle):
            low = middle
        else:
            high = middle
    return low
