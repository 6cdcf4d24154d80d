"""ChronosJobSpec, ChronosJobStatus and ChronosJob: defaults, validation, and error messages that
name the field."""

from __future__ import annotations

from typing import Any

import pytest

from chronos_operator.model.errors import SpecError
from chronos_operator.model.job import parse_chronos_job
from chronos_operator.model.spec import ChronosJobSpec, display_schedule, validate_spec
from chronos_operator.model.status import ChronosJobStatus
from chronos_operator.model.users import parse_user


def test_defaults_are_chronos_defaults() -> None:
    spec = validate_spec({})
    assert spec.name is None
    assert (spec.command, spec.arguments, spec.shell) == ("", [], True)
    assert (spec.schedule, spec.scheduleTimeZone, spec.epsilon, spec.parents) == (None, None, None, None)
    assert spec.retries == 2
    assert not (spec.async_ or spec.concurrent or spec.disabled or spec.softError or spec.highPriority)
    assert (spec.owner, spec.ownerName, spec.description) == ("", "", "")
    assert (spec.cpus, spec.mem, spec.disk, spec.gpus) == (0.1, 128, 256, 0)
    assert spec.maxCompletionTime == 0
    assert spec.runAsUser is None
    assert (spec.uris, spec.fetch, spec.environmentVariables, spec.constraints) == ([], [], [], [])
    assert spec.container is None
    assert spec.podTemplate is None
    assert (spec.successfulJobsHistoryLimit, spec.failedJobsHistoryLimit) == (3, 1)


def test_async_is_read_and_written_by_its_chronos_name() -> None:
    spec = validate_spec({"async": True})
    assert spec.async_ is True
    assert spec.model_dump()["async"] is True
    assert "async" in ChronosJobSpec.model_json_schema(by_alias=True)["properties"]


def test_zero_resources_mean_the_default() -> None:
    spec = validate_spec({"cpus": 0, "mem": 0, "disk": 0})
    assert (spec.cpus, spec.mem, spec.disk) == (0.1, 128, 256)


def test_fetch_extract_defaults_to_true() -> None:
    spec = validate_spec({"fetch": [{"uri": "https://example.com/a.tgz"}]})
    assert spec.fetch[0].extract is True
    assert spec.fetch[0].executable is False


def test_empty_time_zone_means_none() -> None:
    assert (
        validate_spec({"schedule": "R/2024-01-01T00:00:00Z/P1D", "scheduleTimeZone": ""}).scheduleTimeZone
        is None
    )


@pytest.mark.parametrize(
    "schedule",
    [
        "R/2024-01-01T00:00:00Z/P1D",
        "R5//PT2S",
        "R0/2024-01-01/P1M",
        "R10/2012-10-01T05:52:00Z/PT2S",
        "R/2014-09-25T17:22:00-07:00/P2W",
    ],
)
def test_valid_schedules(schedule: str) -> None:
    assert validate_spec({"schedule": schedule}).schedule == schedule


def test_neither_schedule_nor_parents_is_a_run_once_job() -> None:
    spec = validate_spec({"command": "date"})
    assert display_schedule(spec) == "once"


def test_display_schedule() -> None:
    assert (
        display_schedule(validate_spec({"schedule": "R/2024-01-01T00:00:00Z/P1D"}))
        == "R/2024-01-01T00:00:00Z/P1D"
    )
    assert display_schedule(validate_spec({"parents": ["a", "b_c"]})) == "after: a, b_c"


BAD_SPECS: list[tuple[dict[str, Any], str, str]] = [
    ({"schedule": "x"}, "spec.schedule", "R[n]/[start]/period"),
    ({"schedule": "R/2024-13-01T00:00:00Z/P1D"}, "spec.schedule", "2024-13-01"),
    ({"schedule": "R/2024-01-01T00:00:00Z/PT0.5S"}, "spec.schedule", "at least one second"),
    (
        {"schedule": "R/2024-01-01T00:00:00Z/P1D", "scheduleTimeZone": "Mars/Olympus"},
        "spec.scheduleTimeZone",
        "Mars",
    ),
    ({"schedule": "R/2024-01-01T00:00:00Z/P1D", "parents": ["a"]}, "spec.schedule", "not both"),
    ({"epsilon": "60s"}, "spec.epsilon", "ISO 8601 duration"),
    ({"parents": []}, "spec.parents", "must not be empty"),
    ({"parents": ["a", "a"]}, "spec.parents[1]", "duplicate"),
    ({"parents": ["bad name"]}, "spec.parents[0]", "must match"),
    ({"name": "me", "parents": ["me"]}, "spec.parents", "own parent"),
    ({"name": "a b"}, "spec.name", "must match"),
    ({"name": ""}, "spec.name", "at least 1"),
    ({"retries": -1}, "spec.retries", ">= 0"),
    ({"retries": 101}, "spec.retries", "<= 100"),
    ({"cpus": -0.5}, "spec.cpus", ">= 0"),
    ({"mem": -1}, "spec.mem", ">= 0"),
    ({"disk": -1}, "spec.disk", ">= 0"),
    ({"gpus": -1}, "spec.gpus", ">= 0"),
    ({"maxCompletionTime": -1}, "spec.maxCompletionTime", ">= 0"),
    ({"successfulJobsHistoryLimit": 101}, "spec.successfulJobsHistoryLimit", "<= 100"),
    ({"failedJobsHistoryLimit": -1}, "spec.failedJobsHistoryLimit", ">= 0"),
    ({"runAsUser": "bob"}, "spec.runAsUser", "numeric uid"),
    ({"runAsUser": -1}, "spec.runAsUser", "outside"),
    ({"runAsUser": True}, "spec.runAsUser", "numeric uid"),
    ({"constraints": [["hostname", "NEAR", "x"]]}, "spec.constraints[0][1]", "EQUALS, LIKE, UNLIKE"),
    ({"constraints": [["hostname", "LIKE", "("]]}, "spec.constraints[0][2]", "regular expression"),
    ({"constraints": [["", "EQUALS", "x"]]}, "spec.constraints[0][0]", "attribute"),
    ({"uris": ["a"], "fetch": [{"uri": "b"}]}, "spec.fetch", "not both"),
    ({"fetch": [{"outputFile": "x"}]}, "spec.fetch[0].uri", "required"),
    ({"environmentVariables": [{"value": "x"}]}, "spec.environmentVariables[0].name", "required"),
    ({"container": {"network": "bridge"}}, "spec.container.network", "must be one of HOST, BRIDGE, USER"),
    ({"container": {"type": "docker"}}, "spec.container.type", "must be one of DOCKER, MESOS"),
    (
        {"container": {"volumes": [{"containerPath": "/x", "mode": "rw"}]}},
        "spec.container.volumes[0].mode",
        "RW, RO",
    ),
    ({"container": {"volumes": [{"hostPath": "/x"}]}}, "spec.container.volumes[0].containerPath", "required"),
    (
        {"container": {"volumes": [{"containerPath": "/x", "hostPath": "/y", "external": {"name": "v"}}]}},
        "spec.container.volumes[0].external",
        "not both",
    ),
    (
        {"container": {"networkInfos": [{"name": "n", "protocol": "ipv4"}]}},
        "spec.container.networkInfos[0].protocol",
        "IPv4",
    ),
    ({"container": {"image": ""}}, "spec.container.image", "at least 1"),
    ({"podTemplate": {"labels": {"a": "b"}}}, "spec.podTemplate", "metadata and spec"),
    ({"podTemplate": {"spec": []}}, "spec.podTemplate.spec", "object"),
    ({"shell": "maybe"}, "spec.shell", "boolean"),
    ({"sheduled": "R/2024-01-01T00:00:00Z/P1D"}, "spec.sheduled", "unknown field"),
]


@pytest.mark.parametrize(("data", "field", "text"), BAD_SPECS, ids=[case[1] for case in BAD_SPECS])
def test_each_validation_error_names_its_field(data: dict[str, Any], field: str, text: str) -> None:
    with pytest.raises(SpecError) as caught:
        validate_spec(data)
    message = str(caught.value)
    assert message.startswith(f"{field}: "), message
    assert text in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("value", "uid"), [(0, 0), (1000, 1000), ("1000", 1000), ("root", 0), ("nobody", 65534)]
)
def test_run_as_user(value: int | str, uid: int) -> None:
    assert parse_user(value) == uid
    assert validate_spec({"runAsUser": value}).run_as_uid() == uid


def test_user_names_other_than_root_and_nobody_are_refused_with_advice() -> None:
    with pytest.raises(ValueError, match="write the uid instead"):
        parse_user("hadoop")


def test_mesos_only_fields_are_listed() -> None:
    spec = validate_spec({"executor": "/bin/exec", "dataProcessingJobType": True})
    assert spec.mesos_only_fields() == ["executor", "dataProcessingJobType"]
    assert validate_spec({}).mesos_only_fields() == []


def test_pod_template_is_free_form_below_metadata_and_spec() -> None:
    template = {
        "metadata": {"labels": {"team": "data"}},
        "spec": {"serviceAccountName": "etl", "x": {"y": 1}},
    }
    assert validate_spec({"podTemplate": template}).podTemplate == template


def test_chronos_job_object() -> None:
    job = parse_chronos_job(
        {
            "apiVersion": "chronos.dev/v1alpha1",
            "kind": "ChronosJob",
            "metadata": {"name": "sample-job1", "namespace": "ns"},
            "spec": {"name": "SAMPLE_JOB1", "schedule": "R10/2012-10-01T05:52:00Z/PT2S"},
            "status": {"successCount": 3, "lastSuccess": "2024-01-01T00:00:00.000Z", "kopf": {"x": 1}},
        }
    )
    assert job.chronos_name == "SAMPLE_JOB1"
    assert job.namespace == "ns"
    assert job.status is not None and job.status.successCount == 3


def test_chronos_name_defaults_to_metadata_name() -> None:
    job = parse_chronos_job({"metadata": {"name": "plain"}, "spec": {}})
    assert job.chronos_name == "plain"


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"metadata": {"name": "a" * 53}, "spec": {}}, "metadata.name"),
        ({"metadata": {"name": "loop"}, "spec": {"parents": ["loop"]}}, "spec.parents"),
        ({"metadata": {"name": "x"}, "spec": {"retries": "many"}}, "spec.retries"),
        ({"metadata": {"name": "x"}}, "spec"),
        ({"kind": "CronJob", "metadata": {"name": "x"}, "spec": {}}, "kind"),
        ({"apiVersion": "batch/v1", "metadata": {"name": "x"}, "spec": {}}, "apiVersion"),
        ({"metadata": {"name": "x"}, "spec": {}, "status": {"state": "walking"}}, "status.state"),
    ],
)
def test_object_errors_name_the_field(document: dict[str, Any], field: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_chronos_job(document)
    assert str(caught.value).startswith(f"{field}: "), str(caught.value)


def test_status_defaults_and_tolerates_unknown_fields() -> None:
    status = ChronosJobStatus.model_validate({"kopf": {"progress": {}}, "remainingRuns": 4})
    assert (status.successCount, status.errorCount, status.skippedCount) == (0, 0, 0)
    assert status.state == "idle" and status.lastStatus == "fresh"
    assert status.remainingRuns == 4
    assert status.nextRunTime is None


def test_status_round_trip() -> None:
    data = {
        "observedGeneration": 2,
        "successCount": 1,
        "errorCount": 2,
        "errorsSinceLastSuccess": 1,
        "skippedCount": 3,
        "lastSuccess": "2024-01-01T00:00:00.000Z",
        "lastError": "2024-01-02T00:00:00.000Z",
        "nextRunTime": "2024-01-03T00:00:00.000Z",
        "remainingRuns": 5,
        "state": "2 running",
        "lastStatus": "failure",
        "scheduleDisplay": "after: a",
        "active": [
            {
                "jobName": "a-1704240000",
                "taskId": "ct:1704240000000:0:a:",
                "trigger": "schedule",
                "scheduledTime": "2024-01-03T00:00:00.000Z",
                "startTime": "2024-01-03T00:00:01.000Z",
            }
        ],
        "history": [
            {
                "taskId": "ct:1704153600000:0:a:",
                "jobName": "a-1704153600",
                "trigger": "manual",
                "scheduledTime": "2024-01-02T00:00:00.000Z",
                "startTime": "2024-01-02T00:00:00.000Z",
                "finishTime": "2024-01-02T00:00:10.000Z",
                "outcome": "Failed",
                "exitCode": 3,
                "reason": "BackoffLimitExceeded",
                "arguments": "-v",
            }
        ],
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "Scheduled",
                "message": "",
                "lastTransitionTime": "2024-01-01T00:00:00Z",
                "observedGeneration": 2,
            }
        ],
        "scheduleCursor": {
            "expression": "R/2024-01-01T00:00:00Z/P1D|",
            "effectiveFrom": "2024-01-01T00:00:00.000Z",
            "lastIndex": 1,
        },
        "parentCursors": {"a": {"consumed": "2024-01-01T00:00:00.000Z"}},
        "triggers": {"run-now": "t1"},
    }
    assert ChronosJobStatus.model_validate(data).model_dump(mode="json", exclude_none=True) == data
