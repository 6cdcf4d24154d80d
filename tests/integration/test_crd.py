"""The generated CRD on a real API server: it installs, every example is accepted, bad specs are
refused with a message naming the field, and kubectl explain / get read well."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import yaml
from tests.helpers import wait_for

from chronos_operator.model.chronos import from_chronos_json
from chronos_operator.model.crd import build_crd
from chronos_operator.model.errors import SpecError
from chronos_operator.model.job import parse_chronos_job
from chronos_operator.model.names import build_manifest

pytestmark = pytest.mark.integration

GROUP, VERSION, PLURAL = "chronos.dev", "v1alpha1", "chronosjobs"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "chronos-jobs"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json")) if EXAMPLES.is_dir() else []


def objects(cluster: Any) -> Any:
    return kubernetes.client.CustomObjectsApi(cluster.api_client())


def manifest(name: str, spec: dict[str, Any], namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "ChronosJob",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def create(cluster: Any, body: dict[str, Any]) -> dict[str, Any]:
    namespace = body["metadata"]["namespace"]
    result: dict[str, Any] = objects(cluster).create_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, body, _request_timeout=10
    )
    return result


def refusal(cluster: Any, body: dict[str, Any]) -> str:
    """The API server's message for a create it must refuse."""
    with pytest.raises(kubernetes.client.ApiException) as caught:
        create(cluster, body)
    assert caught.value.status == 422, caught.value.body
    return str(json.loads(caught.value.body or "{}")["message"])


@pytest.fixture(scope="module")
def shared_namespace(cluster: Any) -> Iterator[str]:
    """One namespace for the table-driven tests: the objects in it have distinct names, and the
    per-test `namespace` fixture cannot name a namespace after a parametrized test id."""
    name = f"t-crd-table-{secrets.token_hex(3)}"
    core = kubernetes.client.CoreV1Api(cluster.api_client())
    core.create_namespace(
        kubernetes.client.V1Namespace(
            metadata=kubernetes.client.V1ObjectMeta(name=name, labels={"chronos.test/suite": "integration"})
        )
    )
    yield name
    try:
        core.delete_namespace(name, propagation_policy="Background", _request_timeout=10)
    except kubernetes.client.ApiException as e:
        if e.status != 404:
            raise


def test_crd_is_established(cluster: Any, crd: Path) -> None:
    api = kubernetes.client.ApiextensionsV1Api(cluster.api_client())
    stored = api.read_custom_resource_definition("chronosjobs.chronos.dev", _request_timeout=10)
    assert stored.status is not None and stored.spec.versions[0].subresources is not None
    conditions = {c.type: c.status for c in stored.status.conditions or []}
    assert conditions["Established"] == "True" and conditions["NamesAccepted"] == "True"
    assert stored.spec.names.short_names == ["chj"] and stored.spec.names.categories == ["chronos"]
    assert stored.spec.versions[0].subresources.status is not None


def test_the_applied_file_is_the_generated_crd(crd: Path) -> None:
    assert yaml.safe_load(crd.read_text()) == build_crd()


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.name for p in EXAMPLE_FILES])
def test_every_example_is_accepted(cluster: Any, crd: Path, shared_namespace: str, path: Path) -> None:
    namespace = shared_namespace
    spec, _ = from_chronos_json(json.loads(path.read_text()))
    body = build_manifest(spec, namespace)
    create(cluster, body)
    stored = objects(cluster).get_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, body["metadata"]["name"], _request_timeout=10
    )
    assert stored["spec"] == body["spec"]  # nothing pruned, nothing defaulted
    assert parse_chronos_job(stored).spec == spec


# (case id = metadata.name, spec, the field the message must name)
REFUSED_BY_THE_API_SERVER: list[tuple[str, dict[str, Any], str]] = [
    ("schedule-shape", {"schedule": "every day"}, "spec.schedule"),
    ("schedule-no-period", {"schedule": "R/2024-01-01T00:00:00Z"}, "spec.schedule"),
    ("schedule-no-repeat", {"schedule": "5/2024-01-01T00:00:00Z/P1D"}, "spec.schedule"),
    ("schedule-and-parents", {"schedule": "R//P1D", "parents": ["a"]}, "spec.schedule"),
    ("parents-empty", {"parents": []}, "spec.parents"),
    ("parents-duplicate", {"parents": ["a", "a"]}, "spec.parents"),
    ("parents-bad-name", {"parents": ["no spaces"]}, "spec.parents[0]"),
    ("parents-too-many", {"parents": [f"p{i}" for i in range(101)]}, "spec.parents"),
    ("own-parent-by-spec-name", {"name": "me", "parents": ["me"]}, "spec.parents"),
    ("own-parent-by-metadata-name", {"parents": ["own-parent-by-metadata-name"]}, "spec.parents"),
    ("name-pattern", {"name": "a b"}, "spec.name"),
    ("name-empty", {"name": ""}, "spec.name"),
    ("retries-negative", {"retries": -1}, "spec.retries"),
    ("retries-too-many", {"retries": 101}, "spec.retries"),
    ("cpus-negative", {"cpus": -0.5}, "spec.cpus"),
    ("mem-negative", {"mem": -1}, "spec.mem"),
    ("disk-negative", {"disk": -1}, "spec.disk"),
    ("gpus-negative", {"gpus": -1}, "spec.gpus"),
    ("max-completion-negative", {"maxCompletionTime": -1}, "spec.maxCompletionTime"),
    ("successful-history", {"successfulJobsHistoryLimit": 101}, "spec.successfulJobsHistoryLimit"),
    ("failed-history", {"failedJobsHistoryLimit": -1}, "spec.failedJobsHistoryLimit"),
    ("epsilon-shape", {"epsilon": "60s"}, "spec.epsilon"),
    ("epsilon-bare-t", {"epsilon": "PT"}, "spec.epsilon"),
    ("run-as-user-name", {"runAsUser": "hadoop"}, "spec.runAsUser"),
    ("run-as-user-negative", {"runAsUser": -1}, "spec.runAsUser"),
    ("run-as-user-type", {"runAsUser": 1.5}, "spec.runAsUser"),
    ("constraint-operator", {"constraints": [["hostname", "NEAR", "x"]]}, "spec.constraints[0]"),
    ("constraint-arity", {"constraints": [["hostname", "LIKE"]]}, "spec.constraints[0]"),
    ("uris-and-fetch", {"uris": ["https://a"], "fetch": [{"uri": "https://b"}]}, "spec.fetch"),
    ("fetch-uri", {"fetch": [{"outputFile": "x"}]}, "spec.fetch[0].uri"),
    ("env-name", {"environmentVariables": [{"value": "x"}]}, "spec.environmentVariables[0].name"),
    ("network-case", {"container": {"network": "bridge"}}, "spec.container.network"),
    ("container-type", {"container": {"type": "docker"}}, "spec.container.type"),
    ("container-image-empty", {"container": {"image": ""}}, "spec.container.image"),
    (
        "volume-mode",
        {"container": {"volumes": [{"containerPath": "/x", "mode": "rw"}]}},
        "spec.container.volumes[0].mode",
    ),
    (
        "volume-path",
        {"container": {"volumes": [{"hostPath": "/x"}]}},
        "spec.container.volumes[0].containerPath",
    ),
    (
        "external-name",
        {"container": {"volumes": [{"containerPath": "/x", "external": {"provider": "dvdi"}}]}},
        "spec.container.volumes[0].external.name",
    ),
    (
        "network-protocol",
        {"container": {"networkInfos": [{"name": "n", "protocol": "ipv4"}]}},
        "spec.container.networkInfos[0].protocol",
    ),
    (
        "host-port",
        {
            "container": {
                "networkInfos": [{"name": "n", "portMappings": [{"hostPort": 70000, "containerPort": 80}]}]
            }
        },
        "spec.container.networkInfos[0].portMappings[0].hostPort",
    ),
    ("parameter-key", {"container": {"parameters": [{"value": "x"}]}}, "spec.container.parameters[0].key"),
    ("shell-type", {"shell": "yes"}, "spec.shell"),
    ("arguments-type", {"arguments": "-v"}, "spec.arguments"),
]


@pytest.mark.parametrize(
    ("name", "spec", "field"), REFUSED_BY_THE_API_SERVER, ids=[case[0] for case in REFUSED_BY_THE_API_SERVER]
)
def test_bad_specs_are_refused_naming_the_field(
    cluster: Any, crd: Path, shared_namespace: str, *, name: str, spec: dict[str, Any], field: str
) -> None:
    message = refusal(cluster, manifest(name, spec, shared_namespace))
    assert field in message, message
    # the model, which the CLI and the operator use, refuses the same spec, naming the same field
    with pytest.raises(SpecError) as caught:
        parse_chronos_job(manifest(name, spec, shared_namespace))
    assert field in str(caught.value), str(caught.value)


def test_long_metadata_name_is_refused(cluster: Any, crd: Path, namespace: str) -> None:
    message = refusal(cluster, manifest("a" * 53, {}, namespace))
    assert "metadata.name" in message and "52" in message


def test_spec_is_required(cluster: Any, crd: Path, namespace: str) -> None:
    body = manifest("bad", {}, namespace)
    del body["spec"]
    assert "spec" in refusal(cluster, body)


# What no schema rule can express (the time zone database, calendar dates, regexes, cross-field
# rules inside objects): the API server stores them, and model validation (the operator, which
# then reports Degraded, and kubectl-chronos) names the field.
REPORTED_BY_THE_MODEL: list[tuple[str, dict[str, Any], str]] = [
    ("unknown-zone", {"schedule": "R//P1D", "scheduleTimeZone": "Mars/Olympus"}, "spec.scheduleTimeZone"),
    ("bad-date", {"schedule": "R/2024-13-01T00:00:00Z/P1D"}, "spec.schedule"),
    ("zero-period", {"schedule": "R/2024-01-01T00:00:00Z/PT0S"}, "spec.schedule"),
    ("bad-period", {"schedule": "R/2024-01-01T00:00:00Z/P1X"}, "spec.schedule"),
    ("before-1970", {"schedule": "R/1960-01-01T00:00:00Z/P1D"}, "spec.schedule"),
    ("epsilon-fraction", {"epsilon": "P1.5D"}, "spec.epsilon"),
    ("constraint-regex", {"constraints": [["hostname", "LIKE", "("]]}, "spec.constraints[0][2]"),
    (
        "volume-two-sources",
        {"container": {"volumes": [{"containerPath": "/x", "hostPath": "/y", "external": {"name": "v"}}]}},
        "spec.container.volumes[0].external",
    ),
    ("pod-template-key", {"podTemplate": {"labels": {"a": "b"}}}, "spec.podTemplate"),
]


@pytest.mark.parametrize(
    ("name", "spec", "field"), REPORTED_BY_THE_MODEL, ids=[case[0] for case in REPORTED_BY_THE_MODEL]
)
def test_what_the_schema_cannot_express_is_reported_by_the_model(
    cluster: Any, crd: Path, shared_namespace: str, *, name: str, spec: dict[str, Any], field: str
) -> None:
    stored = create(cluster, manifest(name, spec, shared_namespace))
    with pytest.raises(SpecError) as caught:
        parse_chronos_job(stored)
    assert str(caught.value).startswith(f"{field}: "), str(caught.value)


def test_null_is_the_same_as_absent(cluster: Any, crd: Path, namespace: str) -> None:
    stored = create(
        cluster,
        manifest("nulls", {"schedule": "R//P1D", "scheduleTimeZone": None, "container": None}, namespace),
    )
    assert stored["spec"] == {"schedule": "R//P1D"}
    assert parse_chronos_job(stored).spec.scheduleTimeZone is None


def test_status_keeps_the_fields_kopf_writes(cluster: Any, crd: Path, namespace: str) -> None:
    create(cluster, manifest("with-status", {"schedule": "R//P1D"}, namespace))
    status = {
        "status": {
            "successCount": 2,
            "state": "idle",
            "kopf": {"progress": {"handler": {"started": "2024-01-01T00:00:00Z"}}},
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "Scheduled",
                    "message": "",
                    "lastTransitionTime": "2024-01-01T00:00:00Z",
                }
            ],
        }
    }
    stored = objects(cluster).patch_namespaced_custom_object_status(
        GROUP, VERSION, namespace, PLURAL, "with-status", status, _request_timeout=10
    )
    assert stored["status"]["kopf"] == status["status"]["kopf"]
    assert parse_chronos_job(stored).status is not None


def test_status_state_is_checked(cluster: Any, crd: Path, namespace: str) -> None:
    create(cluster, manifest("state", {}, namespace))
    with pytest.raises(kubernetes.client.ApiException) as caught:
        objects(cluster).patch_namespaced_custom_object_status(
            GROUP, VERSION, namespace, PLURAL, "state", {"status": {"state": "walking"}}, _request_timeout=10
        )
    assert "status.state" in json.loads(caught.value.body or "{}")["message"]


def test_kubectl_explain_prints_the_descriptions(cluster: Any, crd: Path) -> None:
    def explained() -> str:
        result = cluster.kubectl("explain", "chronosjob.spec.schedule", check=False)
        return str(result.stdout) if "ISO 8601 repeating interval" in result.stdout else ""

    text = " ".join(
        wait_for(explained, timeout=60, message="kubectl explain chronosjob.spec.schedule").split()
    )
    assert "Chronos `schedule`" in text
    retries = " ".join(cluster.kubectl("explain", "chj.spec.retries").stdout.split())
    assert "backoffLimit" in retries and "Chronos `retries`" in retries
    network = " ".join(cluster.kubectl("explain", "chj.spec.container.network").stdout.split())
    assert "HOST" in network and "hostNetwork" in network


def test_kubectl_get_columns(cluster: Any, crd: Path, namespace: str) -> None:
    create(cluster, manifest("columns", {"name": "COLUMNS_1", "parents": ["a"]}, namespace))
    objects(cluster).patch_namespaced_custom_object_status(
        GROUP,
        VERSION,
        namespace,
        PLURAL,
        "columns",
        {
            "status": {
                "scheduleDisplay": "after: a",
                "nextRunTime": "2030-01-01T00:00:00.000Z",
                "successCount": 4,
                "errorCount": 1,
                "state": "2 running",
            }
        },
        _request_timeout=10,
    )
    out = cluster.kubectl("get", "chj", "-n", namespace).stdout
    header, row = out.splitlines()[:2]
    for column in (
        "SCHEDULE",
        "NEXT RUN",
        "LAST SUCCESS",
        "LAST ERROR",
        "SUCCESSES",
        "ERRORS",
        "ACTIVE",
        "AGE",
    ):
        assert column in header
    for value in ("after: a", "2030-01-01T00:00:00.000Z", "2 running"):
        assert value in row
    # the category and the short name list it too
    assert "columns" in cluster.kubectl("get", "chronos", "-n", namespace).stdout


def test_a_spec_edit_keeps_status(cluster: Any, crd: Path, namespace: str) -> None:
    body = create(cluster, manifest("edit", {"schedule": "R//P1D"}, namespace))
    objects(cluster).patch_namespaced_custom_object_status(
        GROUP, VERSION, namespace, PLURAL, "edit", {"status": {"successCount": 9}}, _request_timeout=10
    )
    assert "retries" not in body["spec"]
    stored = objects(cluster).patch_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, "edit", {"spec": {"retries": 5}}, _request_timeout=10
    )
    assert stored["spec"]["retries"] == 5 and stored["status"]["successCount"] == 9


def test_kubectl_refuses_unknown_fields_by_name(cluster: Any, crd: Path, namespace: str) -> None:
    body = manifest("typo", {"shedule": "R//P1D", "container": {"imag": "busybox"}}, namespace)
    result = cluster.kubectl("create", "-f", "-", input=json.dumps(body), check=False)
    assert result.returncode != 0
    assert (
        'unknown field "spec.shedule"' in result.stderr
        and 'unknown field "spec.container.imag"' in result.stderr
    )
