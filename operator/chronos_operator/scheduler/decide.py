"""decide(snapshot, now) -> Plan: everything the operator should do for one ChronosJob.

Pure: no I/O and no clock. The loop hands the plan to the writer, which creates the runs first and
writes the new status after, so a crash in between leaves a Job that the next decision adopts
(its name is deterministic) instead of a lost or doubled run.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chronos_operator import labels
from chronos_operator.model.spec import display_schedule
from chronos_operator.schedule import (
    Schedule,
    ScheduleError,
    Verdict,
    decide_schedule,
    format_instant,
    parse_duration,
    parse_instant,
    parse_schedule,
)
from chronos_operator.scheduler.runs import Run
from chronos_operator.settings import Settings

RUN_ONCE = "R1//PT24H"  # Chronos' meaning of a job with neither schedule nor parents: once, now
MAX_JOB_NAME = 63


@dataclass(frozen=True)
class JobSnapshot:
    """One ChronosJob as the view holds it: identity, parsed spec (or why it cannot be used),
    the operator's status, and its runs."""

    namespace: str
    name: str  # metadata.name
    uid: str
    generation: int
    created: datetime
    spec: Any  # ChronosJobSpec, or None when spec_error says why it cannot be used
    spec_error: str | None
    status: Mapping[str, Any]
    runs: tuple[Run, ...]
    exit_codes: Mapping[str, int | None] = field(default_factory=dict)
    policy_error: str | None = None  # set by the view when a spec needs what the settings forbid
    annotations: Mapping[str, str] = field(default_factory=dict)  # triggers (contract §6)
    # Dependency jobs: each parent's Chronos name -> its state, None when no such job exists.
    parents: Mapping[str, ParentState | None] = field(default_factory=dict)
    in_cycle: bool = False


@dataclass(frozen=True)
class ParentState:
    """What a child needs of a parent: its last success and last error (RFC 3339), and whether
    its failures release children (softError)."""

    last_success: str | None
    last_error: str | None
    soft_error: bool


@dataclass(frozen=True)
class RunRequest:
    """A run to create as a Job."""

    job_name: str
    trigger: str  # schedule | manual | dependency
    scheduled: datetime
    task_id: str
    arguments: str = ""


@dataclass(frozen=True)
class EventRequest:
    type: str  # Normal | Warning
    reason: str
    message: str


@dataclass
class Plan:
    status: dict[str, Any]
    creates: list[RunRequest] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    mark_recorded: list[str] = field(default_factory=list)
    fetch_exit_codes: list[str] = field(default_factory=list)
    events: list[EventRequest] = field(default_factory=list)
    wake_at: datetime | None = None
    waiting: bool = False  # an occurrence waits for the active run to finish
    kills: list[str] = field(default_factory=list)  # active runs to kill
    expired: list[str] = field(default_factory=list)  # async runs past maxCompletionTime


def run_job_name(owner: str, suffix: str) -> str:
    """`<owner>-<suffix>`, shortened with a hash when over the Job name limit."""
    name = f"{owner}-{suffix}"
    if len(name) <= MAX_JOB_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{owner[: MAX_JOB_NAME - len(suffix) - 10]}-{digest}-{suffix}"[:MAX_JOB_NAME]


def task_id(due: datetime, attempt: int, chronos_name: str, arguments: str) -> str:
    """Chronos' task id: ct:<due epoch ms>:<attempt>:<name>:<arguments, without ';'>."""
    return f"ct:{int(due.timestamp() * 1000)}:{attempt}:{chronos_name}:{arguments.replace(';', '')}"


def _set_condition(
    status: dict[str, Any], kind: str, value: bool, reason: str, message: str, now: datetime, generation: int
) -> None:
    conditions: list[dict[str, Any]] = status.setdefault("conditions", [])
    text = "True" if value else "False"
    for cond in conditions:
        if cond.get("type") == kind:
            if cond.get("status") != text:
                cond["lastTransitionTime"] = format_instant(now)
            cond.update(status=text, reason=reason, message=message, observedGeneration=generation)
            return
    conditions.append(
        {
            "type": kind,
            "status": text,
            "reason": reason,
            "message": message,
            "lastTransitionTime": format_instant(now),
            "observedGeneration": generation,
        }
    )


def _condition_is(status: Mapping[str, Any], kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in status.get("conditions") or [])


def _later(a: str | None, b: str | None) -> bool:
    """Whether RFC 3339 time a is after b (absent = never)."""
    if not a:
        return False
    if not b:
        return True
    return parse_instant(a) > parse_instant(b)


def _spec_value(spec: Any, name: str, default: Any) -> Any:
    value = getattr(spec, name, default)
    return default if value is None else value


def _chronos_name(snap: JobSnapshot) -> str:
    return str(_spec_value(snap.spec, "name", "") or snap.name)


def record_finished_runs(snap: JobSnapshot, status: dict[str, Any], plan: Plan, history_size: int) -> None:
    """Counts each finished run once (contract §4): Succeeded and Failed move the counters,
    Killed does not. A run already in the history was counted before a crash; it is only marked."""
    history: list[dict[str, Any]] = status.setdefault("history", [])
    # Runs counted whose Job does not carry the recorded mark yet (the mark is written after the
    # status): kept apart from the history, which is capped and may drop them under load.
    # A name stays while its Job exists, marked or not: pruning it the moment the mark arrives cost
    # one more status write per run. It leaves with the Job (see _forget_deleted_runs).
    present = {r.name: r for r in snap.runs}
    pending = [n for n in status.get("recordedRuns") or [] if n in present]
    seen = {h.get("jobName") for h in history} | set(pending)
    finished = sorted(
        (r for r in snap.runs if r.outcome and not r.recorded),
        key=lambda r: r.finished or r.created or snap.created,
    )
    for run in finished:
        if run.name in seen:
            plan.mark_recorded.append(run.name)
            continue
        exit_code: int | None = 0 if run.outcome == "Succeeded" else None
        if run.reported_code is not None:
            exit_code = run.reported_code
        elif run.outcome == "Failed":
            if run.name not in snap.exit_codes:
                plan.fetch_exit_codes.append(run.name)
                continue  # recorded once the exit code is known (or known to be unknowable)
            exit_code = snap.exit_codes[run.name]
        when = format_instant(run.finished or run.created or snap.created)
        if run.outcome == "Succeeded":
            status["successCount"] = int(status.get("successCount", 0)) + 1
            status["errorsSinceLastSuccess"] = 0
            if _later(when, status.get("lastSuccess")):
                status["lastSuccess"] = when
        elif run.outcome == "Failed":
            status["errorCount"] = int(status.get("errorCount", 0)) + 1
            status["errorsSinceLastSuccess"] = int(status.get("errorsSinceLastSuccess", 0)) + 1
            if _later(when, status.get("lastError")):
                status["lastError"] = when
            detail = f"{run.reason}: {run.message}" if run.message else run.reason
            plan.events.append(
                EventRequest(
                    "Warning",
                    "RunFailed",
                    f"run {run.name} failed ({detail or 'failed'}; exit code {exit_code})",
                )
            )
        entry: dict[str, Any] = {
            "taskId": run.task_id,
            "jobName": run.name,
            "trigger": run.trigger,
            "outcome": run.outcome,
            "finishTime": when,
        }
        if run.scheduled:
            entry["scheduledTime"] = format_instant(run.scheduled)
        if run.started or run.created:
            entry["startTime"] = format_instant(run.started or run.created)  # type: ignore[arg-type]
        if exit_code is not None:
            entry["exitCode"] = exit_code
        if run.reason:
            entry["reason"] = run.reason
        if run.arguments:
            entry["arguments"] = run.arguments
        history.insert(0, entry)
        seen.add(run.name)
        pending.append(run.name)
        plan.mark_recorded.append(run.name)
    del history[history_size:]
    if pending:
        status["recordedRuns"] = pending
    else:
        status.pop("recordedRuns", None)


def _runs_to_delete(snap: JobSnapshot, recorded: set[str]) -> list[str]:
    """Finished Jobs beyond the history limits; their records stay in status.history."""
    keep_ok = int(_spec_value(snap.spec, "successfulJobsHistoryLimit", 3))
    keep_failed = int(_spec_value(snap.spec, "failedJobsHistoryLimit", 1))
    done = sorted(
        (r for r in snap.runs if r.outcome and (r.recorded or r.name in recorded)),
        key=lambda r: r.finished or r.created or snap.created,
        reverse=True,
    )
    ok = [r.name for r in done if r.outcome == "Succeeded"]
    bad = [r.name for r in done if r.outcome != "Succeeded"]
    return ok[keep_ok:] + bad[keep_failed:]


def _schedule_of(snap: JobSnapshot) -> tuple[str, str | None]:
    expression = _spec_value(snap.spec, "schedule", None) or RUN_ONCE
    zone = _spec_value(snap.spec, "scheduleTimeZone", None) or None
    return str(expression), zone


def _epsilon(snap: JobSnapshot, settings: Settings) -> timedelta:
    raw = _spec_value(snap.spec, "epsilon", None)
    if not raw:
        return settings.default_epsilon
    period = parse_duration(str(raw))
    # Calendar parts have no fixed length; an epsilon is a tolerance, so approximate is right.
    return timedelta(seconds=period.approx_seconds())


def _adopt_existing_runs(
    sched: Schedule, snap: JobSnapshot, last_index: int | None, effective_from: datetime
) -> int | None:
    """A scheduled run whose Job exists but whose cursor advance was never written (a crash
    between the two) counts as consumed, so it is neither run again nor counted as missed."""
    for run in snap.runs:
        if run.trigger != "schedule" or run.scheduled is None:
            continue
        if run.created is not None and run.created < effective_from - timedelta(seconds=1):
            continue
        k = sched.index_at_or_before(run.scheduled)
        if k is not None and sched.occurrence(k) == run.scheduled and (last_index is None or k > last_index):
            last_index = k
    return last_index


def plan_schedule(
    snap: JobSnapshot, status: dict[str, Any], plan: Plan, now: datetime, settings: Settings
) -> None:
    """The scheduled part of the decision (contract §3)."""
    expression, zone = _schedule_of(snap)
    key = f"{expression}|{zone or ''}"
    cursor: dict[str, Any] = dict(status.get("scheduleCursor") or {})
    disabled = bool(_spec_value(snap.spec, "disabled", False))
    if cursor.get("expression") != key:
        # A new or changed schedule restarts the repetition count; counters and history stay.
        # The first decision ever (no status yet) dates it from creation; a job that was decided
        # before without a cursor (Degraded, or a dependency job given a schedule) starts it now.
        first_time = not cursor and "observedGeneration" not in snap.status
        cursor = {
            "expression": key,
            "effectiveFrom": format_instant(snap.created if first_time else now),
            "catchUp": True,
        }
    if disabled:
        cursor["paused"] = True
        status["scheduleCursor"] = cursor
        status.pop("nextRunTime", None)
        return
    if cursor.pop("paused", False):
        # Re-enabled: resume at the first occurrence after now; what fell in the pause is not run.
        cursor["effectiveFrom"] = format_instant(now)
        cursor["catchUp"] = False

    sched = parse_schedule(expression, zone).anchored(snap.created)
    effective_from = parse_instant(cursor["effectiveFrom"])
    last_index = cursor.get("lastIndex")
    last_index = _adopt_existing_runs(sched, snap, last_index, effective_from)
    active = [r for r in snap.runs if r.active]
    decision = decide_schedule(
        sched,
        last_index=last_index,
        effective_from=effective_from,
        now=now,
        epsilon=_epsilon(snap, settings),
        active_runs=len(active),
        concurrent=bool(_spec_value(snap.spec, "concurrent", False)),
        catch_up_before_effective=bool(cursor.get("catchUp", True)),
    )
    if decision.consumed_through is not None:
        cursor["lastIndex"] = decision.consumed_through
    status["scheduleCursor"] = cursor
    if decision.skipped:
        status["skippedCount"] = int(status.get("skippedCount", 0)) + decision.skipped
        shown = ", ".join(format_instant(t) for t in decision.skipped_times)
        plan.events.append(
            EventRequest(
                "Warning",
                "MissedSchedule",
                f"{decision.skipped} occurrence(s) missed their epsilon window and were skipped "
                f"(latest: {shown}; {decision.message})",
            )
        )
        latest = decision.skipped_times[-1] if decision.skipped_times else now
        history: list[dict[str, Any]] = status.setdefault("history", [])
        history.insert(
            0,
            {
                "trigger": "schedule",
                "outcome": "Skipped",
                "scheduledTime": format_instant(latest),
                "reason": f"MissedSchedule: {decision.skipped} occurrence(s) skipped",
            },
        )
        del history[settings.history_size :]
    if decision.verdict is Verdict.RUN and decision.run_time is not None:
        due = decision.run_time
        chronos_name = _chronos_name(snap)
        arguments = " ".join(_spec_value(snap.spec, "arguments", []) or [])
        plan.creates.append(
            RunRequest(
                job_name=run_job_name(snap.name, str(int(due.timestamp()))),
                trigger="schedule",
                scheduled=due,
                task_id=task_id(due, 0, chronos_name, arguments),
                arguments=arguments,
            )
        )
    index = cursor.get("lastIndex")
    upcoming = sched.next_after(now, from_index=0 if index is None else index + 1)
    if decision.verdict is Verdict.WAIT and decision.run_time is not None:
        plan.waiting = True
        status["nextRunTime"] = format_instant(decision.run_time)
    elif upcoming is not None:
        status["nextRunTime"] = format_instant(upcoming[1])
    else:
        status.pop("nextRunTime", None)
    count = sched.repetitions
    if count is not None:
        status["remainingRuns"] = max(0, count - (0 if index is None else index + 1))
    else:
        status.pop("remainingRuns", None)
    exhausted = upcoming is None and decision.verdict is not Verdict.WAIT and not active
    if decision.verdict is Verdict.RUN:
        exhausted = False
    was = _condition_is(status, "Exhausted")
    message = decision.message or "all occurrences of the schedule are used"
    if was and exhausted:
        # Keep the first explanation ("all 10 occurrences are in the past"); later decisions
        # only see a used-up cursor.
        message = next(
            c.get("message", message) for c in status["conditions"] if c.get("type") == "Exhausted"
        )
    _set_condition(
        status,
        "Exhausted",
        exhausted,
        "RepetitionsUsed" if exhausted else "RepetitionsLeft",
        message if exhausted else "",
        now,
        snap.generation,
    )
    if exhausted and not was:
        plan.events.append(EventRequest("Normal", "Exhausted", message))
    plan.wake_at = decision.wake_at


def _token_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def plan_triggers(snap: JobSnapshot, status: dict[str, Any], plan: Plan, now: datetime) -> None:
    """Run now, mark success and kill, from annotations (contract §6). Each distinct token acts
    once: the last one handled is kept in status.triggers, which survives restarts."""
    done: dict[str, Any] = dict(status.get("triggers") or {})
    disabled = bool(_spec_value(snap.spec, "disabled", False))
    chronos_name = _chronos_name(snap)
    for kind, annotation in (
        ("runNow", labels.RUN_NOW),
        ("markSuccess", labels.MARK_SUCCESS),
        ("kill", labels.KILL),
    ):
        token = snap.annotations.get(annotation)
        if not token or done.get(kind) == token:
            continue
        done[kind] = token
        if disabled:
            plan.events.append(
                EventRequest(
                    "Warning", "TriggerRefused", f"{annotation}={token} refused: the job is disabled"
                )
            )
            continue
        if kind == "runNow":
            arguments = snap.annotations.get(labels.RUN_ARGUMENTS)
            if arguments is None:
                arguments = " ".join(_spec_value(snap.spec, "arguments", []) or [])
            plan.creates.append(
                RunRequest(
                    job_name=run_job_name(snap.name, f"m-{_token_hash(token)}"),
                    trigger="manual",
                    scheduled=now,
                    task_id=task_id(now, 0, chronos_name, arguments),
                    arguments=arguments,
                )
            )
            plan.events.append(EventRequest("Normal", "ManualRun", f"run requested ({annotation}={token})"))
        elif kind == "markSuccess":
            record_marked_success(status, now)
            plan.events.append(
                EventRequest("Normal", "MarkedSuccess", f"success counted ({annotation}={token})")
            )
        else:
            plan.kills.extend(r.name for r in snap.runs if r.active)
            plan.events.append(
                EventRequest(
                    "Normal", "Killed", f"killing {len(plan.kills)} active run(s) ({annotation}={token})"
                )
            )
    if done:
        status["triggers"] = done


def record_marked_success(status: dict[str, Any], now: datetime) -> None:
    """A success counted without a run (Chronos' mark-success): it releases the children."""
    when = format_instant(now)
    status["successCount"] = int(status.get("successCount", 0)) + 1
    status["errorsSinceLastSuccess"] = 0
    status["lastSuccess"] = when
    history: list[dict[str, Any]] = status.setdefault("history", [])
    history.insert(
        0, {"trigger": "manual", "outcome": "Succeeded", "finishTime": when, "reason": "MarkedSuccess"}
    )


def _release_time(parent: ParentState) -> str | None:
    """The parent's latest finished run that releases children: a success, or a failure when
    the parent has softError."""
    if parent.soft_error and _later(parent.last_error, parent.last_success):
        return parent.last_error
    return parent.last_success


def _latest_event(parent: ParentState) -> str | None:
    return parent.last_error if _later(parent.last_error, parent.last_success) else parent.last_success


def plan_dependencies(snap: JobSnapshot, status: dict[str, Any], plan: Plan, now: datetime) -> None:
    """Contract §5. Each parent has a cursor in the child's status: the time of the last parent
    event the child consumed. The child runs once every parent has a new releasing event; a new
    failure of any parent (without softError) consumes every parent's events, so the child never
    runs on a stale mix of parent runs (Chronos #543)."""
    parents = list(_spec_value(snap.spec, "parents", []) or [])
    missing = [p for p in parents if snap.parents.get(p) is None]
    if missing:
        _set_condition(
            status,
            "ParentsReady",
            False,
            "ParentNotFound",
            f"spec.parents: no ChronosJob named {', '.join(missing)} in this namespace; the job waits for it",
            now,
            snap.generation,
        )
        return
    _set_condition(status, "ParentsReady", True, "ParentsFound", "", now, snap.generation)
    cursors: dict[str, Any] = {
        p: dict(v) for p, v in (status.get("parentCursors") or {}).items() if p in parents
    }
    states = {p: snap.parents[p] for p in parents}
    for p, state in states.items():
        if p not in cursors and state is not None:
            # A new edge starts from now: only parent runs finishing later release the child.
            cursors[p] = {"consumed": _latest_event(state) or format_instant(snap.created)}
    status["parentCursors"] = cursors
    status.pop("nextRunTime", None)

    def newer(p: str, t: str | None) -> bool:
        return _later(t, cursors[p].get("consumed"))

    def consume_all() -> None:
        for p, state in states.items():
            if state is not None and (latest := _latest_event(state)) and newer(p, latest):
                cursors[p] = {"consumed": latest}

    failed = [
        p
        for p, st in states.items()
        if st is not None
        and not st.soft_error
        and newer(p, st.last_error)
        and _later(st.last_error, st.last_success)
    ]
    if failed:
        consume_all()
        plan.events.append(
            EventRequest(
                "Normal",
                "ParentFailed",
                f"parent {', '.join(failed)} failed; waiting for a new success of every parent",
            )
        )
        return
    releases = {p: _release_time(st) for p, st in states.items() if st is not None}
    if not all(newer(p, t) for p, t in releases.items()):
        return
    if bool(_spec_value(snap.spec, "disabled", False)):
        consume_all()  # Chronos: disabled children do not remember their parents' runs
        return
    if any(r.active for r in snap.runs) and not bool(_spec_value(snap.spec, "concurrent", False)):
        plan.waiting = True  # runs when the active run ends; the parents' events stay unconsumed
        return
    key = ",".join(f"{p}={releases[p]}" for p in sorted(releases))
    due = max(parse_instant(t) for t in releases.values() if t)
    arguments = " ".join(_spec_value(snap.spec, "arguments", []) or [])
    plan.creates.append(
        RunRequest(
            job_name=run_job_name(snap.name, f"d-{_token_hash(key)}"),
            trigger="dependency",
            scheduled=due,
            task_id=task_id(due, 0, _chronos_name(snap), arguments),
            arguments=arguments,
        )
    )
    for p, t in releases.items():
        cursors[p] = {"consumed": t}


def plan_async_deadlines(snap: JobSnapshot, plan: Plan, now: datetime) -> None:
    """An async run stays active after its pod ends until its completion is reported; past
    maxCompletionTime it fails."""
    limit = int(_spec_value(snap.spec, "maxCompletionTime", 0) or 0)
    if not limit:
        return
    for run in snap.runs:
        if run.active and run.is_async and run.created is not None:
            deadline = run.created + timedelta(seconds=limit)
            if now >= deadline:
                plan.expired.append(run.name)
            elif plan.wake_at is None or deadline < plan.wake_at:
                plan.wake_at = deadline


def _summarise(snap: JobSnapshot, status: dict[str, Any], plan: Plan, now: datetime) -> None:
    active_names = {r.name for r in snap.runs if r.active} | {c.job_name for c in plan.creates}
    runs = {r.name: r for r in snap.runs}
    # An active run keeps the startTime it was first listed with: a run created by this plan starts
    # now, and its Job appearing a moment later (creationTimestamp, whole seconds) is not worth a
    # second status write per run.
    started_before = {
        a.get("jobName"): a["startTime"] for a in status.get("active") or [] if a.get("startTime")
    }
    active: list[dict[str, Any]] = []
    for name in sorted(active_names):
        run = runs.get(name)
        request = next((c for c in plan.creates if c.job_name == name), None)
        scheduled = run.scheduled if run else request.scheduled if request else None
        entry: dict[str, Any] = {
            "jobName": name,
            "taskId": run.task_id if run else request.task_id if request else "",
            "trigger": run.trigger if run else request.trigger if request else "schedule",
        }
        if scheduled:
            entry["scheduledTime"] = format_instant(scheduled)
        if name in started_before:
            entry["startTime"] = started_before[name]
        elif request is not None:
            entry["startTime"] = format_instant(now)
        elif run and run.created:
            entry["startTime"] = format_instant(run.created)
        active.append(entry)
    status["active"] = active
    # "queued" is an occurrence waiting for a free slot (concurrent: false). A run's pod going from
    # Pending to Running is not tracked: one status write less per run matters at thousands of runs.
    if plan.waiting:
        status["state"] = "queued"  # a waiting occurrence always has an active run to wait for
    elif not active:
        status["state"] = "idle"
    else:
        status["state"] = "running" if len(active) == 1 else f"{len(active)} running"
    success, error = status.get("lastSuccess"), status.get("lastError")
    if not success and not error:
        status["lastStatus"] = "fresh"
    else:
        status["lastStatus"] = "failure" if _later(error, success) else "success"
    for counter in ("successCount", "errorCount", "errorsSinceLastSuccess", "skippedCount"):
        status.setdefault(counter, 0)
    if snap.spec is not None:
        status["scheduleDisplay"] = display_schedule(snap.spec)


def _reason_for(spec_error: str) -> str:
    """The Degraded reason for a spec the model refused, from the field its message names first."""
    if spec_error.startswith("spec.scheduleTimeZone"):
        return "UnknownTimeZone"
    if spec_error.startswith(("spec.schedule", "spec.epsilon")):
        return "InvalidSchedule"
    return "InvalidSpec"


def decide(snap: JobSnapshot, now: datetime, settings: Settings) -> Plan:
    """The plan for one ChronosJob at `now`."""
    status = copy.deepcopy(dict(snap.status))
    plan = Plan(status=status)
    record_finished_runs(snap, status, plan, settings.history_size)
    status["observedGeneration"] = snap.generation

    problem = snap.spec_error or snap.policy_error
    reason = "InvalidSpec"
    if problem is None and snap.in_cycle:
        chain = ", ".join(_spec_value(snap.spec, "parents", []) or [])
        problem = (
            f"spec.parents: {_chronos_name(snap)} depends on itself through its parents ({chain}); "
            "none of the jobs on the cycle runs"
        )
        reason = "DependencyCycle"
    if problem is None and snap.spec is not None:
        try:
            expression, zone = _schedule_of(snap)
            parse_schedule(expression, zone)
            _epsilon(snap, settings)
        except ScheduleError as e:
            problem = str(e)
            reason = "UnknownTimeZone" if e.field == "scheduleTimeZone" else "InvalidSchedule"
    elif snap.in_cycle and not snap.spec_error and not snap.policy_error:
        reason = "DependencyCycle"
    elif snap.spec_error:
        reason = _reason_for(snap.spec_error)
    elif snap.policy_error:
        reason = "PolicyDenied"
    was_degraded = _condition_is(status, "Degraded")
    if problem is not None:
        _set_condition(status, "Degraded", True, reason, problem, now, snap.generation)
        _set_condition(status, "Ready", False, reason, problem, now, snap.generation)
        status.pop("nextRunTime", None)
        if not was_degraded:
            plan.events.append(EventRequest("Warning", reason, problem))
    else:
        _set_condition(status, "Degraded", False, "AsExpected", "", now, snap.generation)
        plan_triggers(snap, status, plan, now)
        if _spec_value(snap.spec, "parents", None):
            plan_dependencies(snap, status, plan, now)
        else:
            plan_schedule(snap, status, plan, now, settings)
        plan_async_deadlines(snap, plan, now)
        disabled = bool(_spec_value(snap.spec, "disabled", False))
        _set_condition(
            status,
            "Ready",
            True,
            "Disabled" if disabled else "Scheduling",
            "the job is disabled: nothing runs" if disabled else "",
            now,
            snap.generation,
        )
    plan.deletes = _runs_to_delete(snap, set(plan.mark_recorded))
    _forget_deleted_runs(snap, status, plan)
    _summarise(snap, status, plan, now)
    return plan


def _forget_deleted_runs(snap: JobSnapshot, status: dict[str, Any], plan: Plan) -> None:
    """Drops from recordedRuns the runs this plan deletes whose Job already carries the recorded
    mark, in the same status write as the rest of the plan (not one more write when the Job is
    gone). A run counted in this very plan keeps its name until its mark is seen."""
    names = status.get("recordedRuns")
    if not names or not plan.deletes:
        return
    marked = {r.name for r in snap.runs if r.recorded}
    gone = set(plan.deletes) & marked
    kept = [n for n in names if n not in gone]
    if kept:
        status["recordedRuns"] = kept
    else:
        status.pop("recordedRuns", None)


def status_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The merge patch that turns status `old` into `new` (None removes a field); {} = no change."""
    patch: dict[str, Any] = {k: v for k, v in new.items() if old.get(k) != v}
    patch.update({k: None for k in old if k not in new})
    return patch
