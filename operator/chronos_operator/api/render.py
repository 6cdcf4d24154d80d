"""Chronos' JSON shapes and statistics computed from the view's entries (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from chronos_operator.model.chronos import to_chronos_json
from chronos_operator.model.status import ChronosJobStatus
from chronos_operator.schedule import read_instant
from chronos_operator.scheduler.runs import Run
from chronos_operator.scheduler.view import Entry

PERCENTILES = {
    "median": 0.5,
    "75thPercentile": 0.75,
    "95thPercentile": 0.95,
    "98thPercentile": 0.98,
    "99thPercentile": 0.99,
    "mean": None,
}


def job_status(entry: Entry) -> ChronosJobStatus:
    try:
        return ChronosJobStatus.model_validate(entry.status)
    except ValidationError:
        return ChronosJobStatus()


def job_json(entry: Entry, default_epsilon: str) -> dict[str, Any]:
    """The job as Chronos serializes it; a spec the operator cannot read is shown as stored."""
    if entry.spec is None:
        return {**entry.raw_spec, "name": entry.chronos_name}
    return to_chronos_json(
        entry.spec, job_status(entry), name=entry.chronos_name, default_epsilon=default_epsilon
    )


def list_compatible(job: dict[str, Any]) -> dict[str, Any]:
    """`GET jobs` fills `fetch` from `uris` when empty, else `uris` from `fetch` (Chronos)."""
    fetch, uris = job.get("fetch") or [], job.get("uris") or []
    if not fetch and uris:
        job["fetch"] = [
            {"uri": u, "output_file": "", "executable": False, "cache": False, "extract": True} for u in uris
        ]
    elif fetch and not uris:
        job["uris"] = [f.get("uri", "") for f in fetch]
    return job


def last_status(entry: Entry) -> str:
    status = entry.status
    if status.get("lastStatus") in ("fresh", "success", "failure"):
        return str(status["lastStatus"])
    success, error = status.get("lastSuccess") or "", status.get("lastError") or ""
    if not success and not error:
        return "fresh"
    return "success" if success > error else "failure"


def quantile(values: list[float], q: float | None) -> float:
    """Codahale's snapshot value at quantile q (None: the mean); 0 without values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    if q is None:
        return sum(ordered) / len(ordered)
    pos = q * (len(ordered) + 1)
    index = int(pos)
    if index < 1:
        return ordered[0]
    if index >= len(ordered):
        return ordered[-1]
    lower, upper = ordered[index - 1], ordered[index]
    return lower + (pos - index) * (upper - lower)


def durations(entry: Entry) -> list[float]:
    """Seconds taken by the successful runs in status.history (Chronos timed successes)."""
    result: list[float] = []
    for record in entry.status.get("history") or []:
        if not isinstance(record, Mapping) or record.get("outcome") != "Succeeded":
            continue
        start, end = read_instant(record.get("startTime")), read_instant(record.get("finishTime"))
        if start and end and end >= start:
            result.append((end - start).total_seconds())
    return result


def histogram(values: list[float]) -> dict[str, float]:
    result = {name: quantile(values, q) for name, q in PERCENTILES.items()}
    return {**result, "count": len(values)}


def _chronos_time(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%m/%d/%y %H:%M:%S") if value else "N/A"


def _duration_text(seconds: float) -> str:
    left = int(seconds)
    days, left = divmod(left, 86400)
    hours, left = divmod(left, 3600)
    minutes, secs = divmod(left, 60)
    text = "".join(f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "m")) if v)
    return f"{text}{secs}s"


def task_stat_history(entry: Entry, runs: Iterable[Run]) -> list[dict[str, Any]]:
    """Active runs, then status.history newest first, in Chronos' taskStatHistory shape."""
    items: list[dict[str, Any]] = []
    for run in sorted(
        (r for r in runs if r.active), key=lambda r: r.created or datetime.min.replace(tzinfo=UTC)
    ):
        items.append(
            {
                "taskId": run.task_id,
                "jobName": entry.chronos_name,
                "slaveId": run.name,
                "startTime": _chronos_time(run.started or run.created),
                "endTime": "N/A",
                "status": "Running" if run.started else "Idle",
            }
        )
    for record in entry.status.get("history") or []:  # newest first, as the operator keeps it
        if not isinstance(record, Mapping) or record.get("outcome") == "Skipped":
            continue
        start, end = read_instant(record.get("startTime")), read_instant(record.get("finishTime"))
        item: dict[str, Any] = {
            "taskId": record.get("taskId") or "",
            "jobName": entry.chronos_name,
            "slaveId": record.get("jobName") or "",
            "startTime": _chronos_time(start),
            "endTime": _chronos_time(end),
            "status": "Success" if record.get("outcome") == "Succeeded" else "Fail",
        }
        if start and end and end >= start:
            item["duration"] = _duration_text((end - start).total_seconds())
        items.append(item)
    return items
