"""Runs: what the operator knows of one batch/v1 Job it created for a ChronosJob.

Read from the Job's labels, annotations and status; pure, so the view and `decide` can share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chronos_operator import labels
from chronos_operator.schedule import read_instant


@dataclass(frozen=True)
class Run:
    name: str
    uid: str
    owner: str  # the ChronosJob's metadata.name
    owner_uid: str
    trigger: str  # schedule | manual | dependency
    scheduled: datetime | None
    task_id: str
    arguments: str
    created: datetime | None
    started: datetime | None
    finished: datetime | None
    outcome: str | None  # None while active; Succeeded | Failed | Killed
    reason: str
    message: str
    recorded: bool
    resource_version: str = ""
    is_async: bool = False
    reported_code: int | None = None  # async runs: the status code reported for the run

    @property
    def active(self) -> bool:
        return self.outcome is None

    @property
    def pending(self) -> bool:
        """Created but no pod has started yet (Chronos' "queued")."""
        return self.outcome is None and self.started is None


def _terminal(conditions: list[Mapping[str, Any]]) -> tuple[str | None, str, str, datetime | None]:
    for cond in conditions:
        if cond.get("status") != "True":
            continue
        if cond.get("type") == "Complete":
            return "Succeeded", cond.get("reason") or "", cond.get("message") or "", None
        if cond.get("type") == "Failed":
            when = read_instant(cond.get("lastTransitionTime"))
            return "Failed", cond.get("reason") or "", cond.get("message") or "", when
    return None, "", "", None


def run_from_job(body: Mapping[str, Any]) -> Run:
    """A Run from a batch/v1 Job body (a dict as the API returns it)."""
    meta = body.get("metadata") or {}
    ann = meta.get("annotations") or {}
    lab = meta.get("labels") or {}
    status = body.get("status") or {}
    outcome, reason, message, failed_at = _terminal(status.get("conditions") or [])
    finished = read_instant(status.get("completionTime")) or failed_at
    is_async = ann.get(labels.ASYNC) == "true"
    reported: int | None = None
    if is_async and outcome != "Failed":
        raw = ann.get(labels.STATUS_CODE)
        try:
            reported = int(raw) if raw is not None else None
        except ValueError:
            reported = 1  # a code that is not a number is a failure report, not a success
        if reported is None:
            outcome, finished = None, None  # the pod may be done; the run is not, until reported
        else:
            outcome = "Succeeded" if reported == 0 else "Failed"
            reason = ann.get(labels.STATUS_REASON) or ("Completed" if reported == 0 else "StatusCode")
            message = f"reported status code {reported}"
            finished = finished or read_instant(meta.get("creationTimestamp"))
    if ann.get(labels.KILLED):
        # A kill deletes or fails the Job; whatever the Job controller says, it was killed.
        outcome, reason = "Killed", reason or "Killed"
        finished = finished or read_instant(ann.get(labels.KILLED))
    return Run(
        name=meta.get("name", ""),
        uid=meta.get("uid", ""),
        owner=lab.get(labels.JOB_LABEL, ""),
        owner_uid=next(
            (
                str(o.get("uid", ""))
                for o in meta.get("ownerReferences") or []
                if o.get("kind") == labels.KIND
            ),
            "",
        ),
        trigger=lab.get(labels.TRIGGER_LABEL, "schedule"),
        scheduled=read_instant(ann.get(labels.SCHEDULED_TIME)),
        task_id=ann.get(labels.TASK_ID, ""),
        arguments=ann.get(labels.ARGUMENTS, ""),
        created=read_instant(meta.get("creationTimestamp")),
        started=read_instant(status.get("startTime")) if status.get("active") or finished else None,
        finished=finished if outcome else None,
        outcome=outcome,
        reason=reason,
        message=message,
        recorded=ann.get(labels.RECORDED) == "true",
        resource_version=meta.get("resourceVersion", ""),
        is_async=is_async,
        reported_code=reported,
    )
