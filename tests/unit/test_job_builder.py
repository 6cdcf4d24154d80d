"""build_job: every row of contract §2 and the environment of §4 as the batch/v1 Job of one run, plus
the policy check (§9), the unsupported-field report and run Job names."""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chronos_operator.kube.jobs import (
    MULTUS_NETWORKS,
    NO_MATCH,
    SANDBOX,
    build_job,
    policy_problems,
    unsupported_fields,
)
from chronos_operator.model.errors import SpecError
from chronos_operator.model.spec import validate_spec
from chronos_operator.scheduler.decide import MAX_JOB_NAME, JobSnapshot, RunRequest, run_job_name, task_id
from chronos_operator.settings import Settings

DUE = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
DUE_MS = 1704164645678
NAME = "sample-job"
NAMESPACE = "team-a"
UID = "6f1c1a4e-0000-4000-8000-000000000001"
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
CHRONOS_VARIABLES = (
    "mesos_task_id",
    "MESOS_TASK_ID",
    "CHRONOS_TASK_ID",
    "CHRONOS_JOB_NAME",
    "CHRONOS_JOB_OWNER",
    "CHRONOS_RESOURCE_CPU",
    "CHRONOS_RESOURCE_MEM",
    "CHRONOS_RESOURCE_DISK",
    "CHRONOS_JOB_RUN_TIME",
    "CHRONOS_JOB_RUN_ATTEMPT",
)
PERMISSIVE = Settings(allow_host_path=True, allow_host_network=True, allow_privileged=True)


# --- helpers ------------------------------------------------------------------------------------


def snapshot(spec: dict[str, Any], name: str = NAME) -> JobSnapshot:
    return JobSnapshot(
        namespace=NAMESPACE,
        name=name,
        uid=UID,
        generation=1,
        created=datetime(2024, 1, 1, tzinfo=UTC),
        spec=validate_spec(spec),
        spec_error=None,
        status={},
        runs=(),
    )


def scheduled(snap: JobSnapshot, due: datetime = DUE) -> RunRequest:
    """The request decide() makes for a scheduled occurrence."""
    arguments = " ".join(snap.spec.arguments)
    return RunRequest(
        job_name=run_job_name(snap.name, str(int(due.timestamp()))),
        trigger="schedule",
        scheduled=due,
        task_id=task_id(due, 0, snap.spec.chronos_name(snap.name), arguments),
        arguments=arguments,
    )


def triggered(snap: JobSnapshot, arguments: str = "", trigger: str = "manual") -> RunRequest:
    """A manual (or dependency) run whose arguments override the job's."""
    arguments = arguments or " ".join(snap.spec.arguments)
    return RunRequest(
        job_name=run_job_name(snap.name, f"{trigger[0]}-0123abcd"),
        trigger=trigger,
        scheduled=DUE,
        task_id=task_id(DUE, 0, snap.spec.chronos_name(snap.name), arguments),
        arguments=arguments,
    )


def build(
    spec: dict[str, Any],
    settings: Settings | None = None,
    nodes: list[dict[str, str]] | None = None,
    request: RunRequest | None = None,
) -> dict[str, Any]:
    snap = snapshot(spec)
    return build_job(snap, request or scheduled(snap), settings or Settings(), nodes)


def pod_of(job: dict[str, Any]) -> dict[str, Any]:
    pod: dict[str, Any] = job["spec"]["template"]["spec"]
    return pod


def main_of(job: dict[str, Any]) -> dict[str, Any]:
    containers = pod_of(job)["containers"]
    assert [c["name"] for c in containers] == ["main"]
    main: dict[str, Any] = containers[0]
    return main


def env_of(job: dict[str, Any]) -> dict[str, Any]:
    """name -> value (or valueFrom); every name must appear once."""
    env = main_of(job)["env"]
    names = [e["name"] for e in env]
    assert len(names) == len(set(names)), f"duplicate variables: {names}"
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in env}


def volume(job: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [v for v in pod_of(job)["volumes"] if v["name"] == name]
    assert len(found) == 1, found
    return found[0]


def mount_at(job: dict[str, Any], path: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [m for m in main_of(job)["volumeMounts"] if m["mountPath"] == path]
    assert len(found) == 1, found
    return found[0]


def node_terms(job: dict[str, Any]) -> list[dict[str, Any]]:
    terms: list[dict[str, Any]] = pod_of(job)["affinity"]["nodeAffinity"][REQUIRED]["nodeSelectorTerms"]
    return terms


def expressions(spec: dict[str, Any], nodes: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
    (term,) = node_terms(build(spec, nodes=nodes))
    found: list[dict[str, Any]] = term["matchExpressions"]
    return found


def init_script(job: dict[str, Any]) -> str:
    (init,) = pod_of(job)["initContainers"]
    assert init["command"][:2] == ["/bin/sh", "-c"]
    script: str = init["command"][2]
    return script


# --- command, arguments, shell ------------------------------------------------------------------


def test_shell_job_runs_command_and_arguments_through_sh_c() -> None:
    main = main_of(build({"command": "echo", "arguments": ["-n", "hello world"]}))
    assert main["command"] == ["/bin/sh", "-c", "echo -n hello world"]
    assert "args" not in main


def test_shell_is_the_default_and_a_command_without_arguments_runs_alone() -> None:
    main = main_of(build({"command": "echo hi && date"}))
    assert main["command"] == ["/bin/sh", "-c", "echo hi && date"]
    assert "args" not in main


def test_non_shell_job_passes_arguments_as_argv() -> None:
    main = main_of(build({"command": "/usr/bin/env", "arguments": ["FOO=a b", "printenv"], "shell": False}))
    assert main["command"] == ["/usr/bin/env"]
    assert main["args"] == ["FOO=a b", "printenv"]


def test_non_shell_job_without_arguments_has_no_args() -> None:
    main = main_of(build({"command": "/bin/true", "shell": False}))
    assert main["command"] == ["/bin/true"]
    assert "args" not in main


def test_manual_arguments_are_appended_to_the_command() -> None:
    snap = snapshot({"command": "backup.sh", "arguments": ["--all"]})
    job = build_job(snap, triggered(snap, "--db orders"), Settings())
    # Chronos: the manual override wins over the job's arguments and is appended to the command string.
    assert main_of(job)["command"] == ["/bin/sh", "-c", "backup.sh --db orders"]


def test_manual_arguments_are_the_argv_of_a_non_shell_job() -> None:
    snap = snapshot({"command": "/bin/echo", "arguments": ["job-default"], "shell": False})
    job = build_job(snap, triggered(snap, "-n 'two words'"), Settings())
    assert main_of(job)["command"] == ["/bin/echo"]
    assert main_of(job)["args"] == ["-n", "two words"]


def test_job_without_command_runs_the_image_entrypoint_with_its_arguments() -> None:
    main = main_of(build({"arguments": ["--message", "hello world"], "container": {"image": "alpine"}}))
    assert "command" not in main
    assert main["args"] == ["--message", "hello world"]  # the list is kept, not re-split


def test_command_that_is_an_http_url_is_fetched_and_run_as_its_basename() -> None:
    job = build({"command": "https://example.com/jobs/report.sh", "arguments": ["--daily"]})
    assert main_of(job)["command"] == ["/bin/sh", "-c", "./report.sh --daily"]
    assert main_of(job)["workingDir"] == SANDBOX
    script = init_script(job)
    assert "wget -q -O report.sh https://example.com/jobs/report.sh" in script
    assert "chmod +x report.sh" in script
    assert "tar" not in script  # the command is never extracted


def test_url_command_with_a_query_runs_the_file_the_fetcher_saved() -> None:
    job = build({"command": "https://example.com/run.sh?token=abc"})
    assert main_of(job)["command"] == ["/bin/sh", "-c", "./run.sh"]
    assert "wget -q -O run.sh 'https://example.com/run.sh?token=abc'" in init_script(job)


# --- image --------------------------------------------------------------------------------------


def test_job_without_container_runs_in_the_default_image() -> None:
    assert main_of(build({"command": "true"}))["image"] == Settings().default_image
    assert (
        main_of(build({"command": "true"}, Settings(default_image="alpine:3.20")))["image"] == "alpine:3.20"
    )


def test_container_without_image_runs_in_the_default_image() -> None:
    assert main_of(build({"container": {"type": "DOCKER"}}))["image"] == Settings().default_image


@pytest.mark.parametrize("kind", ["DOCKER", "MESOS"])
def test_container_image_is_run_natively_for_docker_and_mesos(kind: str) -> None:
    job = build({"command": "true", "container": {"type": kind, "image": "registry.local/tools:1.2"}})
    assert main_of(job)["image"] == "registry.local/tools:1.2"


def test_force_pull_image_pulls_always() -> None:
    job = build({"container": {"image": "alpine", "forcePullImage": True}})
    assert main_of(job)["imagePullPolicy"] == "Always"


@pytest.mark.parametrize(
    "container", [None, {"image": "alpine"}, {"image": "alpine", "forcePullImage": False}]
)
def test_without_force_pull_image_pulls_if_not_present(container: dict[str, Any] | None) -> None:
    spec = {} if container is None else {"container": container}
    assert main_of(build(spec))["imagePullPolicy"] == "IfNotPresent"


# --- network ------------------------------------------------------------------------------------


def test_host_network_sets_host_network_when_allowed() -> None:
    spec = {"container": {"image": "alpine", "network": "HOST"}}
    assert policy_problems(validate_spec(spec), Settings(allow_host_network=True)) == []
    assert pod_of(build(spec, Settings(allow_host_network=True)))["hostNetwork"] is True


@pytest.mark.parametrize("network", ["BRIDGE", "USER", None])
def test_bridge_and_user_networks_use_the_pod_network(network: str | None) -> None:
    container: dict[str, Any] = {"image": "alpine"}
    if network:
        container["network"] = network
    pod = pod_of(build({"container": container}))
    assert "hostNetwork" not in pod


def test_network_infos_and_network_name_become_the_multus_annotation() -> None:
    job = build(
        {
            "container": {
                "image": "alpine",
                "network": "USER",
                "networkName": "legacy-net",
                "networkInfos": [
                    {"name": "storage-net", "protocol": "IPv4"},
                    {"name": "legacy-net"},
                    {"name": "metrics-net", "labels": [{"key": "k", "value": "v"}]},
                ],
            }
        }
    )
    annotations = job["spec"]["template"]["metadata"]["annotations"]
    assert annotations[MULTUS_NETWORKS] == "legacy-net,storage-net,metrics-net"
    assert MULTUS_NETWORKS not in job["metadata"]["annotations"]  # a pod annotation, not the Job's


def test_no_multus_annotation_without_named_networks() -> None:
    job = build({"container": {"image": "alpine", "network": "BRIDGE"}})
    assert MULTUS_NETWORKS not in job["spec"]["template"]["metadata"]["annotations"]


# --- volumes ------------------------------------------------------------------------------------


def test_host_path_volume_is_mounted_when_allowed() -> None:
    spec = {
        "container": {"image": "alpine", "volumes": [{"containerPath": "/data", "hostPath": "/srv/data"}]}
    }
    job = build(spec, Settings(allow_host_path=True))
    mount = mount_at(job, "/data")
    assert volume(job, mount["name"]) == {"name": mount["name"], "hostPath": {"path": "/srv/data"}}
    assert "readOnly" not in mount


def test_volume_without_host_path_is_an_empty_dir() -> None:
    job = build({"container": {"image": "alpine", "volumes": [{"containerPath": "/scratch", "mode": "RW"}]}})
    mount = mount_at(job, "/scratch")
    assert volume(job, mount["name"]) == {"name": mount["name"], "emptyDir": {}}
    assert "readOnly" not in mount


def test_external_volume_is_the_persistent_volume_claim_of_that_name() -> None:
    external = {"name": "reports-pvc", "provider": "dvdi", "options": [{"key": "size", "value": "10"}]}
    job = build(
        {"container": {"image": "alpine", "volumes": [{"containerPath": "/reports", "external": external}]}}
    )
    mount = mount_at(job, "/reports")
    assert volume(job, mount["name"]) == {
        "name": mount["name"],
        "persistentVolumeClaim": {"claimName": "reports-pvc"},
    }


def test_read_only_volume_is_mounted_read_only() -> None:
    spec = {
        "container": {
            "image": "alpine",
            "volumes": [
                {"containerPath": "/etc/conf", "hostPath": "/etc/conf", "mode": "RO"},
                {"containerPath": "/in", "external": {"name": "inputs"}, "mode": "RO"},
                {"containerPath": "/out", "mode": "RW"},
            ],
        }
    }
    job = build(spec, Settings(allow_host_path=True))
    assert mount_at(job, "/etc/conf")["readOnly"] is True
    assert mount_at(job, "/in")["readOnly"] is True
    assert "readOnly" not in mount_at(job, "/out")
    names = [m["name"] for m in main_of(job)["volumeMounts"]]
    assert len(names) == len(set(names))


def test_every_run_has_the_sandbox_as_working_directory() -> None:
    job = build({"command": "ls"})
    assert main_of(job)["workingDir"] == SANDBOX
    assert volume(job, mount_at(job, SANDBOX)["name"])["emptyDir"] == {}


# --- resources ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("cpus", "request_"), [(0.25, "250m"), (2, "2000m"), (1.5, "1500m"), (0.1, "100m")])
def test_cpus_become_a_cpu_request_in_millicores(cpus: float, request_: str) -> None:
    resources = main_of(build({"cpus": cpus}))["resources"]
    assert resources["requests"]["cpu"] == request_
    assert "cpu" not in resources["limits"]


def test_mem_becomes_the_memory_request_and_limit_in_mebibytes() -> None:
    resources = main_of(build({"mem": 512}))["resources"]
    assert resources["requests"]["memory"] == "512Mi"
    assert resources["limits"]["memory"] == "512Mi"


def test_fractional_mem_keeps_its_exact_size() -> None:
    resources = main_of(build({"mem": 0.5}))["resources"]
    assert resources["requests"]["memory"] == resources["limits"]["memory"] == "512Ki"


def test_disk_becomes_an_ephemeral_storage_request() -> None:
    resources = main_of(build({"disk": 1024}))["resources"]
    assert resources["requests"]["ephemeral-storage"] == "1024Mi"
    assert "ephemeral-storage" not in resources["limits"]


def test_unset_or_zero_resources_mean_the_chronos_defaults() -> None:
    for spec in ({}, {"cpus": 0, "mem": 0, "disk": 0}):
        resources = main_of(build(spec))["resources"]
        assert resources["requests"] == {"cpu": "100m", "memory": "128Mi", "ephemeral-storage": "256Mi"}
        assert resources["limits"] == {"memory": "128Mi"}


def test_gpus_become_a_limit_of_the_gpu_resource_setting() -> None:
    assert main_of(build({"gpus": 2}))["resources"]["limits"]["nvidia.com/gpu"] == "2"
    limits = main_of(build({"gpus": 1}, Settings(gpu_resource="amd.com/gpu")))["resources"]["limits"]
    assert limits["amd.com/gpu"] == "1"
    assert "nvidia.com/gpu" not in limits


def test_no_gpu_limit_without_gpus() -> None:
    assert set(main_of(build({"gpus": 0}))["resources"]["limits"]) == {"memory"}


# --- runAsUser ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "uid"), [(1000, 1000), ("1000", 1000), (0, 0), ("root", 0), ("nobody", 65534)]
)
def test_run_as_user_becomes_the_uid(user: int | str, uid: int) -> None:
    assert pod_of(build({"runAsUser": user}))["securityContext"] == {"runAsUser": uid}


def test_without_run_as_user_the_image_user_runs() -> None:
    assert "securityContext" not in pod_of(build({}))


def test_run_as_user_name_other_than_root_or_nobody_is_rejected() -> None:
    with pytest.raises(SpecError, match="runAsUser"):
        validate_spec({"runAsUser": "www-data"})


# --- uris / fetch -------------------------------------------------------------------------------


def test_uris_are_downloaded_by_an_init_container_into_the_shared_sandbox() -> None:
    job = build(
        {"command": "ls", "uris": ["https://example.com/a/tools.tgz", "http://example.com/b/conf.json"]}
    )
    pod = pod_of(job)
    (init,) = pod["initContainers"]
    assert init["image"] == Settings().fetcher_image
    sandbox = mount_at(job, SANDBOX)["name"]
    assert init["volumeMounts"] == [{"name": sandbox, "mountPath": SANDBOX}]
    assert volume(job, sandbox) == {"name": sandbox, "emptyDir": {}}
    script = init["command"][2]
    assert script.splitlines()[:2] == ["set -eu", f"cd {SANDBOX}"]
    assert "wget -q -O tools.tgz https://example.com/a/tools.tgz" in script
    assert "wget -q -O conf.json http://example.com/b/conf.json" in script
    assert "tar -xzf tools.tgz" in script  # uris are extracted (Mesos' default)
    assert "chmod" not in script


def test_fetch_honours_output_file_extract_and_executable() -> None:
    job = build(
        {
            "command": "./bin/run",
            "fetch": [
                {"uri": "https://example.com/dist.tar.gz", "extract": True},
                {"uri": "https://example.com/raw.tar.gz", "extract": False},
                {
                    "uri": "https://example.com/tool",
                    "outputFile": "helper",
                    "executable": True,
                    "cache": True,
                },
            ],
        }
    )
    lines = init_script(job).splitlines()
    assert "wget -q -O dist.tar.gz https://example.com/dist.tar.gz" in lines
    assert any(line.startswith("case dist.tar.gz in") and "tar -xzf dist.tar.gz" in line for line in lines)
    assert "wget -q -O raw.tar.gz https://example.com/raw.tar.gz" in lines
    assert not any(line.startswith("case raw.tar.gz") for line in lines)
    assert "wget -q -O helper https://example.com/tool" in lines
    assert "chmod +x helper" in lines


def test_fetcher_image_is_an_operator_setting() -> None:
    job = build({"uris": ["https://example.com/x"]}, Settings(fetcher_image="curlimages/curl:8.8.0"))
    assert pod_of(job)["initContainers"][0]["image"] == "curlimages/curl:8.8.0"


def test_no_init_container_without_anything_to_fetch() -> None:
    assert "initContainers" not in pod_of(build({"command": "true"}))


@pytest.mark.skipif(shutil.which("sh") is None or shutil.which("tar") is None, reason="needs sh and tar")
def test_fetch_script_downloads_extracts_and_marks_executable(tmp_path: Path) -> None:
    """Runs the generated script with a stub wget that 'downloads' from a local directory."""
    served = tmp_path / "served"
    served.mkdir()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = b"#!/bin/sh\necho from-archive\n"
        info = tarfile.TarInfo("inner.sh")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    (served / "bundle.tgz").write_bytes(buffer.getvalue())
    (served / "tool").write_text("#!/bin/sh\necho tool\n")
    (served / "plain.tgz").write_bytes(buffer.getvalue())
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wget = bin_dir / "wget"
    # wget -q -O <out> <uri>: copy the served file named like the URI's last path segment.
    wget.write_text(f'#!/bin/sh\nname=$(basename "${{4%%\\?*}}")\ncp "{served}/$name" "$3"\n')
    wget.chmod(0o755)
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    job = build(
        {
            "fetch": [
                {"uri": "https://example.com/bundle.tgz"},
                {"uri": "https://example.com/tool?v=2", "outputFile": "my-tool", "executable": True},
                {"uri": "https://example.com/plain.tgz", "extract": False},
            ]
        }
    )
    script = init_script(job).replace(SANDBOX, str(sandbox))
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"}
    subprocess.run(["sh", "-c", script], check=True, env=env, timeout=30)
    assert (sandbox / "inner.sh").read_text() == "#!/bin/sh\necho from-archive\n"
    assert (sandbox / "my-tool").stat().st_mode & stat.S_IXUSR
    assert (sandbox / "plain.tgz").exists()


# --- constraints --------------------------------------------------------------------------------


def test_no_node_affinity_without_constraints() -> None:
    assert "affinity" not in pod_of(build({}))


def test_equals_constraint_becomes_in_the_value() -> None:
    assert expressions({"constraints": [["rack", "EQUALS", "rack-1"]]}) == [
        {"key": "rack", "operator": "In", "values": ["rack-1"]}
    ]


def test_hostname_constraint_uses_the_kubernetes_hostname_label() -> None:
    assert expressions({"constraints": [["hostname", "EQUALS", "node-7"]]}) == [
        {"key": "kubernetes.io/hostname", "operator": "In", "values": ["node-7"]}
    ]


NODES = [
    {"kubernetes.io/hostname": "node-1", "rack": "rack-1", "dc": "north"},
    {"kubernetes.io/hostname": "node-2", "rack": "rack-2", "dc": "south"},
    {"kubernetes.io/hostname": "node-3", "rack": "rack-10"},
    {"kubernetes.io/hostname": "node-4", "rack": "rack-4"},
]


def test_like_constraint_is_resolved_against_the_node_label_values() -> None:
    # A full match, as Java's String.matches: rack-10 is not rack-[1-3].
    assert expressions({"constraints": [["rack", "LIKE", "rack-[1-3]"]]}, NODES) == [
        {"key": "rack", "operator": "In", "values": ["rack-1", "rack-2"]}
    ]


def test_like_constraint_on_hostname_uses_the_hostname_label_values() -> None:
    assert expressions({"constraints": [["hostname", "LIKE", "node-[34]"]]}, NODES) == [
        {"key": "kubernetes.io/hostname", "operator": "In", "values": ["node-3", "node-4"]}
    ]


def test_like_constraint_no_node_matches_can_never_be_met() -> None:
    assert expressions({"constraints": [["rack", "LIKE", "rack-9"]]}, NODES) == [
        {"key": "rack", "operator": "In", "values": [NO_MATCH]}
    ]
    assert expressions({"constraints": [["rack", "LIKE", ".*"]]}, None) == [
        {"key": "rack", "operator": "In", "values": [NO_MATCH]}
    ]


def test_unlike_constraint_excludes_the_matching_values() -> None:
    assert expressions({"constraints": [["dc", "UNLIKE", "north|east"]]}, NODES) == [
        {"key": "dc", "operator": "Exists"},
        {"key": "dc", "operator": "NotIn", "values": ["north"]},
    ]


def test_unlike_constraint_on_a_missing_attribute_never_matches() -> None:
    # Chronos: a node without the attribute does not satisfy UNLIKE; Exists excludes it.
    found = expressions({"constraints": [["gpu-model", "UNLIKE", "k80"]]}, NODES)
    assert found == [{"key": "gpu-model", "operator": "Exists"}]


def test_all_constraints_must_hold() -> None:
    spec = {"constraints": [["rack", "LIKE", "rack-[12]"], ["dc", "EQUALS", "north"]]}
    assert expressions(spec, NODES) == [
        {"key": "rack", "operator": "In", "values": ["rack-1", "rack-2"]},
        {"key": "dc", "operator": "In", "values": ["north"]},
    ]


# --- environment and task id (contract §4) ------------------------------------------------------


def test_user_environment_variables_are_set() -> None:
    env = env_of(build({"environmentVariables": [{"name": "FOO", "value": "bar"}, {"name": "EMPTY"}]}))
    assert env["FOO"] == "bar"
    assert env["EMPTY"] == ""


def test_pod_gets_every_chronos_variable() -> None:
    spec = {
        "name": "SAMPLE_JOB1",
        "owner": "ops@example.com,dev@example.com",
        "arguments": ["-a 1", "-b 2"],
        "cpus": 0.5,
        "mem": 256,
        "disk": 512,
    }
    env = env_of(build(spec))
    expected_id = f"ct:{DUE_MS}:0:SAMPLE_JOB1:-a 1 -b 2"
    assert {name: env[name] for name in CHRONOS_VARIABLES} == {
        "mesos_task_id": expected_id,
        "MESOS_TASK_ID": expected_id,
        "CHRONOS_TASK_ID": expected_id,
        "CHRONOS_JOB_NAME": "SAMPLE_JOB1",
        "CHRONOS_JOB_OWNER": "ops@example.com,dev@example.com",
        "CHRONOS_RESOURCE_CPU": "0.5",
        "CHRONOS_RESOURCE_MEM": "256.0",
        "CHRONOS_RESOURCE_DISK": "512.0",
        "CHRONOS_JOB_RUN_TIME": str(DUE_MS),
        "CHRONOS_JOB_RUN_ATTEMPT": "0",
    }


def test_chronos_job_name_defaults_to_the_object_name() -> None:
    assert env_of(build({}))["CHRONOS_JOB_NAME"] == NAME


def test_run_time_is_the_due_time_in_epoch_milliseconds() -> None:
    snap = snapshot({})
    due = datetime(2015, 1, 9, 22, 49, 41, 398000, tzinfo=UTC)
    env = env_of(build_job(snap, scheduled(snap, due), Settings()))
    assert env["CHRONOS_JOB_RUN_TIME"] == "1420843781398"
    assert env["CHRONOS_TASK_ID"] == f"ct:1420843781398:0:{NAME}:"


def test_host_is_the_node_name() -> None:
    env = env_of(build({"environmentVariables": [{"name": "HOST", "value": "spoofed"}]}))
    assert env["HOST"] == {"fieldRef": {"fieldPath": "spec.nodeName"}}


@pytest.mark.parametrize("name", CHRONOS_VARIABLES)
def test_user_variables_of_the_same_names_do_not_override_chronos_variables(name: str) -> None:
    spec = {
        "owner": "ops@example.com",
        "environmentVariables": [{"name": name, "value": "user-value"}],
        "container": {"image": "alpine", "parameters": [{"key": "env", "value": f"{name}=param-value"}]},
    }
    env = env_of(build(spec))  # also checks that each name appears once
    assert env[name] not in ("user-value", "param-value")


def test_task_id_has_the_chronos_format_without_semicolons() -> None:
    snap = snapshot({"name": "sample-name", "command": "run.sh", "arguments": ["-a 1 -b 2"]})
    request = scheduled(snap)
    assert request.task_id == f"ct:{DUE_MS}:0:sample-name:-a 1 -b 2"
    assert build_job(snap, request, Settings())["metadata"]["annotations"]["chronos.dev/task-id"] == (
        request.task_id
    )
    override = triggered(snap, "-c 1 ; ./evil.sh")
    assert override.task_id == f"ct:{DUE_MS}:0:sample-name:-c 1  ./evil.sh"
    assert env_of(build_job(snap, override, Settings()))["CHRONOS_TASK_ID"] == override.task_id
    assert task_id(DUE, 0, "sample-name", "") == f"ct:{DUE_MS}:0:sample-name:"


# --- priority, retries, deadline ----------------------------------------------------------------


def test_high_priority_job_gets_the_priority_class_from_settings() -> None:
    job = build({"highPriority": True}, Settings(high_priority_class="chronos-high"))
    assert pod_of(job)["priorityClassName"] == "chronos-high"


def test_high_priority_without_a_configured_class_sets_no_priority_class() -> None:
    assert "priorityClassName" not in pod_of(build({"highPriority": True}, Settings(high_priority_class="")))


def test_normal_priority_job_gets_no_priority_class() -> None:
    assert "priorityClassName" not in pod_of(build({}, Settings(high_priority_class="chronos-high")))


@pytest.mark.parametrize(("spec", "limit"), [({}, 2), ({"retries": 0}, 0), ({"retries": 7}, 7)])
def test_retries_become_the_backoff_limit_with_restart_policy_never(spec: dict[str, Any], limit: int) -> None:
    job = build(spec)
    assert job["spec"]["backoffLimit"] == limit
    assert pod_of(job)["restartPolicy"] == "Never"


def test_max_completion_time_becomes_active_deadline_seconds() -> None:
    assert build({"maxCompletionTime": 3600})["spec"]["activeDeadlineSeconds"] == 3600
    assert "activeDeadlineSeconds" not in build({"maxCompletionTime": 0})["spec"]


# --- identity: owner reference, labels, annotations ---------------------------------------------


def test_job_is_named_by_the_request_in_the_chronos_jobs_namespace() -> None:
    job = build({})
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")
    assert job["metadata"]["name"] == f"{NAME}-{int(DUE.timestamp())}"
    assert job["metadata"]["namespace"] == NAMESPACE


def test_job_is_controlled_by_its_chronos_job() -> None:
    (owner,) = build({})["metadata"]["ownerReferences"]
    assert owner["apiVersion"] == "chronos.dev/v1alpha1"
    assert owner["kind"] == "ChronosJob"
    assert (owner["name"], owner["uid"]) == (NAME, UID)
    assert owner["controller"] is True


@pytest.mark.parametrize("trigger", ["schedule", "manual", "dependency"])
def test_job_and_pod_carry_the_operator_labels(trigger: str) -> None:
    snap = snapshot({"name": "SAMPLE_JOB1"})
    request = scheduled(snap) if trigger == "schedule" else triggered(snap, trigger=trigger)
    job = build_job(snap, request, Settings())
    for found in (job["metadata"]["labels"], job["spec"]["template"]["metadata"]["labels"]):
        assert found["app.kubernetes.io/managed-by"] == "chronos-operator"
        assert found["chronos.dev/job"] == NAME  # metadata.name: a valid label value, unlike SAMPLE_JOB1
        assert found["chronos.dev/trigger"] == trigger


def test_job_and_pod_carry_the_scheduled_time_and_task_id() -> None:
    job = build({"arguments": ["x"]})
    for found in (job["metadata"]["annotations"], job["spec"]["template"]["metadata"]["annotations"]):
        assert found["chronos.dev/scheduled-time"] == "2024-01-02T03:04:05.678Z"
        assert found["chronos.dev/task-id"] == f"ct:{DUE_MS}:0:{NAME}:x"


def test_manual_run_records_its_arguments() -> None:
    snap = snapshot({"command": "echo"})
    job = build_job(snap, triggered(snap, "hello there"), Settings())
    assert job["metadata"]["annotations"]["chronos.dev/arguments"] == "hello there"
    assert "chronos.dev/arguments" not in build({"command": "echo"})["metadata"]["annotations"]


# --- podTemplate --------------------------------------------------------------------------------


def test_pod_template_labels_and_annotations_are_added_to_the_pod() -> None:
    job = build(
        {
            "podTemplate": {
                "metadata": {"labels": {"team": "data"}, "annotations": {"sidecar.istio.io/inject": "false"}}
            }
        }
    )
    meta = job["spec"]["template"]["metadata"]
    assert meta["labels"]["team"] == "data"
    assert meta["labels"]["chronos.dev/job"] == NAME
    assert meta["annotations"]["sidecar.istio.io/inject"] == "false"
    assert meta["annotations"]["chronos.dev/task-id"].startswith("ct:")
    assert "team" not in job["metadata"]["labels"]


def test_pod_template_scheduling_and_identity_fields_are_used() -> None:
    template_spec = {
        "serviceAccountName": "reporting",
        "nodeSelector": {"pool": "batch"},
        "tolerations": [{"key": "batch", "operator": "Exists", "effect": "NoSchedule"}],
        "imagePullSecrets": [{"name": "registry-creds"}],
    }
    pod = pod_of(build({"podTemplate": {"spec": template_spec}}))
    for key, value in template_spec.items():
        assert pod[key] == value


def test_pod_template_affinity_is_kept_next_to_the_constraints() -> None:
    pod_affinity = {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 10,
                    "podAffinityTerm": {
                        "topologyKey": "kubernetes.io/hostname",
                        "labelSelector": {"matchLabels": {"chronos.dev/job": NAME}},
                    },
                }
            ]
        }
    }
    job = build(
        {"constraints": [["rack", "EQUALS", "r1"]], "podTemplate": {"spec": {"affinity": pod_affinity}}}
    )
    affinity = pod_of(job)["affinity"]
    assert affinity["podAntiAffinity"] == pod_affinity["podAntiAffinity"]
    assert node_terms(job) == [{"matchExpressions": [{"key": "rack", "operator": "In", "values": ["r1"]}]}]


def test_pod_template_node_affinity_and_constraints_must_both_hold() -> None:
    preferred = [{"weight": 1, "preference": {"matchExpressions": [{"key": "ssd", "operator": "Exists"}]}}]
    template_affinity: dict[str, Any] = {
        "nodeAffinity": {
            REQUIRED: {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]},
                    {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]},
                ]
            },
            "preferredDuringSchedulingIgnoredDuringExecution": preferred,
        }
    }
    job = build(
        {"constraints": [["rack", "EQUALS", "r1"]], "podTemplate": {"spec": {"affinity": template_affinity}}}
    )
    rack = {"key": "rack", "operator": "In", "values": ["r1"]}
    assert node_terms(job) == [
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}, rack]},
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}, rack]},
    ]
    node_affinity = pod_of(job)["affinity"]["nodeAffinity"]
    assert node_affinity["preferredDuringSchedulingIgnoredDuringExecution"] == preferred
    # The spec's own podTemplate is not modified by building a run.
    assert len(template_affinity["nodeAffinity"][REQUIRED]["nodeSelectorTerms"][0]["matchExpressions"]) == 1


def test_pod_template_node_affinity_is_used_without_constraints() -> None:
    template_affinity = {
        "nodeAffinity": {
            REQUIRED: {"nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "Exists"}]}]}
        }
    }
    pod = pod_of(build({"podTemplate": {"spec": {"affinity": template_affinity}}}))
    assert pod["affinity"] == template_affinity


def test_pod_template_volumes_are_added_to_the_pod() -> None:
    config = {"name": "config", "configMap": {"name": "job-config"}}
    job = build({"podTemplate": {"spec": {"volumes": [config]}}})
    assert volume(job, "config") == config
    assert volume(job, mount_at(job, SANDBOX)["name"])["emptyDir"] == {}


def test_pod_template_security_context_is_merged_with_run_as_user() -> None:
    job = build(
        {"runAsUser": 1000, "podTemplate": {"spec": {"securityContext": {"fsGroup": 2000, "runAsUser": 5}}}}
    )
    assert pod_of(job)["securityContext"] == {"fsGroup": 2000, "runAsUser": 1000}
    job = build({"podTemplate": {"spec": {"securityContext": {"runAsNonRoot": True, "runAsUser": 5}}}})
    assert pod_of(job)["securityContext"] == {"runAsNonRoot": True, "runAsUser": 5}


def test_pod_template_env_from_and_volume_mounts_of_the_main_container_are_used() -> None:
    template = {
        "spec": {
            "volumes": [{"name": "config", "configMap": {"name": "job-config"}}],
            "containers": [
                {
                    "name": "main",
                    "envFrom": [{"secretRef": {"name": "db-credentials"}}],
                    "volumeMounts": [{"name": "config", "mountPath": "/etc/job", "readOnly": True}],
                    "image": "ignored",
                },
                {"name": "sidecar", "envFrom": [{"configMapRef": {"name": "other"}}]},
            ],
        }
    }
    job = build({"podTemplate": template})
    main = main_of(job)  # no sidecar is added
    assert main["envFrom"] == [{"secretRef": {"name": "db-credentials"}}]
    assert mount_at(job, "/etc/job") == {"name": "config", "mountPath": "/etc/job", "readOnly": True}
    assert mount_at(job, SANDBOX)["name"] == "sandbox"
    assert main["image"] == Settings().default_image


def test_pod_template_of_the_wrong_shape_is_refused_with_a_message() -> None:
    with pytest.raises(ValueError, match=r"spec\.podTemplate"):
        build({"podTemplate": {"spec": {"containers": "main"}}})
    with pytest.raises(ValueError, match=r"spec\.podTemplate"):
        build({"podTemplate": {"metadata": {"labels": 5}}})


# --- container.parameters -----------------------------------------------------------------------


def params(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {"container": {"image": "alpine", "parameters": [{"key": k, "value": v} for k, v in pairs]}}


def test_env_parameter_becomes_a_container_variable() -> None:
    env = env_of(build(params(("env", "MODE=fast"), ("env", "URL=http://x/?a=b"))))
    assert env["MODE"] == "fast"
    assert env["URL"] == "http://x/?a=b"


def test_label_parameter_becomes_a_pod_label_but_not_over_the_operator_labels() -> None:
    job = build(params(("label", "cost-center=42"), ("label", "chronos.dev/job=other")))
    pod_labels = job["spec"]["template"]["metadata"]["labels"]
    assert pod_labels["cost-center"] == "42"
    assert pod_labels["chronos.dev/job"] == NAME


def test_user_parameter_sets_the_uid() -> None:
    assert pod_of(build(params(("user", "1001"))))["securityContext"] == {"runAsUser": 1001}


def test_workdir_parameter_sets_the_working_directory() -> None:
    assert main_of(build(params(("workdir", "/app"))))["workingDir"] == "/app"


def test_privileged_parameter_makes_a_privileged_container_when_allowed() -> None:
    spec = params(("privileged", "true"))
    assert main_of(build(spec, Settings(allow_privileged=True)))["securityContext"] == {"privileged": True}
    assert "securityContext" not in main_of(build(spec, Settings(allow_privileged=False)))
    assert "securityContext" not in main_of(build(params(("privileged", "false")), PERMISSIVE))


def test_mapped_parameters_are_not_reported_as_unsupported() -> None:
    spec = params(("env", "A=1"), ("label", "a=b"), ("user", "1"), ("workdir", "/w"), ("privileged", "true"))
    assert unsupported_fields(validate_spec(spec)) == []


def test_unsupported_fields_reports_other_parameters_and_mesos_only_fields() -> None:
    spec = validate_spec(
        {
            "executor": "/usr/local/bin/custom-executor",
            "executorFlags": "--verbose",
            "taskInfoData": "{}",
            "dataProcessingJobType": True,
            **params(("env", "A=1"), ("memory-swap", "1g"), ("cap-add", "NET_ADMIN")),
        }
    )
    assert unsupported_fields(spec) == [
        "spec.executor",
        "spec.executorFlags",
        "spec.taskInfoData",
        "spec.dataProcessingJobType",
        "spec.container.parameters[1] (memory-swap)",
        "spec.container.parameters[2] (cap-add)",
    ]


def test_unsupported_fields_is_empty_for_a_plain_job() -> None:
    assert unsupported_fields(validate_spec({"command": "true", "container": {"image": "alpine"}})) == []


# --- policy (contract §9) -----------------------------------------------------------------------


def test_policy_refuses_host_network_naming_the_field() -> None:
    (problem,) = policy_problems(validate_spec({"container": {"network": "HOST"}}), Settings())
    assert problem.startswith("spec.container.network")
    assert "CHRONOS_OPERATOR_ALLOW_HOST_NETWORK" in problem


def test_policy_refuses_host_path_naming_the_field() -> None:
    volumes = [{"containerPath": "/a"}, {"containerPath": "/b", "hostPath": "/var/run/docker.sock"}]
    (problem,) = policy_problems(validate_spec({"container": {"volumes": volumes}}), Settings())
    assert problem.startswith("spec.container.volumes[1].hostPath")
    assert "CHRONOS_OPERATOR_ALLOW_HOST_PATH" in problem


def test_policy_refuses_privileged_naming_the_field() -> None:
    spec = validate_spec(params(("label", "a=b"), ("privileged", "true")))
    (problem,) = policy_problems(spec, Settings())
    assert problem.startswith("spec.container.parameters[1]")
    assert "privileged" in problem
    assert "CHRONOS_OPERATOR_ALLOW_PRIVILEGED" in problem
    assert policy_problems(validate_spec(params(("privileged", "false"))), Settings()) == []


def test_policy_reports_every_refused_field() -> None:
    spec = validate_spec(
        {
            "container": {
                "network": "HOST",
                "volumes": [{"containerPath": "/h", "hostPath": "/h"}],
                "parameters": [{"key": "privileged", "value": "true"}],
            }
        }
    )
    assert len(policy_problems(spec, Settings())) == 3
    assert policy_problems(spec, PERMISSIVE) == []
    only_network = Settings(allow_host_network=True)
    assert [p.split(":")[0] for p in policy_problems(spec, only_network)] == [
        "spec.container.volumes[0].hostPath",
        "spec.container.parameters[0]",
    ]


def test_policy_has_nothing_to_say_about_a_plain_job() -> None:
    assert policy_problems(validate_spec({"command": "true"}), Settings()) == []
    spec = {
        "container": {"network": "BRIDGE", "volumes": [{"containerPath": "/x", "external": {"name": "p"}}]}
    }
    assert policy_problems(validate_spec(spec), Settings()) == []


# --- run Job names ------------------------------------------------------------------------------


def test_run_job_name_is_the_owner_and_the_suffix() -> None:
    assert run_job_name("nightly-report", "1704164645") == "nightly-report-1704164645"
    exact = "a" * (MAX_JOB_NAME - 11)
    assert run_job_name(exact, "1704164645") == f"{exact}-1704164645"


@pytest.mark.parametrize("suffix", ["1704164645", "m-0123abcd", "d-89abcdef01"])
def test_run_job_name_over_63_characters_is_shortened_with_a_hash(suffix: str) -> None:
    long_a = "x" * 60 + "-alpha"
    long_b = "x" * 60 + "-bravo"
    name_a = run_job_name(long_a, suffix)
    assert len(name_a) <= MAX_JOB_NAME
    assert name_a.endswith(f"-{suffix}")
    assert name_a.startswith("x" * 20)
    assert name_a == run_job_name(long_a, suffix)  # deterministic: a run is never created twice
    assert name_a != run_job_name(long_b, suffix)  # the hash keeps owners with a common prefix apart
    assert name_a != run_job_name(long_a, suffix[:-1] + "9")
