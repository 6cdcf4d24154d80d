"""What the schedule asks for at an instant: run, wait, idle or exhausted (contract §3.3–§3.5).

Counting is arithmetic (index_at_or_before), never a walk over occurrences: a one-second schedule
started in 2012 has hundreds of millions of them by now.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .instants import format_instant, to_utc
from .series import Schedule

_SHOWN_SKIPS = 10
_TICK = timedelta(microseconds=1)  # the resolution of datetime, so "strictly before t" = "<= t - tick"
_END_OF_TIME = datetime.max.replace(tzinfo=UTC)


class Verdict(enum.Enum):
    RUN = "Run"
    WAIT = "Wait"
    IDLE = "Idle"
    EXHAUSTED = "Exhausted"


@dataclass(frozen=True)
class ScheduleDecision:
    verdict: Verdict
    run_index: int | None  # occurrence to start now (RUN), or the one waiting (WAIT)
    run_time: datetime | None
    consumed_through: int | None  # the cursor's lastIndex after this decision (None = nothing consumed ever)
    skipped: int  # occurrences counted as missed by this decision
    skipped_times: tuple[datetime, ...]  # the last (at most 10) of them
    silently_consumed: int  # occurrences before the schedule took effect, consumed without counting
    wake_at: datetime | None  # when to ask again; None = never
    message: str


def decide_schedule(
    schedule: Schedule,
    *,
    last_index: int | None,
    effective_from: datetime,
    now: datetime,
    epsilon: timedelta,
    active_runs: int,
    concurrent: bool,
    catch_up_before_effective: bool = True,
) -> ScheduleDecision:
    """Decide for the anchored ``schedule`` whose occurrences through ``last_index`` are consumed.

    Occurrences before ``effective_from`` were never missed: consumed without counting, except that
    the last of them is live (runs, waits or counts as skipped like any later one) when
    ``catch_up_before_effective`` and the schedule took effect within its epsilon. Of the live due
    occurrences only the most recent may run, if now <= t + epsilon; the older ones are skipped.
    """
    now = to_utc(now)
    effective_from = to_utc(effective_from)
    if epsilon < timedelta(0):
        raise ValueError(f"epsilon {epsilon} is negative")
    if last_index is not None and last_index < 0:
        raise ValueError(f"last_index {last_index} is negative")
    first = 0 if last_index is None else last_index + 1

    last_due = schedule.index_at_or_before(now)
    if last_due is None or last_due < first:
        return _settle(schedule, now, first=first, consumed_through=last_index, silently=0, skipped=None)

    before = _last_index_before(schedule, effective_from)
    live_from = 0 if before is None else before + 1
    if (
        before is not None
        and catch_up_before_effective
        and effective_from <= _plus(schedule.occurrence(before), epsilon)
    ):
        live_from = before
    live_from = max(live_from, first)
    silently = min(live_from, last_due + 1) - first
    if live_from > last_due:
        return _settle(schedule, now, first=first, consumed_through=last_due, silently=silently, skipped=None)

    candidate = last_due
    t = schedule.occurrence(candidate)
    window_end = _plus(t, epsilon)
    if now > window_end:
        skipped = range(live_from, candidate + 1)
        return _settle(
            schedule, now, first=first, consumed_through=candidate, silently=silently, skipped=skipped
        )

    older = range(live_from, candidate)
    following = schedule.next_after(now, candidate + 1)
    if not concurrent and active_runs > 0:
        # Not consumed: the occurrence waits for the active run until its window ends. Never wake
        # at `now` itself, so that a caller sleeping until wake_at always makes progress.
        wake = max(window_end, now + _TICK)
        if following is not None:
            wake = min(wake, following[1])
        return ScheduleDecision(
            verdict=Verdict.WAIT,
            run_index=candidate,
            run_time=t,
            consumed_through=candidate - 1 if candidate > 0 else None,
            skipped=len(older),
            skipped_times=_times(schedule, older),
            silently_consumed=silently,
            wake_at=wake,
            message=f"occurrence {candidate} at {format_instant(t)} waits for the active run until "
            f"{format_instant(window_end)}" + _skip_note(len(older)),
        )
    return ScheduleDecision(
        verdict=Verdict.RUN,
        run_index=candidate,
        run_time=t,
        consumed_through=candidate,
        skipped=len(older),
        skipped_times=_times(schedule, older),
        silently_consumed=silently,
        wake_at=None if following is None else following[1],
        message=f"occurrence {candidate} at {format_instant(t)} runs" + _skip_note(len(older)),
    )


def _settle(
    schedule: Schedule,
    now: datetime,
    *,
    first: int,
    consumed_through: int | None,
    silently: int,
    skipped: range | None,
) -> ScheduleDecision:
    """Nothing runs now: idle until the next occurrence, or exhausted when none remains."""
    skipped = skipped or range(0)
    following = schedule.next_after(now, 0 if consumed_through is None else consumed_through + 1)
    if following is None:
        verdict, wake_at = Verdict.EXHAUSTED, None
        message = _exhausted_message(schedule, everything_now=first == 0 and len(skipped) + silently > 0)
    else:
        verdict, wake_at = Verdict.IDLE, following[1]
        message = f"next occurrence {following[0]} at {format_instant(following[1])}"
    return ScheduleDecision(
        verdict=verdict,
        run_index=None,
        run_time=None,
        consumed_through=consumed_through,
        skipped=len(skipped),
        skipped_times=_times(schedule, skipped),
        silently_consumed=silently,
        wake_at=wake_at,
        message=message + _skip_note(len(skipped)),
    )


def _exhausted_message(schedule: Schedule, *, everything_now: bool) -> str:
    n = schedule.occurrence_count()
    if n is None:
        return "no occurrence remains before the year 10000"
    if n == 0:
        return "R0: the schedule has no occurrences"
    if everything_now:
        return "its only occurrence is in the past" if n == 1 else f"all {n} occurrences are in the past"
    return "its only occurrence is used" if n == 1 else f"all {n} occurrences are used"


def _skip_note(skipped: int) -> str:
    if not skipped:
        return ""
    return f"; {skipped} missed occurrence{'s' if skipped > 1 else ''} skipped"


def _times(schedule: Schedule, indices: range) -> tuple[datetime, ...]:
    return tuple(schedule.occurrence(k) for k in indices[-_SHOWN_SKIPS:])


def _last_index_before(schedule: Schedule, instant: datetime) -> int | None:
    """The last occurrence strictly before ``instant``."""
    try:
        return schedule.index_at_or_before(instant - _TICK)
    except OverflowError:
        return None


def _plus(t: datetime, span: timedelta) -> datetime:
    try:
        return t + span
    except OverflowError:
        return _END_OF_TIME
