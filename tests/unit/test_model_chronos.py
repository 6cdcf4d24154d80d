"""Chronos job JSON <-> ChronosJobSpec: every example imports, every quirk is accepted, output
follows Chronos' serializer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chronos_operator.model.chronos import export_warnings, from_chronos_json, to_chronos_json
from chronos_operator.model.errors import SpecError
from chronos_operator.model.spec import validate_spec
from chronos_operator.model.status import ChronosJobStatus

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "chronos-jobs"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json")) if EXAMPLES.is_dir() else []
# Chronos 3.x serializer order (chronos.md §1.2), with 2.x's epsilon and async where 2.x put them.
SERIALIZER_ORDER = [
    "name",
    "command",
    "shell",
    "epsilon",
    "executor",
    "executorFlags",
    "taskInfoData",
    "retries",
    "owner",
    "ownerName",
    "description",
    "async",
    "successCount",
    "errorCount",
    "lastSuccess",
    "lastError",
    "cpus",
    "disk",
    "mem",
    "disabled",
    "softError",
    "dataProcessingJobType",
    "errorsSinceLastSuccess",
    "fetch",
    "uris",
    "environmentVariables",
    "arguments",
    "highPriority",
    "runAsUser",
    "concurrent",
    "maxCompletionTime",
    "container",
    "constraints",
]


def convert(job: dict[str, Any]) -> tuple[Any, list[str]]:
    return from_chronos_json({"name": "job", **job})


def warned(warnings: list[str], field: str) -> bool:
    return any(w.startswith(f"{field}: ") for w in warnings)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.name for p in EXAMPLE_FILES])
def test_every_example_imports(path: Path) -> None:
    original = json.loads(path.read_text())
    spec, _ = from_chronos_json(original)
    assert spec.name == original["name"]
    again, warnings = from_chronos_json(to_chronos_json(spec))
    # Export writes the effective epsilon (the operator's PT60S when unset), as Chronos 2.x did.
    assert again.epsilon == (spec.epsilon or "PT60S")
    assert again.model_copy(update={"epsilon": spec.epsilon}) == spec
    assert warnings == []


def test_the_brief_examples_keep_their_meaning() -> None:
    spec, warnings = from_chronos_json(
        {
            "async": True,
            "command": "bash -x /srv/data-infra/jobs/hive_query.bash run_hive hostings-earnings-summary",
            "epsilon": "PT30M",
            "errorCount": 0,
            "lastError": "",
            "lastSuccess": "2013-03-15T13:02:14.243Z",
            "name": "hostings_earnings_summary",
            "owner": "",
            "parents": ["hostings_daily_load"],
            "retries": 2,
            "successCount": 100,
        }
    )
    assert spec.async_ and spec.epsilon == "PT30M" and spec.parents == ["hostings_daily_load"]
    assert warned(warnings, "successCount") and warned(warnings, "lastSuccess")
    # zero counters lose nothing, so they are not worth a warning
    assert not warned(warnings, "errorCount") and not warned(warnings, "lastError")


def test_numbers_as_strings() -> None:
    spec, warnings = convert(
        {"cpus": "0.5", "mem": "512", "disk": "1024", "retries": "3", "maxCompletionTime": "60"}
    )
    assert (spec.cpus, spec.mem, spec.disk, spec.retries, spec.maxCompletionTime) == (0.5, 512, 1024, 3, 60)
    assert warnings == []


@pytest.mark.parametrize("value", [0, "0", None])
def test_zero_or_absent_resources_are_the_defaults(value: object) -> None:
    spec, _ = convert({"cpus": value, "mem": value, "disk": value})
    assert (spec.cpus, spec.mem, spec.disk) == (0.1, 128, 256)


def test_booleans_as_strings() -> None:
    spec, _ = convert({"shell": "false", "disabled": "TRUE", "async": "true"})
    assert (spec.shell, spec.disabled, spec.async_) == (False, True, True)


def test_null_means_absent() -> None:
    spec, warnings = convert({"schedule": None, "container": None, "owner": None, "retries": None})
    assert spec.schedule is None and spec.container is None and spec.owner == "" and spec.retries == 2
    assert warnings == []


def test_container_force_pull_image_string_and_case_insensitive_type_and_mode() -> None:
    spec, _ = convert(
        {
            "container": {
                "type": "docker",
                "image": "busybox",
                "network": "BRIDGE",
                "forcePullImage": "true",
                "volumes": [{"containerPath": "/data", "hostPath": "/srv", "mode": "ro"}],
            }
        }
    )
    assert spec.container is not None
    assert (spec.container.type, spec.container.forcePullImage) == ("DOCKER", True)
    assert spec.container.volumes[0].mode == "RO"


def test_container_without_image_is_ignored_with_a_warning() -> None:
    spec, warnings = convert({"container": {"type": "DOCKER", "network": "HOST"}})
    assert spec.container is None
    assert warned(warnings, "container")


def test_network_is_case_sensitive() -> None:
    with pytest.raises(SpecError) as caught:
        convert({"container": {"image": "busybox", "network": "bridge"}})
    assert str(caught.value) == "spec.container.network: must be one of HOST, BRIDGE, USER"


def test_missing_network_warns_that_chronos_used_host() -> None:
    spec, warnings = convert({"container": {"image": "busybox"}})
    assert spec.container is not None and spec.container.network is None
    assert warned(warnings, "container.network")


def test_network_infos_ports_as_strings() -> None:
    spec, _ = convert(
        {
            "container": {
                "image": "busybox",
                "network": "USER",
                "networkInfos": [
                    {
                        "name": "calico",
                        "protocol": "IPv4",
                        "labels": [{"key": "a", "value": "b"}],
                        "portMappings": [{"hostPort": "8080", "containerPort": "80", "protocol": "tcp"}],
                    }
                ],
            }
        }
    )
    assert spec.container is not None
    mapping = spec.container.networkInfos[0].portMappings[0]
    assert (mapping.hostPort, mapping.containerPort) == (8080, 80)
    out = to_chronos_json(spec)["container"]["networkInfos"][0]["portMappings"][0]
    assert out == {"hostPort": "8080", "containerPort": "80", "protocol": "tcp"}


def test_fetch_output_file_under_either_key() -> None:
    spec, _ = convert(
        {
            "fetch": [
                {"uri": "https://example.com/a.tgz", "output_file": "a.tgz"},
                {"uri": "https://example.com/b", "outputFile": "b", "executable": "true", "extract": False},
            ]
        }
    )
    assert [f.outputFile for f in spec.fetch] == ["a.tgz", "b"]
    assert spec.fetch[0].extract is True
    assert (spec.fetch[1].executable, spec.fetch[1].extract) == (True, False)
    assert to_chronos_json(spec)["fetch"][0] == {
        "uri": "https://example.com/a.tgz",
        "output_file": "a.tgz",
        "executable": False,
        "cache": False,
        "extract": True,
    }


def test_uris_echoed_next_to_fetch_by_get_jobs_are_dropped() -> None:
    spec, warnings = convert({"uris": ["https://example.com/a"], "fetch": [{"uri": "https://example.com/a"}]})
    assert spec.uris == [] and [f.uri for f in spec.fetch] == ["https://example.com/a"]
    assert warned(warnings, "uris")


def test_different_uris_and_fetch_are_refused() -> None:
    with pytest.raises(SpecError) as caught:
        convert({"uris": ["https://example.com/a"], "fetch": [{"uri": "https://example.com/b"}]})
    assert str(caught.value).startswith("spec.fetch: set either uris or fetch")


def test_parents_win_over_schedule() -> None:
    spec, warnings = convert(
        {"parents": ["a"], "schedule": "R/2024-01-01T00:00:00Z/P1D", "scheduleTimeZone": "PST"}
    )
    assert spec.parents == ["a"] and spec.schedule is None and spec.scheduleTimeZone is None
    assert warned(warnings, "schedule") and warned(warnings, "scheduleTimeZone")


def test_empty_parents_next_to_a_schedule_are_ignored() -> None:
    spec, warnings = convert({"parents": [], "schedule": "R/2024-01-01T00:00:00Z/P1D"})
    assert spec.parents is None and spec.schedule is not None
    assert warned(warnings, "parents")


def test_empty_parents_alone_are_refused() -> None:
    with pytest.raises(SpecError, match=r"^spec\.parents: must not be empty"):
        convert({"parents": []})


def test_duplicate_parents_collapse() -> None:
    spec, warnings = convert({"parents": ["a", "b", "a"]})
    assert spec.parents == ["a", "b"]
    assert warned(warnings, "parents[2]")


def test_counters_are_ignored_with_warnings() -> None:
    spec, warnings = convert(
        {
            "successCount": 5,
            "errorCount": "2",
            "lastSuccess": "2024-01-01T00:00:00.000Z",
            "errorsSinceLastSuccess": 1,
        }
    )
    assert spec == validate_spec({"name": "job"})
    for field in ("successCount", "errorCount", "lastSuccess", "errorsSinceLastSuccess"):
        assert warned(warnings, field)


def test_mesos_only_fields_are_kept_and_reported() -> None:
    spec, warnings = convert(
        {"executor": "/opt/exec", "executorFlags": "-v", "taskInfoData": "x", "dataProcessingJobType": True}
    )
    assert (spec.executor, spec.executorFlags, spec.taskInfoData, spec.dataProcessingJobType) == (
        "/opt/exec",
        "-v",
        "x",
        True,
    )
    for field in ("executor", "executorFlags", "taskInfoData", "dataProcessingJobType"):
        assert warned(warnings, field)


def test_empty_mesos_fields_from_get_jobs_are_not_reported() -> None:
    _, warnings = convert(
        {"executor": "", "executorFlags": "", "taskInfoData": "", "dataProcessingJobType": False}
    )
    assert warnings == []


def test_unknown_fields_are_ignored_with_a_warning() -> None:
    spec, warnings = convert(
        {"invocationCount": 3, "dataJob": True, "container": {"image": "x", "network": "HOST", "foo": 1}}
    )
    assert (
        warned(warnings, "invocationCount")
        and warned(warnings, "dataJob")
        and warned(warnings, "container.foo")
    )
    assert spec.container is not None


def test_unknown_constraint_operators_are_dropped_like_chronos_does() -> None:
    spec, warnings = convert({"constraints": [["rack", "GROUP_BY", "x"], ["hostname", "EQUALS", "n1"]]})
    assert spec.constraints == [("hostname", "EQUALS", "n1")]
    assert warned(warnings, "constraints[0]")


def test_environment_values_that_are_not_strings() -> None:
    spec, _ = convert(
        {"environmentVariables": [{"name": "N", "value": 5}, {"name": "B", "value": True}, {"name": "E"}]}
    )
    assert [(v.name, v.value) for v in spec.environmentVariables] == [("N", "5"), ("B", "true"), ("E", "")]


def test_run_as_user() -> None:
    assert convert({"runAsUser": "root"})[0].run_as_uid() == 0
    assert convert({"runAsUser": ""})[0].runAsUser is None
    with pytest.raises(SpecError, match=r"^spec\.runAsUser: user name 'hadoop'"):
        convert({"runAsUser": "hadoop"})


@pytest.mark.parametrize(
    ("job", "field"),
    [
        ({"name": "x", "schedule": "R/2024/P1D"}, "spec.schedule"),
        ({"schedule": "R/2024-01-01T00:00:00Z/P1D"}, "spec.name"),
        ({"name": "bad name"}, "spec.name"),
        ({"name": "x", "cpus": "lots"}, "spec.cpus"),
        ({"name": "x", "retries": 1.5}, "spec.retries"),
        ({"name": "x", "shell": "nope"}, "spec.shell"),
        ({"name": "x", "arguments": "-v"}, "spec.arguments"),
        ({"name": "x", "constraints": [["a", "EQUALS"]]}, "spec.constraints[0]"),
        ({"name": "x", "constraints": [["a", "LIKE", "["]]}, "spec.constraints[0][2]"),
        ({"name": "x", "container": {"image": "i", "type": "rkt"}}, "spec.container.type"),
        (
            {"name": "x", "container": {"image": "i", "network": "HOST", "volumes": [{"mode": "RW"}]}},
            "spec.container.volumes[0].containerPath",
        ),
        ({"name": "x", "epsilon": "30 minutes"}, "spec.epsilon"),
        ({"name": "x", "scheduleTimeZone": "Pacific Time", "schedule": "R//P1D"}, "spec.scheduleTimeZone"),
        ({"name": "x", "container": "busybox"}, "spec.container"),
    ],
)
def test_bad_jobs_name_the_field(job: dict[str, Any], field: str) -> None:
    with pytest.raises(SpecError) as caught:
        from_chronos_json(job)
    assert str(caught.value).startswith(f"{field}: "), str(caught.value)


def test_a_job_must_be_an_object() -> None:
    with pytest.raises(SpecError, match="JSON object"):
        from_chronos_json(["not", "a", "job"])  # type: ignore[arg-type]


def test_to_chronos_json_follows_the_serializer_order() -> None:
    spec = validate_spec(
        {
            "name": "j",
            "schedule": "R/2024-01-01T00:00:00Z/P1D",
            "scheduleTimeZone": "PST",
            "container": {"image": "busybox"},
        }
    )
    job = to_chronos_json(spec)
    assert list(job) == [*SERIALIZER_ORDER, "schedule", "scheduleTimeZone"]
    dependency = to_chronos_json(validate_spec({"name": "k", "parents": ["j"]}))
    assert list(dependency) == [key for key in SERIALIZER_ORDER if key != "container"] + ["parents"]


def test_to_chronos_json_resolves_defaults_and_takes_counters_from_status() -> None:
    status = ChronosJobStatus(
        successCount=4, errorCount=1, errorsSinceLastSuccess=1, lastError="2024-01-02T00:00:00.000Z"
    )
    job = to_chronos_json(validate_spec({"schedule": "R//PT1H"}), status, name="from-metadata")
    assert job["name"] == "from-metadata"
    assert (job["cpus"], job["mem"], job["disk"], job["retries"], job["epsilon"]) == (
        0.1,
        128.0,
        256.0,
        2,
        "PT60S",
    )
    assert (job["successCount"], job["errorCount"], job["errorsSinceLastSuccess"]) == (4, 1, 1)
    assert (job["lastSuccess"], job["lastError"]) == ("", "2024-01-02T00:00:00.000Z")
    assert job["scheduleTimeZone"] == ""


def test_to_chronos_json_needs_a_name() -> None:
    with pytest.raises(ValueError, match="name"):
        to_chronos_json(validate_spec({}))


def test_a_run_once_job_has_neither_schedule_nor_parents() -> None:
    job = to_chronos_json(validate_spec({"name": "once"}))
    assert "schedule" not in job and "parents" not in job


def test_round_trip_of_a_full_job() -> None:
    original = {
        "name": "full_job",
        "command": "run.sh",
        "arguments": ["a", "b"],
        "shell": False,
        "schedule": "R5/2024-01-01T09:00:00/P1D",
        "scheduleTimeZone": "America/New_York",
        "epsilon": "PT5M",
        "retries": 4,
        "async": True,
        "concurrent": True,
        "softError": True,
        "highPriority": True,
        "owner": "a@example.com,b@example.com",
        "ownerName": "Team",
        "description": "desc",
        "cpus": 2.0,
        "mem": 1024.0,
        "disk": 2048.0,
        "maxCompletionTime": 600,
        "runAsUser": "nobody",
        "fetch": [
            {
                "uri": "https://example.com/x.tgz",
                "output_file": "x.tgz",
                "executable": False,
                "cache": True,
                "extract": True,
            }
        ],
        "environmentVariables": [{"name": "A", "value": "1"}],
        "constraints": [["hostname", "LIKE", "node-[0-9]+"], ["rack", "UNLIKE", "r1"]],
        "container": {
            "type": "MESOS",
            "image": "busybox:1.36",
            "network": "USER",
            "networkName": "legacy",
            "volumes": [
                {
                    "containerPath": "/data",
                    "mode": "RO",
                    "external": {"name": "pvc", "provider": "dvdi", "options": []},
                },
                {"containerPath": "/scratch"},
            ],
            "forcePullImage": True,
            "parameters": [{"key": "label", "value": "a=b"}],
        },
    }
    spec, warnings = from_chronos_json(original)
    assert warnings == []
    exported = to_chronos_json(spec)
    for key, value in original.items():
        if key == "container":
            for ckey, cvalue in value.items():  # type: ignore[attr-defined]
                assert exported["container"][ckey] == cvalue, ckey
        else:
            assert exported[key] == value, key
    assert from_chronos_json(exported)[0] == spec


def test_export_warnings_name_what_chronos_cannot_hold() -> None:
    spec = validate_spec(
        {"name": "x", "gpus": 1, "podTemplate": {"spec": {}}, "container": {}, "failedJobsHistoryLimit": 5}
    )
    fields = {w.split(":")[0] for w in export_warnings(spec)}
    assert fields == {"podTemplate", "failedJobsHistoryLimit", "gpus", "container.image"}
    assert export_warnings(validate_spec({"name": "x"})) == []


def test_the_brief_examples_are_in_the_repository() -> None:
    assert len(EXAMPLE_FILES) == 6
