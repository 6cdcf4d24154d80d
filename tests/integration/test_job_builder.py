"""build_job on a real API server: a ChronosJob that uses every field (two variants, because
schedule/parents, uris/fetch and shell/argv exclude each other) is accepted by the CRD, and the Job
built from it is accepted by a server-side dry run, as is a Pod from its template (admission
resolves the high priority class)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import kubernetes
import pytest
from tests.integration.conftest import Cluster

from chronos_operator.kube.jobs import MULTUS_NETWORKS, build_job, policy_problems, unsupported_fields
from chronos_operator.model.spec import validate_spec
from chronos_operator.scheduler.decide import JobSnapshot, RunRequest, run_job_name, task_id
from chronos_operator.settings import Settings

pytestmark = pytest.mark.integration

GROUP, VERSION, PLURAL = "chronos.dev", "v1alpha1", "chronosjobs"
PRIORITY_VALUE = 1_000_000
SERVICE_ACCOUNT = "chronos-runs"
DUE = datetime(2024, 6, 1, 2, 30, tzinfo=UTC)


def common_fields() -> dict[str, Any]:
    """Every field that does not exclude another one. highPriority names no class: that is the
    operator's setting."""
    return {
        "name": "EVERY_FIELD.job-1",
        "retries": 3,
        "async": True,
        "concurrent": True,
        "disabled": False,
        "softError": True,
        "highPriority": True,
        "owner": "ops@example.com,dev@example.com",
        "ownerName": "Data Platform",
        "description": "a job that uses every ChronosJob field",
        "cpus": 0.25,
        "mem": 96.5,
        "disk": 300,
        "gpus": 1,
        "maxCompletionTime": 1800,
        "runAsUser": "nobody",
        "environmentVariables": [
            {"name": "STAGE", "value": "prod"},
            {"name": "EMPTY"},
            {"name": "CHRONOS_JOB_NAME", "value": "must-not-win"},
            {"name": "HOST", "value": "must-not-win"},
        ],
        "constraints": [
            ["rack", "LIKE", "rack-[0-9]+"],
            ["type", "UNLIKE", "docker|mesos"],
            ["kubernetes.io/os", "EQUALS", "linux"],
            ["hostname", "LIKE", "kwok-node-.*"],
        ],
        "executor": "/usr/local/bin/thermos_executor",
        "executorFlags": "--announcer-enable",
        "taskInfoData": '{"key": "value"}',
        "dataProcessingJobType": True,
        "successfulJobsHistoryLimit": 5,
        "failedJobsHistoryLimit": 2,
        "podTemplate": {
            "metadata": {
                "labels": {"team": "data-platform"},
                "annotations": {"example.com/cost-center": "42"},
            },
            "spec": {
                "serviceAccountName": SERVICE_ACCOUNT,
                "nodeSelector": {"type": "kwok"},
                "tolerations": [{"key": "kwok.x-k8s.io/node", "operator": "Exists", "effect": "NoSchedule"}],
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {
                                    "matchExpressions": [
                                        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}
                                    ]
                                }
                            ]
                        }
                    },
                    "podAntiAffinity": {
                        "preferredDuringSchedulingIgnoredDuringExecution": [
                            {
                                "weight": 10,
                                "podAffinityTerm": {
                                    "topologyKey": "kubernetes.io/hostname",
                                    "labelSelector": {"matchLabels": {"team": "data-platform"}},
                                },
                            }
                        ]
                    },
                },
                "imagePullSecrets": [{"name": "registry-credentials"}],
                "volumes": [{"name": "job-config", "configMap": {"name": "job-config", "optional": True}}],
                "securityContext": {"fsGroup": 2000, "runAsNonRoot": True},
                "containers": [
                    {
                        "name": "main",
                        "envFrom": [{"secretRef": {"name": "db-credentials", "optional": True}}],
                        "volumeMounts": [{"name": "job-config", "mountPath": "/etc/job", "readOnly": True}],
                    }
                ],
            },
        },
    }


def container(network: str, kind: str) -> dict[str, Any]:
    return {
        "type": kind,
        "image": "registry.example.com/batch/tools:1.4",
        "network": network,
        "networkName": "legacy-net",
        "networkInfos": [
            {
                "name": "storage-net",
                "protocol": "IPv4",
                "labels": [{"key": "tier", "value": "storage"}],
                "portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}],
            },
            {"name": "metrics-net", "protocol": "IPv6"},
        ],
        "volumes": [
            {"containerPath": "/host/logs", "hostPath": "/var/log/jobs", "mode": "RO"},
            {"containerPath": "/data", "external": {"name": "data-pvc", "provider": "dvdi", "options": []}},
            {"containerPath": "/scratch", "mode": "RW"},
        ],
        "forcePullImage": True,
        "parameters": [
            {"key": "env", "value": "FROM_PARAMETER=yes"},
            {"key": "label", "value": "cost-center=42"},
            {"key": "user", "value": "65534"},
            {"key": "workdir", "value": "/mnt/mesos/sandbox"},
            {"key": "privileged", "value": "true"},
            {"key": "memory-swap", "value": "1g"},
        ],
    }


def scheduled_shell_job() -> dict[str, Any]:
    """schedule + zone + epsilon, a shell command that is a URL, fetch with every option, HOST network."""
    return {
        **common_fields(),
        "command": "https://example.com/jobs/report.sh",
        "arguments": ["--day", "yesterday"],
        "shell": True,
        "schedule": "R/2024-01-01T02:30:00Z/P1D",
        "scheduleTimeZone": "America/New_York",
        "epsilon": "PT30M",
        "fetch": [
            {"uri": "https://example.com/dist/tools.tar.gz", "extract": True, "cache": True},
            {"uri": "https://example.com/bin/helper?v=2", "outputFile": "helper", "executable": True},
            {"uri": "https://example.com/data/raw.tgz", "extract": False, "executable": False},
        ],
        "container": container("HOST", "DOCKER"),
    }


def dependent_argv_job() -> dict[str, Any]:
    """parents, uris, a non-shell command with argv, USER network with named networks, MESOS type."""
    return {
        **common_fields(),
        "command": "/usr/local/bin/etl",
        "arguments": ["--source", "s3://bucket/in put", "--verbose"],
        "shell": False,
        "parents": ["upstream-a", "UPSTREAM_B"],
        "uris": ["https://example.com/conf/etl.json", "https://example.com/dist/etl.zip"],
        "container": container("USER", "MESOS"),
    }


VARIANTS = {"scheduled-shell": scheduled_shell_job, "dependent-argv": dependent_argv_job}


@pytest.fixture(scope="module")
def priority_class(cluster: Cluster) -> Iterator[str]:
    """A scheduling.k8s.io/v1 PriorityClass for highPriority runs; deleted afterwards."""
    api: Any = kubernetes.client.SchedulingV1Api(cluster.api_client())
    name = f"chronos-high-{secrets.token_hex(3)}"
    api.create_priority_class(
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": name, "labels": {"chronos.test/suite": "integration"}},
            "value": PRIORITY_VALUE,
            "globalDefault": False,
            "description": "highPriority ChronosJob runs (integration test)",
        },
        _request_timeout=10,
    )
    yield name
    try:
        api.delete_priority_class(name, _request_timeout=10)
    except kubernetes.client.ApiException as e:
        if e.status != 404:
            raise


def create_chronos_job(cluster: Cluster, namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "ChronosJob",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }
    objects: Any = kubernetes.client.CustomObjectsApi(cluster.api_client())
    created: dict[str, Any] = objects.create_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, body, _request_timeout=10
    )
    return created


def run_request(snap: JobSnapshot) -> RunRequest:
    """A scheduled run for a scheduled job; a manual run with override arguments for the other."""
    chronos_name = snap.spec.chronos_name(snap.name)
    if snap.spec.schedule is not None:
        arguments = " ".join(snap.spec.arguments)
        trigger, suffix = "schedule", str(int(DUE.timestamp()))
    else:
        arguments = "--source 's3://bucket/other input' --dry-run"
        trigger, suffix = "manual", "m-" + secrets.token_hex(4)
    return RunRequest(
        job_name=run_job_name(snap.name, suffix),
        trigger=trigger,
        scheduled=DUE,
        task_id=task_id(DUE, 0, chronos_name, arguments),
        arguments=arguments,
    )


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_job_built_from_a_chronos_job_using_every_field_is_accepted(
    cluster: Cluster, crd: Path, namespace: str, priority_class: str, variant: str
) -> None:
    api: Any = cluster.api_client()
    core: Any = kubernetes.client.CoreV1Api(api)
    core.create_namespaced_service_account(
        namespace, {"metadata": {"name": SERVICE_ACCOUNT}}, _request_timeout=10
    )

    # The spec itself is accepted by the CRD and read back unchanged.
    stored = create_chronos_job(cluster, namespace, variant, VARIANTS[variant]())
    assert stored["spec"] == VARIANTS[variant]()  # nothing pruned, nothing defaulted
    spec = validate_spec(stored["spec"])
    settings = Settings(
        allow_host_path=True,
        allow_host_network=True,
        allow_privileged=True,
        high_priority_class=priority_class,
    )
    assert policy_problems(spec, settings) == []
    assert policy_problems(spec, Settings()) != []  # the same spec is refused by the default policy
    assert unsupported_fields(spec) == [
        "spec.executor",
        "spec.executorFlags",
        "spec.taskInfoData",
        "spec.dataProcessingJobType",
        "spec.container.parameters[5] (memory-swap)",
    ]

    nodes = [dict(n.metadata.labels or {}) for n in core.list_node(_request_timeout=10).items]
    assert nodes, "the local control plane has no nodes"
    snap = JobSnapshot(
        namespace=namespace,
        name=stored["metadata"]["name"],
        uid=stored["metadata"]["uid"],
        generation=int(stored["metadata"]["generation"]),
        created=DUE,
        spec=spec,
        spec_error=None,
        status={},
        runs=(),
    )
    request = run_request(snap)
    manifest = build_job(snap, request, settings, nodes)

    batch: Any = kubernetes.client.BatchV1Api(api)
    accepted = api.sanitize_for_serialization(
        batch.create_namespaced_job(namespace, manifest, dry_run="All", _request_timeout=10)
    )

    # What the API server kept is what build_job asked for.
    assert accepted["metadata"]["name"] == request.job_name
    assert accepted["metadata"]["ownerReferences"][0]["uid"] == stored["metadata"]["uid"]
    assert accepted["metadata"]["ownerReferences"][0]["controller"] is True
    assert accepted["metadata"]["annotations"]["chronos.dev/task-id"] == request.task_id
    assert accepted["spec"]["backoffLimit"] == 3
    assert accepted["spec"]["activeDeadlineSeconds"] == 1800
    template = accepted["spec"]["template"]
    pod = template["spec"]
    assert template["metadata"]["annotations"][MULTUS_NETWORKS] == "legacy-net,storage-net,metrics-net"
    assert template["metadata"]["labels"]["team"] == "data-platform"
    assert template["metadata"]["labels"]["cost-center"] == "42"
    assert pod["priorityClassName"] == priority_class
    assert pod["serviceAccountName"] == SERVICE_ACCOUNT
    assert pod["restartPolicy"] == "Never"
    assert pod.get("hostNetwork", False) is (variant == "scheduled-shell")
    assert pod["securityContext"] == {"fsGroup": 2000, "runAsNonRoot": True, "runAsUser": 65534}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert {"hostPath", "persistentVolumeClaim", "emptyDir", "configMap"} <= {
        key for v in volumes.values() for key in v if key != "name"
    }
    main = pod["containers"][0]
    assert main["imagePullPolicy"] == "Always"
    assert main["securityContext"]["privileged"] is True
    assert main["resources"]["limits"]["nvidia.com/gpu"] == "1"
    env = {e["name"]: e for e in main["env"]}
    assert env["CHRONOS_JOB_NAME"]["value"] == "EVERY_FIELD.job-1"
    assert env["CHRONOS_TASK_ID"]["value"] == request.task_id
    assert env["FROM_PARAMETER"]["value"] == "yes"
    assert env["HOST"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
    assert pod["initContainers"][0]["name"] == "fetch"
    if variant == "scheduled-shell":
        assert main["command"] == ["/bin/sh", "-c", "./report.sh --day yesterday"]
    else:
        assert main["command"] == ["/usr/local/bin/etl"]
        assert main["args"] == ["--source", "s3://bucket/other input", "--dry-run"]
    terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    assert {e["key"] for e in terms[0]["matchExpressions"]} == {
        "kubernetes.io/arch",
        "rack",
        "type",
        "kubernetes.io/os",
        "kubernetes.io/hostname",
    }

    # A pod from the template passes pod admission too: the priority class resolves to its value.
    pod_body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": request.job_name, **manifest["spec"]["template"]["metadata"]},
        "spec": manifest["spec"]["template"]["spec"],
    }
    admitted = api.sanitize_for_serialization(
        core.create_namespaced_pod(namespace, pod_body, dry_run="All", _request_timeout=10)
    )
    assert admitted["spec"]["priorityClassName"] == priority_class
    assert admitted["spec"]["priority"] == PRIORITY_VALUE
