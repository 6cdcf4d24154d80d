"""Runs: what the operator knows of one batch/v1 Job it created for a ChronosJob.

Read from the Job's labels, annotations and status; pure, so the view and `decide` can share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chronos_operator import labels
from chronos_operator.schedule import parse_instant


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

    @property
    def active(self) -> bool:
        return self.outcome is None

    @property
    def pending(self) -> bool:
        """Created but no pod has started yet (Chronos' "queued")."""
        return self.outcome is None and self.started is None


def _instant(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return parse_instant(value)
    except ValueError:
        return None


def _terminal(conditions: list[Mapping[str, Any]]) -> tuple[str | None, str, str, datetime | None]:
    for cond in conditions:
        if cond.get("status") != "True":
            continue
        if cond.get("type") == "Complete":
            return "Succeeded", cond.get("reason") or "", cond.get("message") or "", None
        if cond.get("type") == "Failed":
            when = _instant(cond.get("lastTransitionTime"))
            return "Failed", cond.get("reason") or "", cond.get("message") or "", when
    return None, "", "", None


def run_from_job(body: Mapping[str, Any]) -> Run:
    """A Run from a batch/v1 Job body (a dict as the API returns it)."""
    meta = body.get("metadata") or {}
    ann = meta.get("annotations") or {}
    lab = meta.get("labels") or {}
    status = body.get("status") or {}
    outcome, reason, message, failed_at = _terminal(status.get("conditions") or [])
    finished = _instant(status.get("completionTime")) or failed_at
    if ann.get(labels.KILLED):
        # A kill deletes or fails the Job; whatever the Job controller says, it was killed.
        outcome, reason = "Killed", reason or "Killed"
        finished = finished or _instant(ann.get(labels.KILLED))
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
        scheduled=_instant(ann.get(labels.SCHEDULED_TIME)),
        task_id=ann.get(labels.TASK_ID, ""),
        arguments=ann.get(labels.ARGUMENTS, ""),
        created=_instant(meta.get("creationTimestamp")),
        started=_instant(status.get("startTime")) if status.get("active") or finished else None,
        finished=finished if outcome else None,
        outcome=outcome,
        reason=reason,
        message=message,
        recorded=ann.get(labels.RECORDED) == "true",
        resource_version=meta.get("resourceVersion", ""),
    )
