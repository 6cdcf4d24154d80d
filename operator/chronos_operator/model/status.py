"""``ChronosJob.status``: Chronos' counters plus the durable state the operator resumes from
(schedule cursor, dependency cursors, processed trigger tokens, run history).

Times are RFC 3339 strings in UTC with milliseconds and ``Z`` (``2024-01-01T00:00:00.000Z``,
``chronos_operator.schedule.format_instant``), as Chronos printed lastSuccess and lastError.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import StatusModel

Trigger = Literal["schedule", "manual", "dependency"]
Outcome = Literal["Succeeded", "Failed", "Killed", "Skipped"]
LastStatus = Literal["fresh", "success", "failure"]
ConditionStatus = Literal["True", "False", "Unknown"]

STATE_PATTERN = r"^(idle|queued|running|[0-9]+ running)$"
HISTORY_LIMIT = 20  # status.history keeps the last 20 runs


class ActiveRun(StatusModel):
    """A run that has started and not yet finished."""

    jobName: str = Field(description="Name of the run's batch/v1 Job.")
    taskId: str = Field(
        description="Chronos task id, ct:<due epoch ms>:<attempt>:<chronos name>:<arguments>."
    )
    trigger: Trigger = Field(description="What started the run: schedule, manual or dependency.")
    scheduledTime: str | None = Field(None, description="When the run was due (RFC 3339, UTC).")
    startTime: str | None = Field(None, description="When the run's Job was created (RFC 3339, UTC).")


class RunRecord(StatusModel):
    """A finished run, or a skipped occurrence."""

    taskId: str | None = Field(None, description="Chronos task id of the run.")
    jobName: str | None = Field(
        None, description="Name of the run's batch/v1 Job (none for a skipped occurrence)."
    )
    trigger: Trigger = Field(description="What started the run: schedule, manual or dependency.")
    scheduledTime: str | None = Field(None, description="When the run was due (RFC 3339, UTC).")
    startTime: str | None = Field(None, description="When the run started (RFC 3339, UTC).")
    finishTime: str | None = Field(None, description="When the run finished (RFC 3339, UTC).")
    outcome: Outcome = Field(description="Succeeded, Failed, Killed or Skipped.")
    exitCode: int | None = Field(None, description="Exit code of the last attempt's container, when known.")
    reason: str | None = Field(
        None, description="Why it ended so, e.g. BackoffLimitExceeded, DeadlineExceeded."
    )
    arguments: str | None = Field(
        None, description="The run's arguments as in its task id (manual runs may override)."
    )


class Condition(StatusModel):
    """A Kubernetes condition (metav1.Condition): Ready, ParentsReady, Exhausted or Degraded."""

    type: str = Field(min_length=1, description="Ready, ParentsReady, Exhausted or Degraded.")
    status: ConditionStatus = Field(description="True, False or Unknown.")
    reason: str = Field(
        "",
        description="CamelCase reason, e.g. InvalidSchedule, UnknownTimeZone, ParentNotFound, "
        "DependencyCycle, UnsupportedField, PolicyDenied.",
    )
    message: str = Field("", description="Human-readable details, naming the field concerned.")
    lastTransitionTime: str | None = Field(None, description="When status last changed (RFC 3339).")
    observedGeneration: int | None = Field(
        None, description="metadata.generation the condition was computed from."
    )


class ScheduleCursor(StatusModel):
    """Where the schedule stands, so a restarted operator continues where it stopped."""

    expression: str = Field(
        description="The effective schedule the cursor belongs to: schedule + '|' + scheduleTimeZone. When "
        "it differs from the spec, the schedule changed and the cursor restarts."
    )
    effectiveFrom: str = Field(
        description="When this expression took effect (creation, change or re-enabling); occurrences before "
        "it were never missed (RFC 3339, UTC)."
    )
    lastIndex: int | None = Field(
        None, ge=0, description="The last consumed occurrence index (ran or skipped); unset = none yet."
    )
    catchUp: bool | None = Field(
        None,
        description="Whether the last occurrence before effectiveFrom may still run (false after "
        "re-enabling: what fell in the pause never runs).",
    )
    paused: bool | None = Field(None, description="The job is disabled: the cursor does not move.")


class ParentCursor(StatusModel):
    """The last run of one parent that this job has consumed."""

    consumed: str | None = Field(
        None,
        description="When the parent's last consumed run finished (RFC 3339, UTC): only parent runs "
        "that finish later release this job.",
    )


class ChronosJobStatus(StatusModel):
    """Observed state, written only by the operator: Chronos' counters, the next run, active runs
    and history."""

    observedGeneration: int | None = Field(
        None, description="metadata.generation the operator last acted on."
    )
    successCount: int = Field(
        0, ge=0, description="Successful runs (Chronos `successCount`). Spec edits keep it."
    )
    errorCount: int = Field(
        0, ge=0, description="Runs that failed after all attempts (Chronos `errorCount`). Spec edits keep it."
    )
    errorsSinceLastSuccess: int = Field(
        0, ge=0, description="Failed runs since the last success (Chronos `errorsSinceLastSuccess`)."
    )
    skippedCount: int = Field(
        0, ge=0, description="Occurrences skipped because they could not start within epsilon."
    )
    lastSuccess: str | None = Field(
        None, description="When the last successful run finished (Chronos `lastSuccess`)."
    )
    lastError: str | None = Field(
        None, description="When the last failed run finished (Chronos `lastError`)."
    )
    nextRunTime: str | None = Field(
        None, description="The next scheduled occurrence; unset when there is none."
    )
    remainingRuns: int | None = Field(
        None, ge=0, description="Repetitions left for R<n> schedules; unset = forever (R) or no schedule."
    )
    state: str = Field(
        "idle",
        pattern=STATE_PATTERN,
        description="idle, queued, running or '<n> running' (Chronos' job state).",
    )
    lastStatus: LastStatus = Field(
        "fresh", description="Outcome of the last finished run: fresh (none yet), success or failure."
    )
    scheduleDisplay: str | None = Field(
        None,
        description="What kubectl get shows as Schedule: the schedule, 'after: <parents>' or 'once' "
        "(chronos_operator.model.display_schedule).",
    )
    active: list[ActiveRun] = Field(default_factory=list, description="Runs in progress.")
    history: list[RunRecord] = Field(
        default_factory=list,
        description=f"The last {HISTORY_LIMIT} finished runs and skipped occurrences, newest last.",
    )
    conditions: list[Condition] = Field(
        default_factory=list,
        description="Ready, ParentsReady, Exhausted and Degraded, with reasons.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )
    scheduleCursor: ScheduleCursor | None = Field(None, description="Where the schedule stands.")
    recordedRuns: list[str] | None = Field(
        None,
        description="Runs already counted whose Job does not carry the chronos.dev/recorded mark yet; "
        "operator bookkeeping, so that no run is counted twice.",
    )
    parentCursors: dict[str, ParentCursor] = Field(
        default_factory=dict, description="Per parent (Chronos name): the parent run this job last consumed."
    )
    triggers: dict[str, str] = Field(
        default_factory=dict,
        description="Per trigger annotation (run-now, mark-success, kill): the last token processed.",
    )
