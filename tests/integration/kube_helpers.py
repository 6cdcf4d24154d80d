"""Small helpers for tests that create ChronosJobs and read their runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import kubernetes
from tests.integration.conftest import Cluster

GROUP, VERSION, PLURAL = "chronos.dev", "v1alpha1", "chronosjobs"


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def soon(seconds: float) -> datetime:
    """A whole second at least `seconds` from now."""
    return (datetime.now(UTC) + timedelta(seconds=seconds + 1)).replace(microsecond=0)


def create_chronosjob(cluster: Cluster, namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    api = kubernetes.client.CustomObjectsApi(cluster.api_client())
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "ChronosJob",
        "metadata": {"name": name},
        "spec": spec,
    }
    return dict(api.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body))


def patch_spec(cluster: Cluster, namespace: str, name: str, spec: dict[str, Any]) -> None:
    api = kubernetes.client.CustomObjectsApi(cluster.api_client())
    api.patch_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, name, {"spec": spec}, _content_type="application/merge-patch+json"
    )


def get_chronosjob(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    api = kubernetes.client.CustomObjectsApi(cluster.api_client())
    return dict(api.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name))


def status_of(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    return dict(get_chronosjob(cluster, namespace, name).get("status") or {})


def condition(status: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((c for c in status.get("conditions") or [] if c.get("type") == kind), None)


def runs_of(cluster: Cluster, namespace: str, name: str) -> list[Any]:
    """The run Jobs of a ChronosJob, oldest scheduled first."""
    batch = kubernetes.client.BatchV1Api(cluster.api_client())
    jobs = batch.list_namespaced_job(namespace, label_selector=f"chronos.dev/job={name}").items
    return sorted(jobs, key=lambda j: j.metadata.annotations.get("chronos.dev/scheduled-time", ""))


def scheduled_time(job: Any) -> datetime:
    text = job.metadata.annotations["chronos.dev/scheduled-time"]
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def finished(job: Any) -> bool:
    return any(c.type in ("Complete", "Failed") and c.status == "True" for c in job.status.conditions or [])
