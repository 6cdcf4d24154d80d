"""``ChronosJob.spec``: every Chronos job field, same names, same meaning, plus three Kubernetes
extensions. Field descriptions become ``kubectl explain`` text, so each says what the field meant
in Chronos and what it becomes on Kubernetes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from chronos_operator.schedule import ScheduleError, parse_duration, parse_schedule, resolve_zone

from .base import SpecModel
from .container import Container
from .errors import FieldError, SpecError, collect_problems
from .users import parse_user

# Chronos' JobUtils.jobNamePattern is [\w.-]+ with Java's ASCII \w.
NAME_PATTERN = r"^[A-Za-z0-9_.-]+$"
MAX_CHRONOS_NAME_LENGTH = 253
MAX_PARENTS = 100
MAX_CONSTRAINTS = 100
# Chronos' own parse regex (R[0-9]*)/(.*)/(P.*): the API server checks this shape; the schedule
# engine checks the rest (dates, periods, zones) where the operator and the CLI validate.
SCHEDULE_SHAPE = r"^R[0-9]*/[^/]*/P.+$"
# Every duration the schedule engine accepts has this shape (designators in any case, fractions).
DURATION_SHAPE = r"^[Pp]([0-9]+([.,][0-9]+)?[YyMmWwDd])*([Tt]([0-9]+([.,][0-9]+)?[HhMmSs])+)?$"

ConstraintOperator = Literal["EQUALS", "LIKE", "UNLIKE"]
CONSTRAINT_OPERATORS: tuple[ConstraintOperator, ...] = ("EQUALS", "LIKE", "UNLIKE")

DEFAULT_CPUS = 0.1
DEFAULT_MEM = 128.0
DEFAULT_DISK = 256.0

# [attribute, operator, value]: a JSON array of three strings, which pydantic would describe with
# prefixItems (not allowed in a CRD), so the CRD schema is written out here.
Constraint = Annotated[
    tuple[str, ConstraintOperator, str],
    # JSON has no tuples: accept the list that YAML and JSON give (strict mode would refuse it).
    BeforeValidator(lambda value: tuple(value) if isinstance(value, list) else value),
    WithJsonSchema(
        {
            "type": "array",
            "items": {"type": "string", "maxLength": 1024},
            "minItems": 3,
            "maxItems": 3,
            "description": '[attribute, operator, value], e.g. ["hostname", "LIKE", "node-[0-9]+"].',
            "x-kubernetes-validations": [
                {
                    "rule": "self[1] in ['EQUALS', 'LIKE', 'UNLIKE']",
                    "message": "constraint operator (the second element) must be one of EQUALS, LIKE, UNLIKE",
                }
            ],
        }
    ),
]

ChronosName = Annotated[str, Field(min_length=1, max_length=MAX_CHRONOS_NAME_LENGTH, pattern=NAME_PATTERN)]


class FetchItem(SpecModel):
    """A file downloaded into the working directory before the command runs (Mesos fetcher)."""

    uri: str = Field(min_length=1, description="URI to download (Chronos `fetch[].uri`).")
    outputFile: str = Field(
        "",
        description="File name to save it as; empty = the URI's last path segment (Chronos `output_file`).",
    )
    extract: bool = Field(
        True,
        description="Unpack archives (.tar, .tgz, .tar.gz, .tar.bz2, .tar.xz, .zip) after downloading "
        "(Chronos `extract`, default true).",
    )
    executable: bool = Field(False, description="Make the file executable (Chronos `executable`).")
    cache: bool = Field(
        False,
        description="Use the Mesos fetcher cache (Chronos `cache`). Accepted for compatibility; on "
        "Kubernetes every run downloads again.",
    )


class EnvironmentVariable(SpecModel):
    """An environment variable for the job's container."""

    name: str = Field(min_length=1, description="Variable name (Chronos `environmentVariables[].name`).")
    value: str = Field("", description="Variable value (Chronos `environmentVariables[].value`).")


class ChronosJobSpec(SpecModel):
    """A Chronos job: what to run, when, and with what. The fields and their meaning are Chronos'
    (`name`, `command`, `schedule`, `parents`, ...); each description says what it becomes on Kubernetes."""

    # pydantic merges this with SpecModel's configuration.
    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "!has(self.schedule) || !has(self.parents)",
                    "message": "set either schedule or parents, not both",
                    "fieldPath": ".schedule",
                },
                {
                    "rule": "!has(self.uris) || size(self.uris) == 0 || "
                    "!has(self.fetch) || size(self.fetch) == 0",
                    "message": "set either uris or fetch, not both",
                    "fieldPath": ".fetch",
                },
            ]
        }
    )

    name: ChronosName | None = Field(
        None,
        description="The Chronos job name ([\\w.-]+, may hold `_` and capitals, e.g. SAMPLE_JOB1). Parents "
        "and the Chronos REST API refer to jobs by it, and it is CHRONOS_JOB_NAME in the pod. Defaults to "
        "metadata.name; set it when the Chronos name is not a valid Kubernetes name.",
    )
    command: str = Field(
        "",
        description="The command to run (Chronos `command`). With shell (the default) the container command "
        'is `/bin/sh -c "<command> <arguments...>"`; without shell it is [command] with args = arguments. '
        "Empty = the image's entrypoint.",
    )
    arguments: list[str] = Field(
        default_factory=list,
        description="Arguments (Chronos `arguments`). With shell they are appended to the command string; "
        "without shell they are the container's args. Also part of the Chronos task id.",
    )
    shell: bool = Field(
        True,
        description="Run the command through /bin/sh -c (Chronos `shell`, default true). false: command is "
        "the executable and arguments its argv.",
    )
    schedule: str | None = Field(
        None,
        max_length=256,
        description="When to run: an ISO 8601 repeating interval R[n]/[start]/period (Chronos `schedule`). R "
        "alone repeats forever, R0 never; an empty start means the object's creation time; a start without "
        "offset is UTC; the period is any ISO 8601 duration of at least one second (PT2S, P1M, "
        "P1Y2M3DT4H5M6S, P2W). Occurrence k is start + k x period. Example: R/2024-01-01T02:00:00Z/P1D. Set "
        "either schedule or parents; neither = run once, now.",
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": f"self.matches('{SCHEDULE_SHAPE}')",
                    "message": "schedule must be an ISO 8601 repeating interval R[n]/[start]/period, e.g. "
                    "R/2024-01-01T00:00:00Z/P1D or R5//PT1H",
                }
            ]
        },
    )
    scheduleTimeZone: str | None = Field(
        None,
        max_length=64,
        description="Time zone of the schedule (Chronos `scheduleTimeZone`): an IANA name (America/New_York) "
        "or a Java legacy id (PST, EST, BST = Asia/Dhaka, ...). The start's wall-clock time is kept in this "
        "zone and its written offset ignored; P1D keeps the wall-clock time across DST, PT24H does not. An "
        "unknown zone is rejected, never silently UTC.",
    )
    epsilon: str | None = Field(
        None,
        max_length=64,
        description="How late a run may still start, as an ISO 8601 duration (Chronos `epsilon`, e.g. "
        "PT30M). An occurrence whose run cannot be created by occurrence + epsilon is skipped "
        "(status.skippedCount, a MissedSchedule Event). Unset = the operator setting (PT60S).",
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": f"self.matches('{DURATION_SHAPE}')",
                    "message": "epsilon must be an ISO 8601 duration, e.g. PT60S, PT30M or P1D",
                }
            ]
        },
    )
    parents: list[ChronosName] | None = Field(
        None,
        min_length=1,
        max_length=MAX_PARENTS,
        description="Chronos names of the jobs this one runs after (Chronos `parents`), ChronosJobs in the "
        "same namespace. The job runs when every parent has finished a success (or a failure with softError) "
        "since its last dependency run. Set either schedule or parents.",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    retries: int = Field(
        2,
        ge=0,
        le=100,
        description="Extra attempts inside one run after a failed attempt (Chronos `retries`, default 2). "
        "Becomes the Job's backoffLimit; pods use restartPolicy Never.",
    )
    async_: bool = Field(
        False,
        alias="async",
        description="The run ends only when its completion is reported (Chronos 2.x `async`): annotation "
        'chronos.dev/status-code on the run\'s Job, or PUT /scheduler/task/<task id> {"statusCode": n}. '
        "Until then, or until maxCompletionTime, the run stays active after its pod ends.",
    )
    concurrent: bool = Field(
        False,
        description="May a new run start while one is active (Chronos `concurrent`). false: an occurrence "
        "waits for the active run until occurrence + epsilon, then it is skipped.",
    )
    disabled: bool = Field(
        False,
        description="No scheduled, manual or dependency runs (Chronos `disabled`); the schedule does not "
        "advance. Re-enabled, the job resumes at the first occurrence after that moment.",
    )
    softError: bool = Field(
        False,
        description="A final failure still releases the children, like a success (Chronos `softError`).",
    )
    highPriority: bool = Field(
        False,
        description="Run ahead of others (Chronos `highPriority`). Sets the pod's priorityClassName from an "
        "operator setting.",
    )
    owner: str = Field(
        "",
        description="Comma-separated e-mail addresses notified of final failures, exhaustion and deletion "
        "(Chronos `owner`). CHRONOS_JOB_OWNER in the pod.",
    )
    ownerName: str = Field("", description="Free-text owner name (Chronos `ownerName`).")
    description: str = Field("", description="Free-text description (Chronos `description`).")
    cpus: float = Field(
        DEFAULT_CPUS,
        ge=0,
        description="CPU share (Chronos `cpus`, default 0.1; 0 = the default). Becomes the container's cpu "
        "request. CHRONOS_RESOURCE_CPU in the pod.",
    )
    mem: float = Field(
        DEFAULT_MEM,
        ge=0,
        description="Memory in MiB (Chronos `mem`, default 128; 0 = the default). Becomes the container's "
        "memory request and limit. CHRONOS_RESOURCE_MEM in the pod.",
    )
    disk: float = Field(
        DEFAULT_DISK,
        ge=0,
        description="Scratch disk in MiB (Chronos `disk`, default 256; 0 = the default). Becomes the "
        "container's ephemeral-storage request. CHRONOS_RESOURCE_DISK in the pod.",
    )
    gpus: int = Field(
        0,
        ge=0,
        description="GPUs (not in Chronos releases; Metronome's run.gpus). Becomes a container limit of the "
        "operator's GPU resource (default nvidia.com/gpu).",
    )
    maxCompletionTime: int = Field(
        0,
        ge=0,
        description="Seconds a run may take before it is killed and fails (Chronos `maxCompletionTime`, 0 = "
        "no limit). Becomes the Job's activeDeadlineSeconds.",
    )
    runAsUser: int | str | None = Field(
        None,
        description="User the command runs as (Chronos `runAsUser`): a numeric uid, or root (0) or nobody "
        "(65534). Becomes the container's securityContext.runAsUser. Other user names are rejected: "
        "Kubernetes needs the uid. Unset = the image's user.",
        json_schema_extra={
            "x-kubernetes-int-or-string": True,
            "x-kubernetes-validations": [
                {
                    "rule": "type(self) == int ? self >= 0 : (self == 'root' || self == 'nobody' || "
                    "self.matches('^[0-9]+$'))",
                    "message": "runAsUser must be a numeric uid, root or nobody: "
                    "Kubernetes runs containers by uid",
                }
            ],
        },
    )
    uris: list[str] = Field(
        default_factory=list,
        description="URIs to download into the working directory before the command runs (Chronos `uris`, "
        "deprecated there in favour of fetch; archives are extracted). An init container downloads them into "
        "an emptyDir shared with the job's container. Set either uris or fetch.",
    )
    fetch: list[FetchItem] = Field(
        default_factory=list,
        description="Files to download into the working directory before the command runs (Chronos `fetch`). "
        "An init container downloads them into an emptyDir shared with the job's container. Set either uris "
        "or fetch.",
    )
    environmentVariables: list[EnvironmentVariable] = Field(
        default_factory=list,
        description="Environment variables (Chronos `environmentVariables`). Become the container's env; "
        "they cannot override the Chronos variables (CHRONOS_JOB_NAME, mesos_task_id, ...).",
    )
    constraints: list[Constraint] = Field(
        default_factory=list,
        max_length=MAX_CONSTRAINTS,
        description="Placement constraints [attribute, operator, value] (Chronos `constraints`), all of "
        "which must hold. Become node affinity: EQUALS -> In [value]; LIKE / UNLIKE (a regex matching the "
        "whole value) -> In / NotIn the current nodes' matching label values. Attribute hostname = "
        "kubernetes.io/hostname.",
    )
    container: Container | None = Field(
        None,
        description="The container the job runs in (Chronos `container`): image, network, volumes, "
        "parameters. Without it, jobs run in the operator's default image.",
    )
    executor: str = Field(
        "",
        description="Custom Mesos executor (Chronos `executor`). Mesos-only: accepted so imported jobs load, "
        "reported as unsupported (Degraded, reason UnsupportedField, and an Event); the job runs without it.",
    )
    executorFlags: str = Field(
        "",
        description="Flags for the custom Mesos executor (Chronos `executorFlags`). Mesos-only: accepted, "
        "reported as unsupported.",
    )
    taskInfoData: str = Field(
        "",
        description="Custom executor data (Chronos `taskInfoData`). Mesos-only: accepted, reported as "
        "unsupported.",
    )
    dataProcessingJobType: bool = Field(
        False,
        description="Enables Chronos' task-progress endpoint (Chronos `dataProcessingJobType`, Cassandra). "
        "Mesos-only: accepted, reported as unsupported.",
    )
    podTemplate: dict[str, Any] | None = Field(
        None,
        description="Kubernetes extension: a partial pod template ({metadata, spec}) merged into every run's "
        "pod: labels, annotations, serviceAccountName, nodeSelector, tolerations, affinity, "
        "imagePullSecrets, volumes, securityContext, and envFrom / volumeMounts of the container named main.",
    )
    successfulJobsHistoryLimit: int = Field(
        3,
        ge=0,
        le=100,
        description="Kubernetes extension: how many finished successful run Jobs to keep (default 3). Older "
        "ones are deleted; their records stay in status.history.",
    )
    failedJobsHistoryLimit: int = Field(
        1,
        ge=0,
        le=100,
        description="Kubernetes extension: how many finished failed run Jobs to keep (default 1). Older ones "
        "are deleted; their records stay in status.history.",
    )

    @field_validator("scheduleTimeZone", mode="before")
    @classmethod
    def _empty_zone_is_none(cls, value: object) -> object:
        # Chronos job files carry "scheduleTimeZone": "" for "no zone".
        return None if value == "" else value

    @field_validator("scheduleTimeZone")
    @classmethod
    def _check_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                resolve_zone(value)
            except ScheduleError as e:
                raise ValueError(str(e)) from None
        return value

    @field_validator("epsilon")
    @classmethod
    def _check_epsilon(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_duration(value, "epsilon")
            except ScheduleError as e:
                raise ValueError(str(e)) from None
        return value

    @field_validator("cpus", "mem", "disk")
    @classmethod
    def _zero_is_default(cls, value: float, info: ValidationInfo) -> float:
        # Chronos: "a value of 0 or an absent key means the flag default".
        if value == 0:
            return {"cpus": DEFAULT_CPUS, "mem": DEFAULT_MEM, "disk": DEFAULT_DISK}[str(info.field_name)]
        return value

    @field_validator("runAsUser", mode="before")
    @classmethod
    def _check_user(cls, value: object) -> object:
        if value is None:
            return None
        if not isinstance(value, int | str):
            raise ValueError(f"must be a numeric uid, root or nobody, not {type(value).__name__}")
        parse_user(value)
        return value

    @field_validator("constraints")
    @classmethod
    def _check_constraints(cls, value: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
        for i, (attribute, operator, pattern) in enumerate(value):
            if not attribute:
                raise FieldError(f"[{i}][0]", "the attribute must not be empty")
            if operator in ("LIKE", "UNLIKE"):
                try:
                    re.compile(pattern)
                except re.error as e:
                    raise FieldError(f"[{i}][2]", f"invalid regular expression {pattern!r}: {e}") from None
        return value

    @field_validator("parents")
    @classmethod
    def _check_parents_unique(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            seen: set[str] = set()
            for i, parent in enumerate(value):
                if parent in seen:
                    raise FieldError(f"[{i}]", f"duplicate parent {parent!r}")
                seen.add(parent)
        return value

    @field_validator("podTemplate")
    @classmethod
    def _check_pod_template(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            unknown = sorted(set(value) - {"metadata", "spec"})
            if unknown:
                raise ValueError(
                    f"unknown key(s) {', '.join(unknown)}: a pod template has only metadata and spec"
                )
            for key in ("metadata", "spec"):
                if key in value and value[key] is not None and not isinstance(value[key], dict):
                    raise FieldError(key, "must be an object")
        return value

    @model_validator(mode="after")
    def _check_job(self) -> ChronosJobSpec:
        if self.schedule is not None and self.parents is not None:
            raise FieldError("schedule", "set either schedule or parents, not both")
        if self.schedule is not None:
            try:
                parse_schedule(self.schedule, self.scheduleTimeZone)
            except ScheduleError as e:
                raise FieldError(e.field, str(e)) from None
        if self.uris and self.fetch:
            raise FieldError("fetch", "set either uris or fetch, not both")
        if self.name is not None and self.parents and self.name in self.parents:
            raise FieldError("parents", f"job {self.name!r} cannot be its own parent")
        return self

    def chronos_name(self, metadata_name: str) -> str:
        """The Chronos name: ``name``, or the object's metadata.name when unset."""
        return self.name or metadata_name

    def run_as_uid(self) -> int | None:
        """``runAsUser`` as a uid (root = 0, nobody = 65534), None when unset."""
        return None if self.runAsUser is None else parse_user(self.runAsUser)

    def mesos_only_fields(self) -> list[str]:
        """Names of the Mesos-only fields that are set: they have no effect on Kubernetes."""
        fields = [name for name in ("executor", "executorFlags", "taskInfoData") if getattr(self, name)]
        if self.dataProcessingJobType:
            fields.append("dataProcessingJobType")
        return fields


def validate_spec(data: Mapping[str, Any]) -> ChronosJobSpec:
    """Validate a ``spec`` mapping; SpecError whose problems name ``spec.<field>``."""
    try:
        return ChronosJobSpec.model_validate(data)
    except ValidationError as e:
        raise SpecError(collect_problems(e, "spec")) from None


def display_schedule(spec: ChronosJobSpec) -> str:
    """What ``kubectl get chj`` shows in its Schedule column: the schedule, ``after: <parents>``,
    or ``once`` for a job with neither."""
    if spec.parents:
        return "after: " + ", ".join(spec.parents)
    return spec.schedule if spec.schedule is not None else "once"
