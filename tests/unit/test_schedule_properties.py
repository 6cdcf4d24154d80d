"""Property tests for the schedule engine: robustness, ordering, round trips, and brute-force agreement."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chronos_operator.schedule import (
    Period,
    Schedule,
    ScheduleDecision,
    ScheduleError,
    Verdict,
    decide_schedule,
    format_duration,
    format_schedule,
    parse_duration,
    parse_schedule,
    resolve_zone,
)

FAST = settings(max_examples=200, deadline=None)
ANCHOR = datetime(2024, 6, 1, 12, tzinfo=UTC)
ZONES = [
    None,
    "",
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "PST",
    "BST",
    "EST",
    "Australia/Lord_Howe",
    "IST",
]
FRAGMENTS = [
    "R", "R0", "R1", "R5", "/", "//", "P", "T", "1", "2", "0", "5", ".", ",", "-", "+", ":",
    "Y", "M", "W", "D", "H", "S", "Z", "2012-01-31", "T05:52:00", "1969-12-31", "9999-12-31",
    "+25:00", "-04:00", "PT1S", "P1M", "PT0S", "PT0.5S", "99999999999999999999", " ", "\n", "\x00", "２",
]  # fmt: skip


def _start_texts() -> st.SearchStrategy[str]:
    moments = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 12, 31))
    offsets = st.sampled_from(["", "Z", "+00:00", "-04:00", "+05:30", "+0100", "-11"])

    def written(moment: datetime, offset: str, shape: int) -> str:
        if shape == 0:
            return moment.date().isoformat()
        text = moment.isoformat(timespec="seconds" if shape == 1 else "microseconds")
        return text + offset

    return st.one_of(st.just(""), st.builds(written, moments, offsets, st.integers(0, 2)))


def _period_texts() -> st.SearchStrategy[str]:
    def text(
        *, years: int, months: int, weeks: int, days: int, hours: int, minutes: int, seconds: str
    ) -> str:
        date = "".join(f"{v}{u}" for v, u in ((years, "Y"), (months, "M"), (weeks, "W"), (days, "D")) if v)
        time = "".join(f"{v}{u}" for v, u in ((hours, "H"), (minutes, "M"), (seconds, "S")) if v and v != "0")
        return f"P{date}" + (f"T{time}" if time else "")

    return st.builds(
        text,
        years=st.integers(0, 2),
        months=st.integers(0, 3),
        weeks=st.integers(0, 2),
        days=st.integers(0, 40),
        hours=st.integers(0, 50),
        minutes=st.integers(0, 100),
        seconds=st.one_of(st.integers(0, 100).map(str), st.decimals(1, 100, places=3).map(str)),
    )


SCHEDULE_TEXTS = st.builds(
    lambda reps, start, period: f"{reps}/{start}/{period}",
    st.one_of(st.just("R"), st.integers(0, 10**6).map(lambda n: f"R{n}")),
    _start_texts(),
    _period_texts(),
)


def _parsed(text: str, zone: str | None) -> Schedule:
    try:
        schedule = parse_schedule(text, zone)
    except ScheduleError:
        assume(False)
        raise
    return schedule.anchored(ANCHOR)


def _occurrences(schedule: Schedule, ks: range) -> list[datetime | None]:
    found: list[datetime | None] = []
    for k in ks:
        try:
            found.append(schedule.occurrence(k))
        except IndexError:
            found.append(None)
    return found


@FAST
@given(
    st.one_of(st.text(), st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join), SCHEDULE_TEXTS),
    st.one_of(st.sampled_from(ZONES), st.text(max_size=20)),
)
def test_any_text_parses_or_raises_schedule_error(text: str, zone: str | None) -> None:
    try:
        schedule = parse_schedule(text, zone)
    except ScheduleError as error:
        assert error.field in ("schedule", "scheduleTimeZone")
        assert str(error)
        return
    anchored = schedule.anchored(ANCHOR)
    anchored.next_after(ANCHOR)
    anchored.index_at_or_before(ANCHOR)
    format_schedule(anchored)


@FAST
@given(st.one_of(st.text(), st.lists(st.sampled_from(FRAGMENTS), max_size=10).map("".join), _period_texts()))
def test_any_text_is_a_duration_or_raises_schedule_error(text: str) -> None:
    try:
        period = parse_duration(text)
    except ScheduleError as error:
        assert error.field == "epsilon"
        return
    assert parse_duration(format_duration(period)) == period


@FAST
@given(SCHEDULE_TEXTS, st.sampled_from(ZONES), st.integers(0, 10**6))
def test_occurrences_strictly_increase(text: str, zone: str | None, far: int) -> None:
    schedule = _parsed(text, zone)
    count = schedule.occurrence_count()
    first_ones = range(25 if count is None else min(count, 25))
    times = [t for t in _occurrences(schedule, first_ones) if t is not None]
    assert all(a < b for a, b in itertools.pairwise(times))
    far_pair = [t for t in _occurrences(schedule, range(far, far + 2)) if t is not None]
    if len(far_pair) == 2:
        assert far_pair[0] < far_pair[1]


@FAST
@given(SCHEDULE_TEXTS, st.sampled_from(ZONES))
def test_formatted_schedule_parses_back_to_the_same_occurrences(text: str, zone: str | None) -> None:
    try:
        schedule = parse_schedule(text, zone)
    except ScheduleError:
        assume(False)
        return
    again = parse_schedule(format_schedule(schedule), zone)
    assert (again.repetitions, again.period, again.zone_name) == (
        schedule.repetitions,
        schedule.period,
        schedule.zone_name,
    )
    assert (again.start is None) == (schedule.start is None)
    ks = range(6)
    assert _occurrences(again.anchored(ANCHOR), ks) == _occurrences(schedule.anchored(ANCHOR), ks)


@FAST
@given(SCHEDULE_TEXTS, st.sampled_from(ZONES), st.floats(-2, 30))
def test_index_at_or_before_agrees_with_a_scan(text: str, zone: str | None, periods: float) -> None:
    schedule = _parsed(text, zone)
    assert schedule.start is not None
    span = schedule.period.approx_seconds() or 3600.0
    instant = schedule.start.astimezone(UTC) + timedelta(seconds=span * periods)
    count = schedule.occurrence_count()
    scanned = None
    k = 0
    while count is None or k < count:
        try:
            t = schedule.occurrence(k)
        except IndexError:
            break
        if t > instant:
            break
        scanned = k
        k += 1
    assert schedule.index_at_or_before(instant) == scanned
    following = schedule.next_after(instant)
    if following is not None:
        assert following[1] > instant
        assert following[0] == (0 if scanned is None else scanned + 1)


# --- decide_schedule against a reference that walks the occurrences one by one -----------------------


def _reference(
    schedule: Schedule,
    *,
    last_index: int | None,
    effective_from: datetime,
    now: datetime,
    epsilon: timedelta,
    active_runs: int,
    concurrent: bool,
    catch_up: bool,
) -> tuple[Verdict, int | None, int | None, int, int, datetime | None]:
    count = schedule.occurrence_count()
    limit = 200 if count is None else count
    times = _occurrences(schedule, range(limit))
    known = [(k, t) for k, t in enumerate(times) if t is not None]
    before = [k for k, t in known if t < effective_from]
    last_before = before[-1] if before else None

    def live(k: int, t: datetime) -> bool:
        if t >= effective_from:
            return True
        return k == last_before and catch_up and effective_from <= t + epsilon

    first = 0 if last_index is None else last_index + 1
    due = [(k, t) for k, t in known if k >= first and t <= now]
    silent = [k for k, t in due if not live(k, t)]
    live_due = [(k, t) for k, t in due if live(k, t)]
    upcoming = [(k, t) for k, t in known if t > now and k >= first]
    next_time = upcoming[0][1] if upcoming else None
    if live_due:
        c, t = live_due[-1]
        if now <= t + epsilon:
            if not concurrent and active_runs:
                wake = max(t + epsilon, now + timedelta(microseconds=1))
                wake = min(wake, next_time) if next_time else wake
                return Verdict.WAIT, c, (c - 1 if c else None), len(live_due) - 1, len(silent), wake
            return Verdict.RUN, c, c, len(live_due) - 1, len(silent), next_time
        skipped = len(live_due)
    else:
        skipped = 0
    consumed = due[-1][0] if due else last_index
    verdict = Verdict.IDLE if next_time is not None else Verdict.EXHAUSTED
    return verdict, None, consumed, skipped, len(silent), next_time


def _summary(d: ScheduleDecision) -> tuple[Verdict, int | None, int | None, int, int, datetime | None]:
    return d.verdict, d.run_index, d.consumed_through, d.skipped, d.silently_consumed, d.wake_at


@FAST
@given(
    start_seconds=st.integers(0, 10 * 86400),
    period=st.one_of(st.integers(1, 600).map(lambda s: Period(seconds=Decimal(s))), st.just(Period(days=1))),
    repetitions=st.one_of(st.none(), st.integers(0, 40)),
    zone=st.sampled_from([None, "America/New_York", "Europe/Berlin"]),
    now_periods=st.floats(-1, 40),
    effective_periods=st.floats(-3, 40),
    epsilon_periods=st.floats(0, 3),
    last_offset=st.one_of(st.none(), st.integers(-5, 3)),
    active_runs=st.integers(0, 1),
    concurrent=st.booleans(),
    catch_up=st.booleans(),
)
def test_decide_schedule_agrees_with_a_walk_over_the_occurrences(
    *,
    start_seconds: int,
    period: Period,
    repetitions: int | None,
    zone: str | None,
    now_periods: float,
    effective_periods: float,
    epsilon_periods: float,
    last_offset: int | None,
    active_runs: int,
    concurrent: bool,
    catch_up: bool,
) -> None:
    start = datetime(2024, 3, 5, tzinfo=UTC) + timedelta(seconds=start_seconds)
    tz = None if zone is None else resolve_zone(zone)
    schedule = Schedule(repetitions, start if tz is None else start.astimezone(tz), period, tz, zone)
    span = period.approx_seconds()
    now = start + timedelta(seconds=span * now_periods)
    effective_from = min(now, start + timedelta(seconds=span * effective_periods))
    epsilon = timedelta(seconds=round(span * epsilon_periods))
    last_due = schedule.index_at_or_before(now)
    last_index = None
    if last_offset is not None and last_due is not None:
        last_index = last_due + last_offset
        assume(last_index >= 0)
    decision = decide_schedule(
        schedule,
        last_index=last_index,
        effective_from=effective_from,
        now=now,
        epsilon=epsilon,
        active_runs=active_runs,
        concurrent=concurrent,
        catch_up_before_effective=catch_up,
    )
    expected = _reference(
        schedule,
        last_index=last_index,
        effective_from=effective_from,
        now=now,
        epsilon=epsilon,
        active_runs=active_runs,
        concurrent=concurrent,
        catch_up=catch_up,
    )
    assert _summary(decision) == expected
    assert decision.wake_at is None or decision.wake_at > now
    assert len(decision.skipped_times) == min(decision.skipped, 10)
    assert all(t <= now for t in decision.skipped_times)
