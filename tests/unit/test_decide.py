"""decide(snapshot, now, settings) -> Plan for one ChronosJob (contract §3 schedules, §4 runs and
counters), and status_patch. Every instant is fixed: no test reads the clock."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chronos_operator import labels
from chronos_operator.model.errors import SpecError
from chronos_operator.model.spec import ChronosJobSpec, validate_spec
from chronos_operator.schedule import format_instant
from chronos_operator.scheduler.decide import (
    EventRequest,
    JobSnapshot,
    Plan,
    decide,
    status_patch,
)
from chronos_operator.scheduler.runs import Run, run_from_job
from chronos_operator.settings import Settings

SETTINGS = Settings()  # default epsilon PT60S, history of 20
NAMESPACE = "team-a"
NAME = "report"
UID = "0b7c7a52-0000-4000-8000-00000000000a"
HOURLY = "R/2026-01-01T00:00:00Z/PT1H"


def at(hour: int, minute: int = 0, second: int = 0, *, day: int = 1) -> datetime:
    """An instant on 2026-03-(day), UTC."""
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


CREATED = at(11, 59, 30)  # the ChronosJob's creationTimestamp in most tests


def unix(t: datetime) -> int:
    return int(t.timestamp())


def millis(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def snapshot(
    spec: Mapping[str, Any] | None = None,
    *,
    status: Mapping[str, Any] | None = None,
    runs: Iterable[Run] = (),
    created: datetime = CREATED,
    exit_codes: Mapping[str, int | None] | None = None,
    spec_error: str | None = None,
    policy_error: str | None = None,
    parsed: Any = None,
    generation: int = 1,
) -> JobSnapshot:
    """A JobSnapshot as the view builds it; `spec` is validated like the view does (default: hourly)."""
    if parsed is None and spec_error is None:
        parsed = validate_spec({"schedule": HOURLY} if spec is None else spec)
    return JobSnapshot(
        namespace=NAMESPACE,
        name=NAME,
        uid=UID,
        generation=generation,
        created=created,
        spec=parsed,
        spec_error=spec_error,
        status=dict(status or {}),
        runs=tuple(runs),
        exit_codes=dict(exit_codes or {}),
        policy_error=policy_error,
    )


def with_spec(snap: JobSnapshot, spec: Mapping[str, Any], *, generation: int | None = None) -> JobSnapshot:
    """The same object after a spec edit."""
    return replace(
        snap,
        spec=validate_spec(spec),
        spec_error=None,
        generation=snap.generation + 1 if generation is None else generation,
    )


def spec_error_of(spec: Mapping[str, Any]) -> str:
    """The message the view keeps for a spec that validate_spec refuses."""
    with pytest.raises(SpecError) as refused:
        validate_spec(spec)
    return str(refused.value)


def run(
    name: str,
    *,
    scheduled: datetime | None = None,
    created: datetime | None = None,
    finished: datetime | None = None,
    outcome: str | None = None,
    trigger: str = "schedule",
    recorded: bool = False,
    reason: str = "",
    message: str = "",
    task: str = "",
    owner_uid: str = UID,
) -> Run:
    created = created or scheduled
    return Run(
        name=name,
        uid=f"uid-{name}",
        owner=NAME,
        owner_uid=owner_uid,
        trigger=trigger,
        scheduled=scheduled,
        task_id=task or (f"ct:{millis(scheduled)}:0:{NAME}:" if scheduled else ""),
        arguments="",
        created=created,
        started=created,
        finished=finished,
        outcome=outcome,
        reason=reason,
        message=message,
        recorded=recorded,
    )


def scheduled_run(due: datetime, **kwargs: Any) -> Run:
    """The Job of the scheduled run for occurrence `due`, created two seconds late."""
    kwargs.setdefault("created", due + timedelta(seconds=2))
    return run(f"{NAME}-{unix(due)}", scheduled=due, **kwargs)


def job_body(
    name: str,
    *,
    due: datetime,
    created: datetime,
    complete: datetime | None = None,
    failed: datetime | None = None,
    killed: datetime | None = None,
    recorded: bool = False,
    resource_version: str = "1",
) -> dict[str, Any]:
    """A batch/v1 Job as the API returns it for a run of the ChronosJob."""
    annotations = {
        labels.SCHEDULED_TIME: format_instant(due),
        labels.TASK_ID: f"ct:{millis(due)}:0:{NAME}:",
    }
    if recorded:
        annotations[labels.RECORDED] = "true"
    if killed:
        annotations[labels.KILLED] = format_instant(killed)
    status: dict[str, Any] = {"startTime": format_instant(created)}
    if complete:
        status["completionTime"] = format_instant(complete)
        status["conditions"] = [{"type": "Complete", "status": "True"}]
    elif failed:
        status["conditions"] = [
            {
                "type": "Failed",
                "status": "True",
                "reason": "BackoffLimitExceeded",
                "message": "Job has reached the specified backoff limit",
                "lastTransitionTime": format_instant(failed),
            }
        ]
    else:
        status["active"] = 1
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "uid": f"uid-{name}",
            "resourceVersion": resource_version,
            "creationTimestamp": format_instant(created),
            "labels": {labels.JOB_LABEL: NAME, labels.TRIGGER_LABEL: "schedule"},
            "annotations": annotations,
            "ownerReferences": [
                {"apiVersion": labels.API_VERSION, "kind": labels.KIND, "name": NAME, "uid": UID}
            ],
        },
        "status": status,
    }


def applied(snap: JobSnapshot, plan: Plan, now: datetime) -> JobSnapshot:
    """The view after the writer applied `plan` at `now`: runs created (active), the new status,
    recorded runs marked, deleted runs gone."""
    runs = {r.name: r for r in snap.runs}
    for request in plan.creates:
        runs[request.job_name] = Run(
            name=request.job_name,
            uid=f"uid-{request.job_name}",
            owner=NAME,
            owner_uid=UID,
            trigger=request.trigger,
            scheduled=request.scheduled,
            task_id=request.task_id,
            arguments=request.arguments,
            created=now,
            started=None,
            finished=None,
            outcome=None,
            reason="",
            message="",
            recorded=False,
        )
    for name in plan.mark_recorded:
        runs[name] = replace(runs[name], recorded=True)
    for name in plan.deletes:
        runs.pop(name, None)
    return replace(snap, status=plan.status, runs=tuple(runs.values()))


def finished(snap: JobSnapshot, name: str, when: datetime, outcome: str = "Succeeded") -> JobSnapshot:
    """The view after the watch saw run `name` finish."""
    runs = tuple(
        replace(r, outcome=outcome, finished=when, started=r.started or r.created) if r.name == name else r
        for r in snap.runs
    )
    return replace(snap, runs=runs)


def step(snap: JobSnapshot, now: datetime, settings: Settings = SETTINGS) -> tuple[Plan, JobSnapshot]:
    """Decide at `now` and apply the plan."""
    plan = decide(snap, now, settings)
    return plan, applied(snap, plan, now)


def events(plan: Plan, reason: str | None = None) -> list[EventRequest]:
    return [e for e in plan.events if reason is None or e.reason == reason]


def condition(status: Mapping[str, Any], kind: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [c for c in status.get("conditions") or [] if c.get("type") == kind]
    assert len(found) == 1, f"expected one {kind} condition in {status.get('conditions')}"
    return found[0]


def cursor(status: Mapping[str, Any]) -> dict[str, Any]:
    return dict(status["scheduleCursor"])


# --- the first decision for a new job -------------------------------------------------------------


def test_new_job_gets_a_cursor_for_its_schedule_effective_from_its_creation() -> None:
    plan = decide(snapshot(), at(11, 59, 40), SETTINGS)

    assert cursor(plan.status)["expression"] == f"{HOURLY}|"
    assert cursor(plan.status)["effectiveFrom"] == "2026-03-01T11:59:30.000Z"
    assert cursor(plan.status)["lastIndex"] == 1427  # 11:00, before creation: consumed, not missed
    assert plan.status["skippedCount"] == 0


def test_new_job_before_its_first_occurrence_is_idle_fresh_and_ready() -> None:
    plan = decide(snapshot(), at(11, 59, 40), SETTINGS)

    assert plan.creates == []
    assert plan.events == []
    assert plan.status["nextRunTime"] == "2026-03-01T12:00:00.000Z"
    assert plan.wake_at == at(12)
    assert plan.status["state"] == "idle"
    assert plan.status["lastStatus"] == "fresh"
    assert plan.status["active"] == []
    for counter in ("successCount", "errorCount", "errorsSinceLastSuccess", "skippedCount"):
        assert plan.status[counter] == 0
    assert plan.status["observedGeneration"] == 1
    assert plan.status["scheduleDisplay"] == HOURLY
    assert condition(plan.status, "Ready")["status"] == "True"
    assert condition(plan.status, "Degraded")["status"] == "False"
    assert condition(plan.status, "Exhausted")["status"] == "False"


def test_due_occurrence_within_epsilon_creates_one_run_named_by_its_unix_seconds() -> None:
    spec = {"schedule": HOURLY, "name": "REPORT_JOB", "arguments": ["--full", "eu"]}

    plan = decide(snapshot(spec), at(12, 0, 5), SETTINGS)

    assert len(plan.creates) == 1
    request = plan.creates[0]
    assert request.job_name == f"report-{unix(at(12))}" == "report-1772366400"
    assert request.trigger == "schedule"
    assert request.scheduled == at(12)
    assert request.task_id == f"ct:{millis(at(12))}:0:REPORT_JOB:--full eu"
    assert request.arguments == "--full eu"
    assert plan.events == []


def test_task_id_uses_the_metadata_name_when_the_spec_has_no_chronos_name() -> None:
    plan = decide(snapshot(), at(12, 0, 5), SETTINGS)

    assert plan.creates[0].task_id == "ct:1772366400000:0:report:"


def test_created_run_is_listed_as_active_and_the_job_is_running() -> None:
    plan = decide(snapshot(), at(12, 0, 5), SETTINGS)

    assert plan.status["active"] == [
        {
            "jobName": "report-1772366400",
            "taskId": "ct:1772366400000:0:report:",
            "trigger": "schedule",
            "scheduledTime": "2026-03-01T12:00:00.000Z",
            "startTime": "2026-03-01T12:00:05.000Z",
        }
    ]
    assert plan.status["state"] == "running"


def test_the_created_jobs_appearance_changes_no_status() -> None:
    """One status write per run saved: the active entry keeps the startTime of its decision."""
    first = decide(snapshot(), at(12, 0, 5), SETTINGS)
    job = scheduled_run(at(12), created=at(12, 0, 6))
    again = decide(snapshot(status=first.status, runs=[job]), at(12, 0, 6), SETTINGS)

    assert status_patch(first.status, again.status) == {}
    assert again.creates == []


def test_a_recorded_mark_arriving_changes_no_status_until_the_job_is_deleted() -> None:
    done = scheduled_run(at(12), outcome="Succeeded", finished=at(12, 5))
    counted = decide(snapshot(runs=[done]), at(12, 10), SETTINGS)
    assert counted.status["recordedRuns"] == [done.name]
    assert counted.mark_recorded == [done.name]

    marked = replace(done, recorded=True)
    after_mark = decide(snapshot(status=counted.status, runs=[marked]), at(12, 11), SETTINGS)
    assert status_patch(counted.status, after_mark.status) == {}
    assert after_mark.status["successCount"] == 1

    newer = [
        scheduled_run(at(h), outcome="Succeeded", finished=at(h, 5), recorded=True) for h in (13, 14, 15)
    ]
    pruned = decide(snapshot(status=after_mark.status, runs=[marked, *newer]), at(15, 10), SETTINGS)
    assert pruned.deletes == [done.name]
    assert "recordedRuns" not in pruned.status


def test_run_advances_the_cursor_and_the_next_run_time() -> None:
    plan = decide(snapshot(), at(12, 0, 5), SETTINGS)

    assert plan.status["nextRunTime"] == "2026-03-01T13:00:00.000Z"
    assert plan.wake_at == at(13)
    assert cursor(plan.status)["lastIndex"] == 1428  # 2026-01-01 + 1428 hours = 03-01 12:00
    assert plan.status["skippedCount"] == 0


def test_remaining_runs_counts_down_for_rn() -> None:
    spec = {"schedule": "R5/2026-03-01T12:00:00Z/PT1H"}

    before = decide(snapshot(spec), at(11, 59, 40), SETTINGS)
    after_first = decide(snapshot(spec), at(12, 0, 5), SETTINGS)

    assert before.status["remainingRuns"] == 5
    assert after_first.status["remainingRuns"] == 4
    assert len(after_first.creates) == 1


def test_remaining_runs_is_absent_for_a_forever_schedule() -> None:
    stale = {"remainingRuns": 3}

    plan = decide(snapshot(status=stale), at(12, 0, 5), SETTINGS)

    assert "remainingRuns" not in plan.status


def test_occurrence_just_before_creation_runs_when_creation_is_within_its_epsilon() -> None:
    plan = decide(snapshot(created=at(12, 0, 20)), at(12, 0, 25), SETTINGS)

    assert [r.scheduled for r in plan.creates] == [at(12)]
    assert plan.status["skippedCount"] == 0


def test_occurrences_before_creation_neither_run_nor_count_as_skipped() -> None:
    plan = decide(snapshot(created=at(12, 2)), at(12, 2, 5), SETTINGS)

    assert plan.creates == []
    assert plan.status["skippedCount"] == 0
    assert events(plan, "MissedSchedule") == []
    assert plan.status["nextRunTime"] == "2026-03-01T13:00:00.000Z"


def test_old_forever_schedule_created_today_runs_on_its_grid_from_now_on() -> None:
    spec = {"schedule": "R/2014-09-25T17:22:00Z/PT2M"}
    created = at(12, 1, 30)  # 12:00 is on the grid (17:22 + k × 2 minutes), more than epsilon ago

    idle = decide(snapshot(spec, created=created), at(12, 1, 40), SETTINGS)
    due = decide(snapshot(spec, created=created), at(12, 2, 1), SETTINGS)

    assert idle.creates == []
    assert idle.status["nextRunTime"] == "2026-03-01T12:02:00.000Z"
    assert idle.status["skippedCount"] == 0
    assert [r.scheduled for r in due.creates] == [at(12, 2)]
    assert due.status["skippedCount"] == 0


# --- deciding again: idempotence --------------------------------------------------------------------


def test_deciding_again_after_applying_the_plan_creates_nothing_and_repeats_no_event() -> None:
    now = at(12, 0, 5)
    first, view = step(snapshot(), now)

    second = decide(view, now, SETTINGS)

    assert len(first.creates) == 1
    assert second.creates == []
    assert second.events == []
    assert cursor(second.status) == cursor(first.status)
    assert second.status["nextRunTime"] == first.status["nextRunTime"]


def test_status_written_before_the_watch_shows_the_run_creates_nothing_again() -> None:
    now = at(12, 0, 5)
    first = decide(snapshot(), now, SETTINGS)

    second = decide(snapshot(status=first.status), at(12, 0, 6), SETTINGS)

    assert second.creates == []
    assert second.status["skippedCount"] == 0


def test_repeated_decisions_at_the_same_instant_reach_a_fixed_point() -> None:
    now = at(12, 0, 5)
    _, view = step(snapshot(), now)
    _, view = step(view, now)

    again = decide(view, now, SETTINGS)

    assert again.creates == [] and again.events == [] and again.deletes == []
    assert status_patch(view.status, again.status) == {}


def test_a_missed_schedule_is_reported_once_not_on_every_decision() -> None:
    _, view = step(snapshot(), at(12, 0, 5))
    view = finished(view, "report-1772366400", at(12, 1))
    missed, view = step(view, at(15, 30))

    again = decide(view, at(15, 30), SETTINGS)

    assert len(events(missed, "MissedSchedule")) == 1
    assert again.events == []
    assert again.status["skippedCount"] == missed.status["skippedCount"] == 3


# --- adoption after a crash between creating a run and writing the status --------------------------


def test_job_existing_for_an_occurrence_beyond_the_cursor_is_adopted_not_created_again() -> None:
    _, view = step(snapshot(), at(12, 0, 5))
    view = finished(view, "report-1772366400", at(12, 1))
    _, view = step(view, at(12, 1))
    # The 13:00 run was created, then the operator crashed before writing the status.
    crashed = replace(view, runs=(*view.runs, scheduled_run(at(13))))

    plan = decide(crashed, at(13, 0, 7), SETTINGS)

    assert plan.creates == []
    assert plan.status["skippedCount"] == 0
    assert events(plan, "MissedSchedule") == []
    assert cursor(plan.status)["lastIndex"] == 1429
    assert plan.status["nextRunTime"] == "2026-03-01T14:00:00.000Z"
    assert plan.status["state"] == "running"


def test_adopted_run_is_not_counted_as_skipped_when_the_operator_returns_after_its_epsilon() -> None:
    _, view = step(snapshot(), at(12, 0, 5))
    view = finished(view, "report-1772366400", at(12, 1))
    _, view = step(view, at(12, 1))
    crashed = replace(view, runs=(*view.runs, scheduled_run(at(13))))

    plan = decide(crashed, at(13, 20), SETTINGS)

    assert plan.creates == []
    assert plan.status["skippedCount"] == 0
    assert cursor(plan.status)["lastIndex"] == 1429


def test_adoption_of_the_first_run_of_a_new_job() -> None:
    crashed = snapshot(runs=[scheduled_run(at(12))])

    plan = decide(crashed, at(12, 0, 30), SETTINGS)

    assert plan.creates == []
    assert cursor(plan.status)["lastIndex"] == 1428
    assert plan.status["skippedCount"] == 0


# --- outages and epsilon ------------------------------------------------------------------------------


def outage_view() -> JobSnapshot:
    """The hourly job after its 12:00 run succeeded and was recorded; then the operator stops."""
    _, view = step(snapshot(), at(12, 0, 5))
    view = finished(view, "report-1772366400", at(12, 1))
    _, view = step(view, at(12, 1))
    assert view.status["skippedCount"] == 0 and view.status["successCount"] == 1
    return view


def test_outage_of_five_periods_runs_only_the_latest_and_skips_the_four_older() -> None:
    view = outage_view()

    plan = decide(view, at(17, 0, 30), SETTINGS)  # 13:00 … 17:00 were due; 17:00 is within epsilon

    assert [r.scheduled for r in plan.creates] == [at(17)]
    assert plan.status["skippedCount"] == 4
    missed = events(plan, "MissedSchedule")
    assert len(missed) == 1 and missed[0].type == "Warning"
    assert "4 occurrence(s)" in missed[0].message
    assert "2026-03-01T16:00:00.000Z" in missed[0].message
    assert plan.status["nextRunTime"] == "2026-03-01T18:00:00.000Z"


def test_outage_longer_than_epsilon_runs_nothing_and_counts_all_five() -> None:
    view = outage_view()

    plan = decide(view, at(17, 1, 30), SETTINGS)

    assert plan.creates == []
    assert plan.status["skippedCount"] == 5
    assert len(events(plan, "MissedSchedule")) == 1
    assert cursor(plan.status)["lastIndex"] == 1433
    assert plan.status["nextRunTime"] == "2026-03-01T18:00:00.000Z"


def test_skips_add_to_the_existing_skipped_count() -> None:
    view = outage_view()
    view = replace(view, status={**view.status, "skippedCount": 7})

    plan = decide(view, at(17, 0, 30), SETTINGS)

    assert plan.status["skippedCount"] == 11


def test_occurrence_runs_at_exactly_t_plus_epsilon_and_is_skipped_just_after() -> None:
    view = outage_view()

    on_the_edge = decide(view, at(13, 1), SETTINGS)
    too_late = decide(view, at(13, 1) + timedelta(microseconds=1), SETTINGS)

    assert [r.scheduled for r in on_the_edge.creates] == [at(13)]
    assert on_the_edge.status["skippedCount"] == 0
    assert too_late.creates == []
    assert too_late.status["skippedCount"] == 1


def test_epsilon_from_the_spec_overrides_the_operator_default() -> None:
    view = with_spec(outage_view(), {"schedule": HOURLY, "epsilon": "PT10M"})

    plan = decide(view, at(17, 9), SETTINGS)

    assert [r.scheduled for r in plan.creates] == [at(17)]
    assert plan.status["skippedCount"] == 4


def test_operator_default_epsilon_comes_from_the_settings() -> None:
    view = outage_view()

    plan = decide(view, at(17, 4), Settings(default_epsilon=timedelta(minutes=5)))

    assert [r.scheduled for r in plan.creates] == [at(17)]


def test_skipped_occurrences_leave_one_skipped_history_entry() -> None:
    view = outage_view()

    plan = decide(view, at(17, 1, 30), SETTINGS)

    newest = plan.status["history"][0]
    assert newest["outcome"] == "Skipped"
    assert newest["trigger"] == "schedule"
    assert newest["scheduledTime"] == "2026-03-01T17:00:00.000Z"
    assert newest["reason"].startswith("MissedSchedule: 5 ")
    assert plan.status["history"][1]["jobName"] == "report-1772366400"


# --- concurrent ---------------------------------------------------------------------------------------


def running_view() -> JobSnapshot:
    """The hourly job with its 12:00 run still active."""
    _, view = step(snapshot(), at(12, 0, 5))
    return view


def test_occurrence_waits_for_the_active_run_and_the_job_is_queued() -> None:
    plan = decide(running_view(), at(13, 0, 10), SETTINGS)

    assert plan.creates == []
    assert plan.waiting
    assert plan.status["state"] == "queued"
    assert plan.status["nextRunTime"] == "2026-03-01T13:00:00.000Z"
    assert plan.wake_at == at(13, 1)  # the end of the occurrence's epsilon window
    assert plan.status["skippedCount"] == 0
    assert events(plan, "MissedSchedule") == []
    assert [a["jobName"] for a in plan.status["active"]] == ["report-1772366400"]


def test_waiting_occurrence_keeps_its_repetition() -> None:
    spec = {"schedule": "R3/2026-03-01T12:00:00Z/PT1H"}
    _, view = step(snapshot(spec), at(12, 0, 5))

    plan = decide(view, at(13, 0, 10), SETTINGS)

    assert plan.waiting
    assert plan.status["remainingRuns"] == 2


def test_waiting_occurrence_runs_for_its_due_time_when_the_active_run_ends_within_epsilon() -> None:
    _, view = step(running_view(), at(13, 0, 10))
    view = finished(view, "report-1772366400", at(13, 0, 40))

    plan = decide(view, at(13, 0, 40), SETTINGS)

    assert [(r.job_name, r.scheduled) for r in plan.creates] == [(f"report-{unix(at(13))}", at(13))]
    assert plan.status["skippedCount"] == 0
    assert not plan.waiting


def test_waiting_occurrence_is_skipped_once_its_epsilon_has_passed() -> None:
    _, view = step(running_view(), at(13, 0, 10))

    plan, view = step(view, at(13, 1, 1))

    assert plan.creates == []
    assert plan.status["skippedCount"] == 1
    assert len(events(plan, "MissedSchedule")) == 1
    assert plan.status["state"] == "running"  # the 12:00 run is still active; nothing waits
    assert plan.status["nextRunTime"] == "2026-03-01T14:00:00.000Z"
    assert cursor(plan.status)["lastIndex"] == 1429


def test_concurrent_job_starts_the_occurrence_alongside_the_active_run() -> None:
    spec = {"schedule": HOURLY, "concurrent": True}
    _, view = step(snapshot(spec), at(12, 0, 5))

    plan = decide(view, at(13, 0, 10), SETTINGS)

    assert [r.scheduled for r in plan.creates] == [at(13)]
    assert not plan.waiting
    assert plan.status["state"] == "2 running"


# --- disabled -----------------------------------------------------------------------------------------


def test_disabled_job_creates_nothing_pauses_its_cursor_and_counts_nothing() -> None:
    spec = {"schedule": HOURLY, "disabled": True}

    plan = decide(snapshot(spec), at(12, 0, 5), SETTINGS)

    assert plan.creates == []
    assert cursor(plan.status)["paused"] is True
    assert "nextRunTime" not in plan.status
    assert plan.status["skippedCount"] == 0
    assert plan.events == []
    ready = condition(plan.status, "Ready")
    assert (ready["status"], ready["reason"]) == ("True", "Disabled")


def test_disabled_job_does_not_advance_or_count_across_many_periods() -> None:
    view = with_spec(outage_view(), {"schedule": HOURLY, "disabled": True})
    _, view = step(view, at(12, 30))
    before = cursor(view.status)

    plan = decide(view, at(18, 0, 10), SETTINGS)

    assert plan.creates == []
    assert plan.status["skippedCount"] == 0
    assert cursor(plan.status)["lastIndex"] == before["lastIndex"] == 1428
    assert "nextRunTime" not in plan.status


def test_re_enabled_job_resumes_at_the_first_occurrence_after_re_enabling() -> None:
    view = with_spec(outage_view(), {"schedule": HOURLY, "disabled": True})
    _, view = step(view, at(12, 30))
    _, view = step(view, at(14, 0, 5))
    view = with_spec(view, {"schedule": HOURLY, "disabled": False})

    resumed, view = step(view, at(14, 0, 20))  # 14:00 is within epsilon but came before re-enabling
    later, view = step(view, at(15, 0, 5))

    assert resumed.creates == []
    assert resumed.status["skippedCount"] == 0
    assert events(resumed, "MissedSchedule") == []
    assert resumed.status["nextRunTime"] == "2026-03-01T15:00:00.000Z"
    assert "paused" not in cursor(resumed.status)
    assert cursor(resumed.status)["effectiveFrom"] == "2026-03-01T14:00:20.000Z"
    ready = condition(resumed.status, "Ready")
    assert (ready["status"], ready["reason"]) == ("True", "Scheduling")
    assert [r.scheduled for r in later.creates] == [at(15)]
    assert later.status["skippedCount"] == 0


def test_job_disabled_from_creation_runs_nothing_from_the_pause_when_enabled() -> None:
    _, view = step(snapshot({"schedule": HOURLY, "disabled": True}), at(12, 0, 5))
    view = with_spec(view, {"schedule": HOURLY})

    plan = decide(view, at(15, 30), SETTINGS)

    assert plan.creates == []
    assert plan.status["skippedCount"] == 0
    assert plan.status["nextRunTime"] == "2026-03-01T16:00:00.000Z"


# --- schedule changes ---------------------------------------------------------------------------------


def test_schedule_change_restarts_the_cursor_and_keeps_counters_and_history() -> None:
    view = outage_view()
    view = replace(view, status={**view.status, "skippedCount": 2, "errorCount": 1})
    history = view.status["history"]
    new = "R4/2026-03-01T12:30:00Z/PT30M"

    plan = decide(with_spec(view, {"schedule": new}), at(12, 10), SETTINGS)

    assert cursor(plan.status) == {
        "expression": f"{new}|",
        "effectiveFrom": "2026-03-01T12:10:00.000Z",
        "catchUp": True,
    }
    assert plan.status["remainingRuns"] == 4
    assert plan.status["nextRunTime"] == "2026-03-01T12:30:00.000Z"
    assert plan.status["successCount"] == 1
    assert plan.status["skippedCount"] == 2
    assert plan.status["errorCount"] == 1
    assert plan.status["history"] == history
    assert plan.status["scheduleDisplay"] == new


def test_changed_schedule_does_not_count_the_new_series_past_occurrences_as_skipped() -> None:
    view = outage_view()

    plan = decide(with_spec(view, {"schedule": "R/2020-01-01T00:00:00Z/PT5M"}), at(12, 12), SETTINGS)

    assert plan.creates == []
    assert plan.status["skippedCount"] == 0
    assert events(plan, "MissedSchedule") == []
    assert plan.status["nextRunTime"] == "2026-03-01T12:15:00.000Z"


def test_changed_schedule_runs_its_last_occurrence_when_the_change_is_within_its_epsilon() -> None:
    view = outage_view()

    plan = decide(with_spec(view, {"schedule": "R/2020-01-01T00:00:00Z/PT5M"}), at(12, 10, 30), SETTINGS)

    assert [r.scheduled for r in plan.creates] == [at(12, 10)]
    assert plan.status["skippedCount"] == 0


def test_dependency_job_given_a_schedule_starts_it_at_the_change_not_at_creation() -> None:
    _, view = step(snapshot({"parents": ["extract"]}), at(12, 0, 5))

    plan = decide(with_spec(view, {"schedule": HOURLY}), at(17, 30), SETTINGS)

    assert plan.creates == []
    assert plan.status["skippedCount"] == 0
    assert events(plan, "MissedSchedule") == []
    assert cursor(plan.status)["effectiveFrom"] == "2026-03-01T17:30:00.000Z"
    assert plan.status["nextRunTime"] == "2026-03-01T18:00:00.000Z"


def test_time_zone_change_restarts_the_cursor() -> None:
    view = outage_view()

    plan = decide(
        with_spec(view, {"schedule": HOURLY, "scheduleTimeZone": "Europe/Paris"}), at(12, 10), SETTINGS
    )

    assert cursor(plan.status)["expression"] == f"{HOURLY}|Europe/Paris"
    assert cursor(plan.status)["effectiveFrom"] == "2026-03-01T12:10:00.000Z"
    assert plan.status["successCount"] == 1


def test_other_spec_edits_keep_the_cursor() -> None:
    view = outage_view()

    plan = decide(with_spec(view, {"schedule": HOURLY, "command": "echo changed"}), at(12, 10), SETTINGS)

    assert cursor(plan.status) == cursor(view.status)
    assert plan.status["observedGeneration"] == 2


# --- exhaustion ---------------------------------------------------------------------------------------


def test_r3_after_three_runs_is_exhausted_with_one_event() -> None:
    spec = {"schedule": "R3/2026-03-01T12:00:00Z/PT1H"}
    view = snapshot(spec)
    for hour in (12, 13, 14):
        plan, view = step(view, at(hour, 0, 5))
        assert len(plan.creates) == 1
        assert condition(plan.status, "Exhausted")["status"] == "False"
        view = finished(view, f"report-{unix(at(hour))}", at(hour, 5))

    done, view = step(view, at(14, 5))
    later = [decide(view, now, SETTINGS) for now in (at(14, 5), at(15, 0, 5), at(23))]

    exhausted = condition(done.status, "Exhausted")
    assert (exhausted["status"], exhausted["reason"]) == ("True", "RepetitionsUsed")
    assert "all 3 occurrences are used" in exhausted["message"]
    assert events(done, "Exhausted") == [EventRequest("Normal", "Exhausted", exhausted["message"])]
    assert done.status["remainingRuns"] == 0
    assert "nextRunTime" not in done.status
    assert done.wake_at is None
    for plan in later:
        assert plan.creates == []
        assert events(plan, "Exhausted") == []
        assert condition(plan.status, "Exhausted")["status"] == "True"
        assert plan.status["remainingRuns"] == 0


def test_last_run_still_active_is_not_exhausted_yet() -> None:
    spec = {"schedule": "R1/2026-03-01T12:00:00Z/PT1H"}
    _, view = step(snapshot(spec), at(12, 0, 5))

    plan = decide(view, at(12, 30), SETTINGS)

    assert condition(plan.status, "Exhausted")["status"] == "False"
    assert events(plan, "Exhausted") == []
    assert plan.status["remainingRuns"] == 0
    assert "nextRunTime" not in plan.status


def test_finite_schedule_entirely_in_the_past_is_exhausted_at_once_and_keeps_its_message() -> None:
    spec = {"schedule": "R10/2012-10-01T05:52:00Z/PT2S"}
    view = snapshot(spec, created=at(9))

    first, view = step(view, at(9, 0, 1))
    later = [decide(view, now, SETTINGS) for now in (at(9, 0, 1), at(10), at(20, day=2))]

    assert first.creates == []
    assert first.status["skippedCount"] == 0
    exhausted = condition(first.status, "Exhausted")
    assert exhausted["status"] == "True"
    assert "all 10 occurrences are in the past" in exhausted["message"]
    assert events(first, "Exhausted") == [EventRequest("Normal", "Exhausted", exhausted["message"])]
    assert first.status["remainingRuns"] == 0
    assert "nextRunTime" not in first.status
    for plan in later:
        assert plan.events == []
        assert condition(plan.status, "Exhausted")["message"] == exhausted["message"]
        assert condition(plan.status, "Exhausted")["lastTransitionTime"] == exhausted["lastTransitionTime"]


def test_r0_is_exhausted_at_once() -> None:
    plan = decide(snapshot({"schedule": "R0/2026-03-01T12:00:00Z/PT1H"}), at(11), SETTINGS)

    assert plan.creates == []
    assert condition(plan.status, "Exhausted")["status"] == "True"
    assert plan.status["remainingRuns"] == 0


def test_schedule_change_clears_exhausted() -> None:
    _, view = step(snapshot({"schedule": "R10/2012-10-01T05:52:00Z/PT2S"}), at(12))

    plan = decide(with_spec(view, {"schedule": HOURLY}), at(12, 30), SETTINGS)

    exhausted = condition(plan.status, "Exhausted")
    assert (exhausted["status"], exhausted["message"]) == ("False", "")
    assert plan.status["nextRunTime"] == "2026-03-01T13:00:00.000Z"
    assert "remainingRuns" not in plan.status


# --- recording outcomes -------------------------------------------------------------------------------


def test_succeeded_run_is_counted_and_recorded() -> None:
    body = job_body("report-1772366400", due=at(12), created=at(12, 0, 2), complete=at(12, 3))
    view = snapshot(status={"errorsSinceLastSuccess": 2, "errorCount": 2}, runs=[run_from_job(body)])

    plan = decide(view, at(12, 3, 1), SETTINGS)

    assert plan.status["successCount"] == 1
    assert plan.status["errorsSinceLastSuccess"] == 0
    assert plan.status["errorCount"] == 2
    assert plan.status["lastSuccess"] == "2026-03-01T12:03:00.000Z"
    assert plan.status["lastStatus"] == "success"
    assert plan.mark_recorded == ["report-1772366400"]
    assert plan.status["history"] == [
        {
            "taskId": "ct:1772366400000:0:report:",
            "jobName": "report-1772366400",
            "trigger": "schedule",
            "outcome": "Succeeded",
            "finishTime": "2026-03-01T12:03:00.000Z",
            "scheduledTime": "2026-03-01T12:00:00.000Z",
            "startTime": "2026-03-01T12:00:02.000Z",
            "exitCode": 0,
        }
    ]
    assert plan.status["active"] == []


def test_runs_finishing_together_are_recorded_newest_first() -> None:
    old = {"jobName": "report-1772355600", "outcome": "Succeeded", "finishTime": "2026-03-01T09:01:00.000Z"}
    runs = [
        scheduled_run(at(11), outcome="Succeeded", finished=at(11, 30)),
        scheduled_run(at(10), outcome="Succeeded", finished=at(10, 30)),
    ]

    plan = decide(snapshot(status={"history": [old], "successCount": 1}, runs=runs), at(11, 31), SETTINGS)

    assert [h["jobName"] for h in plan.status["history"]] == [
        f"report-{unix(at(11))}",
        f"report-{unix(at(10))}",
        "report-1772355600",
    ]
    assert plan.status["successCount"] == 3
    assert plan.status["lastSuccess"] == "2026-03-01T11:30:00.000Z"
    assert sorted(plan.mark_recorded) == sorted(r.name for r in runs)


def test_failed_run_without_a_known_exit_code_is_fetched_first_and_not_counted_yet() -> None:
    body = job_body("report-1772366400", due=at(12), created=at(12, 0, 2), failed=at(12, 4))
    view = snapshot(runs=[run_from_job(body)])

    plan = decide(view, at(12, 4, 1), SETTINGS)

    assert plan.fetch_exit_codes == ["report-1772366400"]
    assert plan.mark_recorded == []
    assert plan.status["errorCount"] == 0
    assert "lastError" not in plan.status
    assert events(plan, "RunFailed") == []
    assert plan.deletes == []


def test_failed_run_is_counted_with_its_exit_code_once_it_is_known() -> None:
    body = job_body("report-1772366400", due=at(12), created=at(12, 0, 2), failed=at(12, 4))
    view = snapshot(
        status={
            "successCount": 4,
            "errorsSinceLastSuccess": 1,
            "errorCount": 1,
            "lastSuccess": "2026-03-01T11:00:00.000Z",
        },
        runs=[run_from_job(body)],
        exit_codes={"report-1772366400": 3},
    )

    plan = decide(view, at(12, 4, 2), SETTINGS)

    assert plan.fetch_exit_codes == []
    assert plan.mark_recorded == ["report-1772366400"]
    assert plan.status["errorCount"] == 2
    assert plan.status["errorsSinceLastSuccess"] == 2
    assert plan.status["successCount"] == 4
    assert plan.status["lastError"] == "2026-03-01T12:04:00.000Z"
    assert plan.status["lastStatus"] == "failure"
    entry = plan.status["history"][0]
    assert (entry["outcome"], entry["exitCode"], entry["reason"]) == ("Failed", 3, "BackoffLimitExceeded")
    (failed,) = events(plan, "RunFailed")
    assert failed.type == "Warning"
    assert "report-1772366400" in failed.message and "exit code 3" in failed.message


def test_failed_run_whose_exit_code_cannot_be_known_is_recorded_without_one() -> None:
    body = job_body("report-1772366400", due=at(12), created=at(12, 0, 2), failed=at(12, 4))
    view = snapshot(runs=[run_from_job(body)], exit_codes={"report-1772366400": None})

    plan = decide(view, at(12, 4, 2), SETTINGS)

    assert plan.status["errorCount"] == 1
    assert "exitCode" not in plan.status["history"][0]
    assert len(events(plan, "RunFailed")) == 1


def test_killed_run_changes_no_counter() -> None:
    body = job_body("report-1772366400", due=at(12), created=at(12, 0, 2), killed=at(12, 2))
    killed = run_from_job(body)
    status = {
        "successCount": 5,
        "errorCount": 1,
        "errorsSinceLastSuccess": 1,
        "lastError": "2026-02-01T00:00:00.000Z",
    }

    plan = decide(snapshot(status=status, runs=[killed]), at(12, 2, 1), SETTINGS)

    assert killed.outcome == "Killed"
    for key, value in status.items():
        assert plan.status[key] == value
    assert "lastSuccess" not in plan.status
    assert plan.fetch_exit_codes == []
    assert plan.mark_recorded == ["report-1772366400"]
    assert plan.status["history"][0]["outcome"] == "Killed"
    assert events(plan, "RunFailed") == []


def test_failed_job_marked_killed_is_a_kill_not_a_failure() -> None:
    body = job_body("report-1772366400", due=at(12), created=at(12, 0, 2), failed=at(12, 2), killed=at(12, 2))

    plan = decide(snapshot(runs=[run_from_job(body)]), at(12, 2, 1), SETTINGS)

    assert plan.status["errorCount"] == 0
    assert plan.fetch_exit_codes == []
    assert plan.status["history"][0]["outcome"] == "Killed"


def test_run_already_in_history_is_only_marked_never_counted_twice() -> None:
    body = job_body("report-1772366400", due=at(12), created=at(12, 0, 2), complete=at(12, 3))
    first = decide(snapshot(runs=[run_from_job(body)]), at(12, 3, 1), SETTINGS)
    # The status was written, then the operator crashed before annotating the Job.
    again = decide(snapshot(status=first.status, runs=[run_from_job(body)]), at(12, 5), SETTINGS)

    assert again.mark_recorded == ["report-1772366400"]
    assert again.status["successCount"] == 1
    assert len(again.status["history"]) == 1


def test_recorded_run_is_neither_counted_nor_marked_again() -> None:
    body = job_body("report-1772366400", due=at(12), created=at(12, 0, 2), complete=at(12, 3), recorded=True)

    plan = decide(snapshot(runs=[run_from_job(body)]), at(12, 5), SETTINGS)

    assert plan.mark_recorded == []
    assert plan.status["successCount"] == 0
    assert plan.status.get("history", []) == []


def test_history_is_capped_at_the_history_size_setting() -> None:
    old = [{"jobName": f"old-{i}", "outcome": "Succeeded"} for i in range(3)]
    runs = [scheduled_run(at(h), outcome="Succeeded", finished=at(h, 10)) for h in (9, 10)]

    plan = decide(snapshot(status={"history": old}, runs=runs), at(10, 11), Settings(history_size=3))

    assert [h["jobName"] for h in plan.status["history"]] == [
        f"report-{unix(at(10))}",
        f"report-{unix(at(9))}",
        "old-0",
    ]


@pytest.mark.parametrize(
    ("last_success", "last_error", "expected"),
    [
        (None, None, "fresh"),
        ("2026-03-01T10:00:00.000Z", None, "success"),
        (None, "2026-03-01T10:00:00.000Z", "failure"),
        ("2026-03-01T10:00:00.000Z", "2026-03-01T11:00:00.000Z", "failure"),
        ("2026-03-01T11:00:00.000Z", "2026-03-01T10:00:00.000Z", "success"),
        ("2026-03-01T10:00:00.000Z", "2026-03-01T10:00:00.000Z", "success"),
    ],
)
def test_last_status_compares_last_success_and_last_error(
    last_success: str | None, last_error: str | None, expected: str
) -> None:
    status = {k: v for k, v in (("lastSuccess", last_success), ("lastError", last_error)) if v}

    plan = decide(snapshot(status=status), at(11, 59, 40), SETTINGS)

    assert plan.status["lastStatus"] == expected


def test_success_after_a_failure_turns_last_status_back_to_success() -> None:
    _, view = step(snapshot(), at(12, 0, 5))
    view = finished(view, "report-1772366400", at(12, 1), "Failed")
    view = replace(view, exit_codes={"report-1772366400": 1})
    failed, view = step(view, at(12, 1, 1))
    _, view = step(view, at(13, 0, 5))
    view = finished(view, f"report-{unix(at(13))}", at(13, 1))

    succeeded = decide(view, at(13, 1, 1), SETTINGS)

    assert failed.status["lastStatus"] == "failure"
    assert succeeded.status["lastStatus"] == "success"
    assert succeeded.status["errorsSinceLastSuccess"] == 0
    assert succeeded.status["errorCount"] == 1


# --- history limits: finished Jobs to delete ----------------------------------------------------------


def test_finished_jobs_beyond_the_history_limits_are_deleted_newest_kept() -> None:
    spec = {"schedule": HOURLY, "successfulJobsHistoryLimit": 2, "failedJobsHistoryLimit": 1}
    ok = [scheduled_run(at(h), outcome="Succeeded", finished=at(h, 5), recorded=True) for h in (6, 7, 8, 9)]
    bad = [scheduled_run(at(h), outcome="Failed", finished=at(h, 5), recorded=True) for h in (4, 5)]

    plan = decide(snapshot(spec, runs=[*ok, *bad]), at(9, 30), SETTINGS)

    assert sorted(plan.deletes) == sorted([ok[0].name, ok[1].name, bad[0].name])


def test_default_history_limits_keep_three_successes_and_one_failure() -> None:
    ok = [scheduled_run(at(h), outcome="Succeeded", finished=at(h, 5), recorded=True) for h in (5, 6, 7, 8)]
    bad = [scheduled_run(at(h), outcome="Failed", finished=at(h, 5), recorded=True) for h in (3, 4)]

    plan = decide(snapshot(runs=[*ok, *bad]), at(9, 30), SETTINGS)

    assert sorted(plan.deletes) == sorted([ok[0].name, bad[0].name])


def test_active_and_unrecorded_finished_jobs_are_never_deleted() -> None:
    spec = {"schedule": HOURLY, "successfulJobsHistoryLimit": 0, "failedJobsHistoryLimit": 0}
    active = scheduled_run(at(9))
    awaiting_exit_code = scheduled_run(at(8), outcome="Failed", finished=at(8, 5))

    plan = decide(snapshot(spec, runs=[active, awaiting_exit_code]), at(9, 30), SETTINGS)

    assert plan.fetch_exit_codes == [awaiting_exit_code.name]
    assert plan.deletes == []


def test_runs_recorded_by_this_plan_count_toward_the_limits() -> None:
    spec = {"schedule": HOURLY, "successfulJobsHistoryLimit": 1}
    older = scheduled_run(at(7), outcome="Succeeded", finished=at(7, 5), recorded=True)
    newer = scheduled_run(at(8), outcome="Succeeded", finished=at(8, 5))

    plan = decide(snapshot(spec, runs=[older, newer]), at(8, 6), SETTINGS)

    assert plan.mark_recorded == [newer.name]
    assert plan.deletes == [older.name]


# --- invalid specs, policy and zones: Degraded --------------------------------------------------------


def degraded_snapshot(reason: str) -> JobSnapshot:
    if reason == "PolicyDenied":
        return snapshot(
            {"schedule": HOURLY, "container": {"type": "DOCKER", "image": "x", "network": "HOST"}},
            policy_error="spec.container.network: HOST (host network) is not allowed by the policy",
        )
    bad: dict[str, dict[str, Any]] = {
        "InvalidSpec": {"schedule": HOURLY, "cpus": -1},
        "UnknownTimeZone": {"schedule": HOURLY, "scheduleTimeZone": "Mars/Olympus_Mons"},
        "InvalidSchedule": {"schedule": "R/2026-03-01T12:00:00Z/PT0.5S"},
    }
    return snapshot(spec_error=spec_error_of(bad[reason]))


@pytest.mark.parametrize("reason", ["InvalidSpec", "UnknownTimeZone", "InvalidSchedule", "PolicyDenied"])
def test_unusable_spec_is_degraded_not_ready_with_one_warning_and_no_runs(reason: str) -> None:
    view = degraded_snapshot(reason)

    plan = decide(view, at(12, 0, 5), SETTINGS)  # 12:00 would be due

    degraded = condition(plan.status, "Degraded")
    ready = condition(plan.status, "Ready")
    assert (degraded["status"], degraded["reason"]) == ("True", reason)
    assert (ready["status"], ready["reason"]) == ("False", reason)
    assert degraded["message"] == (view.spec_error or view.policy_error)
    assert plan.creates == []
    assert "nextRunTime" not in plan.status
    assert [(e.type, e.reason, e.message) for e in plan.events] == [("Warning", reason, degraded["message"])]


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"schedule": HOURLY, "epsilon": "soon"}, "InvalidSchedule"),
        ({"schedule": "R/2026-03-01T12:00:00Z"}, "InvalidSchedule"),
        ({"schedule": HOURLY, "scheduleTimeZone": "Nowhere/Atlantis"}, "UnknownTimeZone"),
        ({"schedule": HOURLY, "runAsUser": "alice"}, "InvalidSpec"),
    ],
)
def test_spec_errors_name_the_reason_of_the_first_bad_field(spec: dict[str, Any], reason: str) -> None:
    plan = decide(snapshot(spec_error=spec_error_of(spec)), at(12, 0, 5), SETTINGS)

    assert condition(plan.status, "Degraded")["reason"] == reason


def test_schedule_the_engine_refuses_at_decision_time_is_invalid_schedule() -> None:
    bypassed = ChronosJobSpec.model_construct(schedule="every hour")

    plan = decide(snapshot(parsed=bypassed), at(12, 0, 5), SETTINGS)

    degraded = condition(plan.status, "Degraded")
    assert (degraded["status"], degraded["reason"]) == ("True", "InvalidSchedule")
    assert plan.creates == []


def test_zone_the_engine_refuses_at_decision_time_is_unknown_time_zone() -> None:
    bypassed = ChronosJobSpec.model_construct(schedule=HOURLY, scheduleTimeZone="Mars/Olympus_Mons")

    plan = decide(snapshot(parsed=bypassed), at(12, 0, 5), SETTINGS)

    assert condition(plan.status, "Degraded")["reason"] == "UnknownTimeZone"
    assert plan.creates == []


def test_degraded_warning_is_posted_only_on_the_transition() -> None:
    error = spec_error_of({"schedule": HOURLY, "cpus": -1})
    first, view = step(snapshot(spec_error=error), at(12, 0, 5))

    again = decide(view, at(13, 0, 5), SETTINGS)

    assert len(events(first, "InvalidSpec")) == 1
    assert again.events == []
    assert condition(again.status, "Degraded")["lastTransitionTime"] == "2026-03-01T12:00:05.000Z"


def test_fixing_the_spec_clears_degraded_and_schedules_again() -> None:
    view = outage_view()
    _, view = step(replace(view, spec=None, spec_error=spec_error_of({"cpus": -1})), at(12, 30))

    plan = decide(with_spec(view, {"schedule": HOURLY}), at(13, 0, 5), SETTINGS)

    degraded = condition(plan.status, "Degraded")
    ready = condition(plan.status, "Ready")
    assert (degraded["status"], degraded["reason"], degraded["message"]) == ("False", "AsExpected", "")
    assert degraded["lastTransitionTime"] == "2026-03-01T13:00:05.000Z"
    assert (ready["status"], ready["reason"]) == ("True", "Scheduling")
    assert [r.scheduled for r in plan.creates] == [at(13)]
    assert plan.events == []
    assert plan.status["successCount"] == 1


def test_schedule_fixed_after_creation_counts_nothing_missed_before_the_fix() -> None:
    error = spec_error_of({"schedule": "R/2026-03-01T12:00:00Z/PT0.5S"})
    _, view = step(snapshot(spec_error=error), at(11, 59, 40))
    _, view = step(view, at(14, 0, 5))

    plan = decide(with_spec(view, {"schedule": HOURLY}), at(16, 30), SETTINGS)

    assert plan.creates == []
    assert plan.status["skippedCount"] == 0
    assert events(plan, "MissedSchedule") == []
    assert plan.status["nextRunTime"] == "2026-03-01T17:00:00.000Z"


def test_finished_runs_are_still_recorded_while_degraded() -> None:
    error = spec_error_of({"schedule": HOURLY, "cpus": -1})
    done = scheduled_run(at(12), outcome="Succeeded", finished=at(12, 5))

    plan = decide(snapshot(spec_error=error, runs=[done]), at(12, 6), SETTINGS)

    assert plan.status["successCount"] == 1
    assert plan.mark_recorded == [done.name]


def test_degraded_status_keeps_the_schedule_cursor_and_counters() -> None:
    view = outage_view()

    plan = decide(replace(view, spec=None, spec_error=spec_error_of({"cpus": -1})), at(12, 30), SETTINGS)

    assert cursor(plan.status) == cursor(view.status)
    assert plan.status["successCount"] == 1
    assert "scheduleDisplay" in plan.status  # the last one shown stays


# --- dependency jobs and run-once jobs ----------------------------------------------------------------


def test_dependency_job_has_no_scheduled_runs() -> None:
    spec = {"parents": ["extract", "load"]}

    for now in (at(11, 59, 31), at(12, 0, 5), at(18)):
        plan = decide(snapshot(spec), now, SETTINGS)

        assert plan.creates == []
        assert "scheduleCursor" not in plan.status
        assert "nextRunTime" not in plan.status
        assert plan.status["skippedCount"] == 0
        assert plan.status["scheduleDisplay"] == "after: extract, load"
        assert condition(plan.status, "Ready")["status"] == "True"
        assert plan.events == []


def test_job_without_schedule_or_parents_runs_once_at_its_creation() -> None:
    created = datetime(2026, 3, 1, 11, 59, 30, 250000, tzinfo=UTC)
    view = snapshot({}, created=created)

    plan, view = step(view, created + timedelta(seconds=1))

    assert [(r.job_name, r.scheduled, r.trigger) for r in plan.creates] == [
        (f"report-{unix(created)}", created, "schedule")
    ]
    assert plan.creates[0].task_id == f"ct:{millis(created)}:0:report:"
    assert cursor(plan.status)["expression"] == "R1//PT24H|"
    assert plan.status["remainingRuns"] == 0
    assert "nextRunTime" not in plan.status
    assert plan.status["scheduleDisplay"] == "once"

    view = finished(view, f"report-{unix(created)}", at(12, 5))
    done, view = step(view, at(12, 5))
    a_day_later = decide(view, created + timedelta(days=1, seconds=5), SETTINGS)

    assert done.creates == [] and a_day_later.creates == []
    assert condition(done.status, "Exhausted")["status"] == "True"
    assert "its only occurrence is used" in condition(done.status, "Exhausted")["message"]
    assert len(events(done, "Exhausted")) == 1
    assert a_day_later.events == []


# --- status_patch -------------------------------------------------------------------------------------


def test_status_patch_holds_only_changed_keys() -> None:
    old = {"successCount": 1, "state": "idle", "history": [{"jobName": "a"}]}
    new = {"successCount": 2, "state": "idle", "history": [{"jobName": "a"}]}

    assert status_patch(old, new) == {"successCount": 2}


def test_status_patch_sets_removed_keys_to_none() -> None:
    old = {"nextRunTime": "2026-03-01T13:00:00.000Z", "remainingRuns": 2, "state": "idle"}
    new = {"state": "idle", "skippedCount": 0}

    assert status_patch(old, new) == {"nextRunTime": None, "remainingRuns": None, "skippedCount": 0}


def test_status_patch_of_equal_statuses_is_empty() -> None:
    status = {"scheduleCursor": {"expression": f"{HOURLY}|", "lastIndex": 3}, "active": []}

    assert status_patch(status, {**status}) == {}
    assert status_patch({}, {}) == {}


def test_status_patch_replaces_a_changed_nested_value_whole() -> None:
    old = {"scheduleCursor": {"expression": "a|", "effectiveFrom": "x", "lastIndex": 3}}
    new = {"scheduleCursor": {"expression": "a|", "effectiveFrom": "x", "lastIndex": 4}}

    assert status_patch(old, new) == {"scheduleCursor": new["scheduleCursor"]}


def test_decide_never_mutates_the_snapshot_status() -> None:
    view = outage_view()
    before = copy.deepcopy(dict(view.status))

    decide(view, at(17, 0, 30), SETTINGS)

    assert view.status == before
