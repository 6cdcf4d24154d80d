"""Watch handlers for ChronosJobs and their run Jobs. The view is passed in kopf's `memo`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import kopf

from chronos_operator import labels
from chronos_operator.notify import Notification
from chronos_operator.scheduler.view import View, owner_of
from chronos_operator.settings import Settings


def _raw(event: Any) -> dict[str, Any]:
    return dict(event.get("object") or {})


@kopf.on.event(labels.GROUP, labels.VERSION, labels.PLURAL)
async def chronosjob_event(event: Any, memo: Any, **_: Any) -> None:
    view: View = memo.view
    settings: Settings = memo.settings
    body = _raw(event)
    meta = body.get("metadata") or {}
    namespace, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
    if event.get("type") == "DELETED" or not settings.watches(namespace, meta.get("labels")):
        entry = view.jobs.get((namespace, name))
        view.delete_job(namespace, name)
        if entry is not None and event.get("type") == "DELETED":
            await announce_deletion(
                memo, entry.namespace, entry.name, entry.uid, entry.chronos_name, entry.spec
            )
    else:
        view.upsert_job(body)


@kopf.on.event("batch", "v1", "jobs", labels={labels.MANAGED_BY: labels.MANAGED_BY_VALUE})
async def run_event(event: Any, memo: Any, **_: Any) -> None:
    view: View = memo.view
    body = _raw(event)
    meta = body.get("metadata") or {}
    if event.get("type") == "DELETED":
        view.delete_run(str(meta.get("namespace", "")), owner_of(body), str(meta.get("name", "")))
    else:
        view.upsert_run(body)


async def announce_deletion(
    memo: Any, namespace: str, name: str, uid: str, chronos_name: str, spec: Any
) -> None:
    """Contract §7: deletion is posted as an Event and sent to the owners."""
    message = f"ChronosJob {chronos_name} was deleted; its runs are removed with it"
    involved = {"namespace": namespace, "name": name, "uid": uid}
    await memo.scheduler.writer.post_event(involved, "Normal", "Deleted", message)
    if memo.notifier is not None:
        memo.notifier.notify(
            Notification(
                kind="deleted",
                namespace=namespace,
                name=name,
                chronos_name=chronos_name,
                owner=str(getattr(spec, "owner", "") or ""),
                message=message,
                time=datetime.now(UTC),
            )
        )
