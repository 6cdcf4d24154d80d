"""The local control plane is real: the Job controller, garbage collector, CronJob controller,
scheduler, RBAC and kwok's deterministic pod outcomes all work as in a cluster."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import kubernetes
import pytest
from tests.helpers import wait_for
from tests.integration.conftest import Cluster

pytestmark = pytest.mark.integration


def job_manifest(name: str, *, exit_code: int = 0, duration: str = "1s", backoff_limit: int = 0) -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": backoff_limit,
            "template": {
                "metadata": {
                    "annotations": {
                        "chronos.test/exit-code": str(exit_code),
                        "chronos.test/duration": duration,
                    }
                },
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "main", "image": "busybox", "command": ["true"]}],
                },
            },
        },
    }


def job_condition(batch: kubernetes.client.BatchV1Api, ns: str, name: str, kind: str) -> bool:
    job = batch.read_namespaced_job(name, ns)
    return any(c.type == kind and c.status == "True" for c in job.status.conditions or [])


def test_kwok_nodes_are_ready(cluster: Cluster) -> None:
    out = cluster.kubectl("get", "nodes", "--no-headers").stdout
    lines = [line.split() for line in out.strip().splitlines()]
    assert len(lines) >= 2
    assert all(cols[1] == "Ready" for cols in lines), out


def test_plain_job_completes(cluster: Cluster, namespace: str) -> None:
    batch = kubernetes.client.BatchV1Api(cluster.api_client())
    batch.create_namespaced_job(namespace, job_manifest("ok"))
    wait_for(lambda: job_condition(batch, namespace, "ok", "Complete"), timeout=60, message="Job Complete")
    assert batch.read_namespaced_job("ok", namespace).status.succeeded == 1


def test_pod_exit_code_from_annotation_fails_the_job(cluster: Cluster, namespace: str) -> None:
    batch = kubernetes.client.BatchV1Api(cluster.api_client())
    core = kubernetes.client.CoreV1Api(cluster.api_client())
    batch.create_namespaced_job(namespace, job_manifest("bad", exit_code=3))
    wait_for(lambda: job_condition(batch, namespace, "bad", "Failed"), timeout=60, message="Job Failed")
    job = batch.read_namespaced_job("bad", namespace)
    assert job.status.failed == 1
    assert not job.status.succeeded
    pods = core.list_namespaced_pod(namespace, label_selector="job-name=bad").items
    assert len(pods) == 1
    state = pods[0].status.container_statuses[0].state
    assert state.terminated.exit_code == 3
    assert pods[0].status.phase == "Failed"


def test_pod_runs_for_the_duration_from_its_annotation(cluster: Cluster, namespace: str) -> None:
    batch = kubernetes.client.BatchV1Api(cluster.api_client())
    core = kubernetes.client.CoreV1Api(cluster.api_client())
    batch.create_namespaced_job(namespace, job_manifest("slow", duration="4s"))

    def running_pod() -> object:
        pods = core.list_namespaced_pod(namespace, label_selector="job-name=slow").items
        return pods and pods[0].status.phase == "Running" and pods[0]

    wait_for(running_pod, timeout=30, message="pod Running")
    seen_running = time.monotonic()
    wait_for(lambda: job_condition(batch, namespace, "slow", "Complete"), timeout=60, message="Job Complete")
    pod = core.list_namespaced_pod(namespace, label_selector="job-name=slow").items[0]
    started = pod.status.start_time
    finished = pod.status.container_statuses[0].state.terminated.finished_at
    assert (finished - started).total_seconds() >= 3.5
    assert time.monotonic() - seen_running >= 2.5


def test_garbage_collector_deletes_dependents_of_a_deleted_owner(cluster: Cluster, namespace: str) -> None:
    core = kubernetes.client.CoreV1Api(cluster.api_client())
    owner = core.create_namespaced_config_map(namespace, {"metadata": {"name": "owner"}})
    core.create_namespaced_config_map(
        namespace,
        {
            "metadata": {
                "name": "dependent",
                "ownerReferences": [
                    {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner.metadata.uid}
                ],
            }
        },
    )
    core.delete_namespaced_config_map("owner", namespace)

    def dependent_gone() -> bool:
        try:
            core.read_namespaced_config_map("dependent", namespace)
        except kubernetes.client.ApiException as e:
            return e.status == 404
        return False

    wait_for(dependent_gone, timeout=60, message="the dependent ConfigMap to be collected")


def test_unprivileged_token_is_denied_by_rbac(cluster: Cluster, namespace: str) -> None:
    core = kubernetes.client.CoreV1Api(cluster.api_client(cluster.user_token))
    with pytest.raises(kubernetes.client.ApiException) as err:
        core.list_namespaced_pod(namespace)
    assert err.value.status == 403


@pytest.mark.slow
def test_cronjob_every_minute_creates_a_job_within_70_seconds(cluster: Cluster, namespace: str) -> None:
    batch = kubernetes.client.BatchV1Api(cluster.api_client())
    template = job_manifest("x")["spec"]
    batch.create_namespaced_cron_job(
        namespace,
        {
            "metadata": {"name": "every-minute"},
            "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": template}},
        },
    )
    created = datetime.now(UTC)
    jobs = wait_for(
        lambda: batch.list_namespaced_job(namespace).items, timeout=70, message="a Job from the CronJob"
    )
    ann = jobs[0].metadata.annotations or {}
    assert "batch.kubernetes.io/cronjob-scheduled-timestamp" in ann
    assert (datetime.now(UTC) - created).total_seconds() <= 70
