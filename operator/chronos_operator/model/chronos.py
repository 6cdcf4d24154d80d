"""Chronos' job JSON <-> ChronosJobSpec.

Reading accepts what Chronos' own deserializer accepted (numbers and booleans as strings, 0 for
"the default", ``output_file``, a container without image, ...) and reports, as warnings, what has
no meaning on Kubernetes or is dropped. Writing follows Chronos' serializer: its field order, the
resolved defaults, the counters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from .container import Container
from .errors import Problem, SpecError, collect_problems, join_path
from .spec import CONSTRAINT_OPERATORS, ChronosJobSpec
from .status import ChronosJobStatus

COUNTER_FIELDS = ("successCount", "errorCount", "lastSuccess", "lastError", "errorsSinceLastSuccess")
MESOS_ONLY_FIELDS = ("executor", "executorFlags", "taskInfoData", "dataProcessingJobType")
KUBERNETES_FIELDS = ("podTemplate", "successfulJobsHistoryLimit", "failedJobsHistoryLimit")
_STRING_FIELDS = (
    "name",
    "command",
    "owner",
    "ownerName",
    "description",
    "executor",
    "executorFlags",
    "taskInfoData",
    "epsilon",
    "schedule",
    "scheduleTimeZone",
)
_BOOLEAN_FIELDS = (
    "shell",
    "async",
    "concurrent",
    "disabled",
    "softError",
    "highPriority",
    "dataProcessingJobType",
)
_FLOAT_FIELDS = ("cpus", "mem", "disk")
_INTEGER_FIELDS = (
    "retries",
    "maxCompletionTime",
    "gpus",
    "successfulJobsHistoryLimit",
    "failedJobsHistoryLimit",
)
_LIST_FIELDS = ("arguments", "parents", "uris", "fetch", "environmentVariables", "constraints")
KNOWN_FIELDS = frozenset(
    (
        *_STRING_FIELDS,
        *_BOOLEAN_FIELDS,
        *_FLOAT_FIELDS,
        *_INTEGER_FIELDS,
        *_LIST_FIELDS,
        *COUNTER_FIELDS,
        "runAsUser",
        "container",
        "podTemplate",
    )
)
_CONTAINER_FIELDS = frozenset(
    ("type", "image", "network", "networkName", "networkInfos", "volumes", "forcePullImage", "parameters")
)
DEFAULT_EPSILON = "PT60S"


class _Reader:
    """Collects the converted job, the warnings and the problems of one Chronos job."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.problems: list[Problem] = []

    def warn(self, field: str, message: str) -> None:
        self.warnings.append(f"{field}: {message}")

    def fail(self, field: str, message: str) -> None:
        self.problems.append(Problem(join_path("spec", field), message))

    def string(self, value: object, field: str) -> str | None:
        # Jackson's asText also reads numbers and booleans as their text.
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, int | float):
            return str(value)
        self.fail(field, f"must be a string, not {_describe_type(value)}")
        return None

    def boolean(self, value: object, field: str) -> bool | None:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        self.fail(field, f"must be true or false, not {value!r}")
        return None

    def number(self, value: object, field: str) -> float | None:
        if isinstance(value, bool):
            self.fail(field, f"must be a number, not {str(value).lower()}")
            return None
        try:
            number = float(value) if isinstance(value, int | float | str) else math.nan
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            self.fail(field, f"must be a number, not {value!r}")
            return None
        return number

    def integer(self, value: object, field: str) -> int | None:
        number = self.number(value, field)
        if number is None:
            return None
        if number != int(number):
            self.fail(field, f"must be a whole number, not {value!r}")
            return None
        return int(number)

    def items(self, value: object, field: str) -> list[Any] | None:
        if isinstance(value, list):
            return value
        self.fail(field, f"must be a list, not {_describe_type(value)}")
        return None

    def mapping(self, value: object, field: str, known: frozenset[str]) -> dict[str, Any] | None:
        """An object's keys without nulls (null = absent in Chronos), unknown keys warned and dropped."""
        if not isinstance(value, Mapping):
            self.fail(field, f"must be an object, not {_describe_type(value)}")
            return None
        result: dict[str, Any] = {}
        for key, item in value.items():
            if item is None:
                continue
            if key not in known:
                self.warn(join_path(field, key), "not a Chronos field; ignored")
                continue
            result[key] = item
        return result


def from_chronos_json(job: Mapping[str, Any]) -> tuple[ChronosJobSpec, list[str]]:
    """Convert one Chronos job (as POSTed to /scheduler/iso8601 or kept by chronos-sync) into a spec.

    Returns the spec and the warnings (``"field: message"``). SpecError, naming ``spec.<field>``,
    when the job cannot be converted.
    """
    if not isinstance(job, Mapping):
        raise SpecError([Problem("", f"a Chronos job must be a JSON object, not {_describe_type(job)}")])
    reader = _Reader()
    data = {key: value for key, value in job.items() if value is not None}
    spec: dict[str, Any] = {}

    for key in data:
        if key not in KNOWN_FIELDS:
            hint = " (Chronos reads dataProcessingJobType)" if key == "dataJob" else ""
            reader.warn(key, f"not a Chronos field; ignored{hint}")
    for key in COUNTER_FIELDS:
        if data.get(key) not in (None, 0, "", "0"):
            reader.warn(key, f"ignored ({data[key]!r}): counters start at 0 and are kept in status")

    if "name" not in data:
        reader.fail("name", "required: every Chronos job has a name")
    for key in _STRING_FIELDS:
        if key in data and (text := reader.string(data[key], key)) is not None:
            spec[key] = text
    for key in _BOOLEAN_FIELDS:
        if key in data and (flag := reader.boolean(data[key], key)) is not None:
            spec[key] = flag
    for key in _FLOAT_FIELDS:
        if key in data and (number := reader.number(data[key], key)) is not None:
            spec[key] = number  # 0 = the default: the model applies that rule
    for key in _INTEGER_FIELDS:
        if key in data and (whole := reader.integer(data[key], key)) is not None:
            spec[key] = whole
    if "podTemplate" in data:
        spec["podTemplate"] = data["podTemplate"]
    _read_user(reader, data, spec)
    _read_arguments(reader, data, spec)
    _read_trigger(reader, data, spec)
    _read_downloads(reader, data, spec)
    _read_environment(reader, data, spec)
    _read_constraints(reader, data, spec)
    _read_container(reader, data, spec)
    for key in MESOS_ONLY_FIELDS:
        if spec.get(key):
            reader.warn(key, "Mesos-only: kept in the spec, but it has no effect on Kubernetes")

    if reader.problems:
        raise SpecError(reader.problems)
    try:
        return ChronosJobSpec.model_validate(spec), reader.warnings
    except ValidationError as e:
        raise SpecError(collect_problems(e, "spec")) from None


def _read_user(reader: _Reader, data: Mapping[str, Any], spec: dict[str, Any]) -> None:
    value = data.get("runAsUser")
    if value is None or value == "":
        return
    if isinstance(value, int) and not isinstance(value, bool):
        spec["runAsUser"] = value
    else:
        spec["runAsUser"] = reader.string(value, "runAsUser")


def _read_arguments(reader: _Reader, data: Mapping[str, Any], spec: dict[str, Any]) -> None:
    if "arguments" in data and (items := reader.items(data["arguments"], "arguments")) is not None:
        spec["arguments"] = [reader.string(item, f"arguments[{i}]") for i, item in enumerate(items)]


def _read_trigger(reader: _Reader, data: Mapping[str, Any], spec: dict[str, Any]) -> None:
    """parents or schedule: Chronos picks a dependency job whenever a parents key is present."""
    if "parents" not in data:
        return
    parents = reader.items(data["parents"], "parents")
    if parents is None:
        return
    if not parents and "schedule" in spec:
        reader.warn("parents", "empty list ignored; the job keeps its schedule")
        return
    names: list[str] = []
    for i, parent in enumerate(parents):
        name = reader.string(parent, f"parents[{i}]")
        if name is None:
            continue
        if name in names:
            reader.warn(f"parents[{i}]", f"duplicate parent {name!r} removed (Chronos keeps a set)")
            continue
        names.append(name)
    spec["parents"] = names
    if "schedule" in spec:
        reader.warn("schedule", "ignored: the job has parents, so it runs after them (Chronos rule)")
        del spec["schedule"]
    if spec.pop("scheduleTimeZone", ""):
        reader.warn("scheduleTimeZone", "ignored: the job has parents and no schedule")


def _read_downloads(reader: _Reader, data: Mapping[str, Any], spec: dict[str, Any]) -> None:
    uris: list[str] = []
    if "uris" in data and (items := reader.items(data["uris"], "uris")) is not None:
        uris = [
            text for i, item in enumerate(items) if (text := reader.string(item, f"uris[{i}]")) is not None
        ]
    fetch: list[dict[str, Any]] = []
    if "fetch" in data and (items := reader.items(data["fetch"], "fetch")) is not None:
        known = frozenset(("uri", "output_file", "outputFile", "extract", "executable", "cache"))
        for i, item in enumerate(items):
            entry = reader.mapping(item, f"fetch[{i}]", known)
            if entry is None:
                continue
            converted: dict[str, Any] = {}
            if "uri" in entry:
                converted["uri"] = reader.string(entry["uri"], f"fetch[{i}].uri")
            if (
                "output_file" in entry
                and "outputFile" in entry
                and entry["output_file"] != entry["outputFile"]
            ):
                reader.warn(
                    f"fetch[{i}].outputFile", "ignored: output_file is set too (Chronos reads output_file)"
                )
            output = entry.get("output_file", entry.get("outputFile"))
            if output is not None:
                converted["outputFile"] = reader.string(output, f"fetch[{i}].output_file")
            for key in ("extract", "executable", "cache"):
                if key in entry:
                    converted[key] = reader.boolean(entry[key], f"fetch[{i}].{key}")
            fetch.append(converted)
    if uris and fetch:
        # Chronos' GET /jobs fills fetch from uris (and uris from fetch), so exported jobs often
        # carry both lists with the same URIs; only different lists are a real conflict.
        if sorted(uris) == sorted(str(f.get("uri")) for f in fetch):
            reader.warn("uris", "dropped: it repeats fetch (as Chronos' GET /jobs shows both)")
            uris = []
        else:
            reader.fail("fetch", "set either uris or fetch, not both (Chronos refuses both too)")
    if uris:
        spec["uris"] = uris
    if fetch:
        spec["fetch"] = fetch


def _read_environment(reader: _Reader, data: Mapping[str, Any], spec: dict[str, Any]) -> None:
    if "environmentVariables" not in data:
        return
    items = reader.items(data["environmentVariables"], "environmentVariables")
    if items is None:
        return
    variables = []
    for i, item in enumerate(items):
        entry = reader.mapping(item, f"environmentVariables[{i}]", frozenset(("name", "value")))
        if entry is not None:
            variables.append(
                {
                    key: reader.string(value, f"environmentVariables[{i}].{key}")
                    for key, value in entry.items()
                }
            )
    spec["environmentVariables"] = variables


def _read_constraints(reader: _Reader, data: Mapping[str, Any], spec: dict[str, Any]) -> None:
    if "constraints" not in data:
        return
    items = reader.items(data["constraints"], "constraints")
    if items is None:
        return
    constraints = []
    for i, item in enumerate(items):
        field = f"constraints[{i}]"
        if not isinstance(item, list) or len(item) != 3:
            reader.fail(field, "must be [attribute, operator, value]")
            continue
        parts = [reader.string(part, f"{field}[{j}]") for j, part in enumerate(item)]
        if parts[1] not in CONSTRAINT_OPERATORS:
            reader.warn(
                field,
                f"dropped: unknown operator {parts[1]!r} (Chronos ignores operators other than "
                f"{', '.join(CONSTRAINT_OPERATORS)})",
            )
            continue
        constraints.append(parts)
    spec["constraints"] = constraints


def _read_container(reader: _Reader, data: Mapping[str, Any], spec: dict[str, Any]) -> None:
    if "container" not in data:
        return
    container = reader.mapping(data["container"], "container", _CONTAINER_FIELDS)
    if container is None:
        return
    if not container.get("image"):
        if container:
            reader.warn("container", "ignored: it has no image (Chronos ignores such a container)")
        return
    result: dict[str, Any] = {}
    for key in ("image", "networkName"):
        if key in container:
            result[key] = reader.string(container[key], f"container.{key}")
    if "type" in container and (kind := reader.string(container["type"], "container.type")) is not None:
        result["type"] = kind.upper()  # case-insensitive in Chronos
    if "network" in container:
        result["network"] = container["network"]  # case-sensitive in Chronos: the model refuses "bridge"
    else:
        reader.warn(
            "container.network",
            "not set: Chronos used HOST, a ChronosJob uses the pod network (BRIDGE); set HOST to keep host "
            "networking",
        )
    if "forcePullImage" in container:
        result["forcePullImage"] = reader.boolean(container["forcePullImage"], "container.forcePullImage")
    if "parameters" in container:
        result["parameters"] = _read_key_values(reader, container["parameters"], "container.parameters")
    if "volumes" in container:
        result["volumes"] = _read_volumes(reader, container["volumes"])
    if "networkInfos" in container:
        result["networkInfos"] = _read_network_infos(reader, container["networkInfos"])
    spec["container"] = result


def _read_key_values(reader: _Reader, value: object, field: str) -> list[dict[str, Any]]:
    result = []
    for i, item in enumerate(reader.items(value, field) or []):
        entry = reader.mapping(item, f"{field}[{i}]", frozenset(("key", "value")))
        if entry is not None:
            result.append({key: reader.string(text, f"{field}[{i}].{key}") for key, text in entry.items()})
    return result


def _read_volumes(reader: _Reader, value: object) -> list[dict[str, Any]]:
    known = frozenset(("containerPath", "hostPath", "mode", "external"))
    volumes = []
    for i, item in enumerate(reader.items(value, "container.volumes") or []):
        field = f"container.volumes[{i}]"
        entry = reader.mapping(item, field, known)
        if entry is None:
            continue
        volume: dict[str, Any] = {}
        for key in ("containerPath", "hostPath"):
            if key in entry:
                volume[key] = reader.string(entry[key], f"{field}.{key}")
        if "mode" in entry and (mode := reader.string(entry["mode"], f"{field}.mode")) is not None:
            volume["mode"] = mode.upper()  # case-insensitive in Chronos
        if "external" in entry:
            external = reader.mapping(
                entry["external"], f"{field}.external", frozenset(("name", "provider", "options"))
            )
            if external is not None:
                volume["external"] = {
                    key: (
                        _read_key_values(reader, text, f"{field}.external.options")
                        if key == "options"
                        else reader.string(text, f"{field}.external.{key}")
                    )
                    for key, text in external.items()
                }
        volumes.append(volume)
    return volumes


def _read_network_infos(reader: _Reader, value: object) -> list[dict[str, Any]]:
    known = frozenset(("name", "protocol", "labels", "portMappings"))
    infos = []
    for i, item in enumerate(reader.items(value, "container.networkInfos") or []):
        field = f"container.networkInfos[{i}]"
        entry = reader.mapping(item, field, known)
        if entry is None:
            continue
        info: dict[str, Any] = {}
        for key in ("name", "protocol"):
            if key in entry:
                info[key] = reader.string(entry[key], f"{field}.{key}")
        if "labels" in entry:
            info["labels"] = _read_key_values(reader, entry["labels"], f"{field}.labels")
        if "portMappings" in entry:
            mappings = []
            for j, mapping in enumerate(reader.items(entry["portMappings"], f"{field}.portMappings") or []):
                where = f"{field}.portMappings[{j}]"
                ports = reader.mapping(mapping, where, frozenset(("hostPort", "containerPort", "protocol")))
                if ports is None:
                    continue
                # Chronos serializes the ports as strings.
                converted: dict[str, Any] = {
                    key: reader.integer(ports[key], f"{where}.{key}")
                    for key in ("hostPort", "containerPort")
                    if key in ports
                }
                if "protocol" in ports:
                    converted["protocol"] = reader.string(ports["protocol"], f"{where}.protocol")
                mappings.append(converted)
            info["portMappings"] = mappings
        infos.append(info)
    return infos


def to_chronos_json(
    spec: ChronosJobSpec,
    status: ChronosJobStatus | None = None,
    *,
    name: str | None = None,
    default_epsilon: str = DEFAULT_EPSILON,
) -> dict[str, Any]:
    """The job as Chronos' serializer writes it: its field order, resolved defaults, counters from
    ``status``. ``name`` is the fallback Chronos name (metadata.name) when spec.name is unset;
    ``default_epsilon`` the operator's epsilon setting, shown when the spec has none."""
    chronos_name = spec.name or name
    if not chronos_name:
        raise ValueError("to_chronos_json needs a Chronos name: spec.name or name=")
    counters = status or ChronosJobStatus()
    job: dict[str, Any] = {
        "name": chronos_name,
        "command": spec.command,
        "shell": spec.shell,
        "epsilon": spec.epsilon or default_epsilon,
        "executor": spec.executor,
        "executorFlags": spec.executorFlags,
        "taskInfoData": spec.taskInfoData,
        "retries": spec.retries,
        "owner": spec.owner,
        "ownerName": spec.ownerName,
        "description": spec.description,
        "async": spec.async_,
        "successCount": counters.successCount,
        "errorCount": counters.errorCount,
        "lastSuccess": counters.lastSuccess or "",
        "lastError": counters.lastError or "",
        "cpus": spec.cpus,
        "disk": spec.disk,
        "mem": spec.mem,
    }
    if spec.gpus:
        job["gpus"] = spec.gpus
    job |= {
        "disabled": spec.disabled,
        "softError": spec.softError,
        "dataProcessingJobType": spec.dataProcessingJobType,
        "errorsSinceLastSuccess": counters.errorsSinceLastSuccess,
        "fetch": [
            {
                "uri": item.uri,
                "output_file": item.outputFile,
                "executable": item.executable,
                "cache": item.cache,
                "extract": item.extract,
            }
            for item in spec.fetch
        ],
        "uris": list(spec.uris),
        "environmentVariables": [{"name": v.name, "value": v.value} for v in spec.environmentVariables],
        "arguments": list(spec.arguments),
        "highPriority": spec.highPriority,
        "runAsUser": "" if spec.runAsUser is None else str(spec.runAsUser),
        "concurrent": spec.concurrent,
        "maxCompletionTime": spec.maxCompletionTime,
    }
    if spec.container is not None:
        job["container"] = _write_container(spec.container)
    job["constraints"] = [list(constraint) for constraint in spec.constraints]
    if spec.parents is not None:
        job["parents"] = list(spec.parents)
    elif spec.schedule is not None:
        job["schedule"] = spec.schedule
        job["scheduleTimeZone"] = spec.scheduleTimeZone or ""
    return job


def _write_container(container: Container) -> dict[str, Any]:
    result: dict[str, Any] = {"type": container.type}
    if container.image is not None:
        result["image"] = container.image
    result["network"] = container.network or "BRIDGE"  # what the pod gets; Chronos' own default was HOST
    if container.networkName is not None:
        result["networkName"] = container.networkName
    if container.networkInfos:
        result["networkInfos"] = [
            {
                "name": info.name,
                **({"protocol": info.protocol} if info.protocol else {}),
                "labels": [{"key": label.key, "value": label.value} for label in info.labels],
                "portMappings": [
                    {
                        # Chronos writes the ports as strings.
                        "hostPort": str(mapping.hostPort),
                        "containerPort": str(mapping.containerPort),
                        **({"protocol": mapping.protocol} if mapping.protocol else {}),
                    }
                    for mapping in info.portMappings
                ],
            }
            for info in container.networkInfos
        ]
    result["volumes"] = [volume.model_dump(mode="json", exclude_none=True) for volume in container.volumes]
    result["forcePullImage"] = container.forcePullImage
    result["parameters"] = [{"key": p.key, "value": p.value} for p in container.parameters]
    return result


def export_warnings(spec: ChronosJobSpec) -> list[str]:
    """What ``to_chronos_json`` cannot carry over to Chronos (``"field: message"``)."""
    warnings = []
    defaults = ChronosJobSpec()
    for key in KUBERNETES_FIELDS:
        if getattr(spec, key) != getattr(defaults, key):
            warnings.append(f"{key}: Kubernetes-only; not exported")
    if spec.gpus:
        warnings.append("gpus: not a Chronos field; exported, but Chronos ignores it")
    if spec.container is not None and spec.container.image is None:
        warnings.append("container.image: unset; Chronos ignores a container without image")
    return warnings


def _describe_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return "null" if value is None else type(value).__name__
