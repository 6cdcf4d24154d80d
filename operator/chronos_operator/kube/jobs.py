"""build_job: the batch/v1 Job for one run of a ChronosJob (contract §2, §4). Pure: returns dicts.

Also the policy check (contract §9: host network, hostPath and privileged are refused unless the
operator's settings allow them) and the list of fields that have no Kubernetes meaning.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from typing import Any

from chronos_operator import labels
from chronos_operator.model.spec import ChronosJobSpec
from chronos_operator.schedule import format_instant
from chronos_operator.scheduler.decide import JobSnapshot, RunRequest
from chronos_operator.settings import Settings

SANDBOX = "/mnt/mesos/sandbox"  # Chronos jobs expect their fetched files in Mesos' sandbox
MULTUS_NETWORKS = "k8s.v1.cni.cncf.io/networks"
MAIN = "main"
NO_MATCH = "chronos-no-node-matches"  # an In value no node has: the constraint cannot be met
# docker run options with a Kubernetes equivalent (container.parameters); others are reported.
MAPPED_PARAMETERS = {"env", "label", "user", "workdir", "privileged"}


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("", "true", "1", "yes")


def policy_problems(spec: ChronosJobSpec, settings: Settings) -> list[str]:
    """What the spec asks for that the operator's policy forbids, each naming the field."""
    problems: list[str] = []
    container = spec.container
    if container is None:
        return problems
    if (
        container.network is not None
        and str(getattr(container.network, "value", container.network)) == "HOST"
    ) and not settings.allow_host_network:
        problems.append(
            "spec.container.network: HOST (host network) is not allowed by the operator's policy "
            "(CHRONOS_OPERATOR_ALLOW_HOST_NETWORK)"
        )
    for i, volume in enumerate(container.volumes):
        if volume.hostPath and not settings.allow_host_path:
            problems.append(
                f"spec.container.volumes[{i}].hostPath: hostPath volumes are not allowed by the operator's "
                "policy (CHRONOS_OPERATOR_ALLOW_HOST_PATH)"
            )
    for i, param in enumerate(container.parameters):
        if param.key == "privileged" and _truthy(param.value) and not settings.allow_privileged:
            problems.append(
                f"spec.container.parameters[{i}]: privileged containers are not allowed by the operator's "
                "policy (CHRONOS_OPERATOR_ALLOW_PRIVILEGED)"
            )
    return problems


def unsupported_fields(spec: ChronosJobSpec) -> list[str]:
    """Fields that are kept but have no effect on Kubernetes (reported, never silently dropped)."""
    fields = [f"spec.{name}" for name in spec.mesos_only_fields()]
    if spec.container is not None:
        for i, param in enumerate(spec.container.parameters):
            if param.key not in MAPPED_PARAMETERS:
                fields.append(f"spec.container.parameters[{i}] ({param.key})")
    return fields


def _quantity_mi(value: float) -> str:
    return f"{int(value)}Mi" if float(value).is_integer() else f"{round(value * 1024)}Ki"


def _cpu(value: float) -> str:
    return f"{round(value * 1000)}m"


def _basename(uri: str) -> str:
    """The file name the fetcher saves `uri` as: its last path segment, without query or fragment."""
    return uri.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def _command(spec: ChronosJobSpec, arguments: str, manual: bool) -> tuple[list[str] | None, list[str] | None]:
    """(container command, args). Shell jobs run `/bin/sh -c "<command> <arguments>"`; others run
    the command with the arguments as argv (Chronos §1.7)."""
    command = spec.command
    if command.startswith(("http://", "https://", "ftp://")):
        command = "./" + (_basename(command) or "download")  # fetched into the sandbox
    argv = shlex.split(arguments) if manual else list(spec.arguments)
    if spec.shell:
        if not command:
            return None, argv or None
        line = f"{command} {arguments}" if arguments else command
        return ["/bin/sh", "-c", line], None
    if not command:
        return None, argv or None
    return [command], argv or None


def _fetch_items(spec: ChronosJobSpec) -> list[dict[str, Any]]:
    items = [{"uri": u, "extract": True, "executable": False, "outputFile": ""} for u in spec.uris]
    items += [
        {"uri": f.uri, "extract": f.extract, "executable": f.executable, "outputFile": f.outputFile or ""}
        for f in spec.fetch
    ]
    if spec.command.startswith(("http://", "https://", "ftp://")):
        items.append({"uri": spec.command, "extract": False, "executable": True, "outputFile": ""})
    return items


def _fetch_script(items: Iterable[Mapping[str, Any]]) -> str:
    """A POSIX sh script for the init container: download each URI into the sandbox, extract
    archives, set the executable bit (Mesos fetcher semantics)."""
    lines = ["set -eu", f"cd {SANDBOX}"]
    for item in items:
        uri = str(item["uri"])
        out = str(item.get("outputFile") or _basename(uri) or "download")
        q_uri, q_out = shlex.quote(uri), shlex.quote(out)
        lines.append(f"wget -q -O {q_out} {q_uri}")
        if item.get("extract"):
            lines.append(
                f"case {q_out} in *.tar.gz|*.tgz) tar -xzf {q_out};; *.tar.bz2) tar -xjf {q_out};; "
                f"*.tar) tar -xf {q_out};; *.zip) unzip -oq {q_out};; *.gz) gunzip -f {q_out};; esac"
            )
        if item.get("executable"):
            lines.append(f"chmod +x {q_out}")
    return "\n".join(lines)


def node_affinity(
    spec: ChronosJobSpec, nodes: Iterable[Mapping[str, str]] | None = None
) -> dict[str, Any] | None:
    """Chronos constraints as required node affinity. LIKE/UNLIKE (full-match regexes) are resolved
    against the current nodes' label values; `hostname` means kubernetes.io/hostname."""
    if not spec.constraints:
        return None
    node_labels = list(nodes or [])
    expressions: list[dict[str, Any]] = []
    for constraint in spec.constraints:
        attribute, op, value = constraint[0], str(constraint[1]).upper(), constraint[2]
        key = "kubernetes.io/hostname" if attribute == "hostname" else attribute
        if op == "EQUALS":
            expressions.append({"key": key, "operator": "In", "values": [value]})
            continue
        pattern = re.compile(value)
        present = sorted({n[key] for n in node_labels if key in n})
        matching = [v for v in present if pattern.fullmatch(v)]
        if op == "LIKE":
            expressions.append({"key": key, "operator": "In", "values": matching or [NO_MATCH]})
        elif op == "UNLIKE":
            # Chronos: a missing attribute never satisfies UNLIKE.
            expressions.append({"key": key, "operator": "Exists"})
            if matching:
                expressions.append({"key": key, "operator": "NotIn", "values": matching})
    return {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": expressions}]
        }
    }


def chronos_environment(
    spec: ChronosJobSpec, snap: JobSnapshot, request: RunRequest, settings: Settings
) -> list[dict[str, Any]]:
    """User variables first, then Chronos' own, which user variables of the same name never override."""
    due_ms = str(int(request.scheduled.timestamp() * 1000))
    cpus = spec.cpus or settings.default_cpus
    mem = spec.mem or settings.default_mem
    disk = spec.disk or settings.default_disk
    chronos = {
        "mesos_task_id": request.task_id,
        "MESOS_TASK_ID": request.task_id,
        "CHRONOS_TASK_ID": request.task_id,
        "CHRONOS_JOB_NAME": spec.chronos_name(snap.name),
        "CHRONOS_JOB_OWNER": spec.owner,
        "CHRONOS_RESOURCE_CPU": str(cpus),
        "CHRONOS_RESOURCE_MEM": str(mem),
        "CHRONOS_RESOURCE_DISK": str(disk),
        "CHRONOS_JOB_RUN_TIME": due_ms,
        "CHRONOS_JOB_RUN_ATTEMPT": "0",
        "MESOS_SANDBOX": SANDBOX,
    }
    reserved = {*chronos, "HOST"}  # HOST too: Chronos sets it and ignores a user variable of that name
    env: list[dict[str, Any]] = [
        {"name": v.name, "value": v.value} for v in spec.environmentVariables if v.name not in reserved
    ]
    if spec.container is not None:
        for p in spec.container.parameters:
            if p.key == "env" and "=" in p.value:
                k, _, v = p.value.partition("=")
                if k not in reserved:
                    env.append({"name": k, "value": v})
    env += [{"name": k, "value": v} for k, v in chronos.items()]
    env.append({"name": "HOST", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}})
    return env


def _and_node_affinity(theirs: dict[str, Any], ours: Mapping[str, Any]) -> dict[str, Any]:
    """The template's node affinity with the constraints' required expressions added to each of its
    required terms (terms are ORed, expressions ANDed), so neither side is dropped."""
    required = "requiredDuringSchedulingIgnoredDuringExecution"
    expressions = ours[required]["nodeSelectorTerms"][0]["matchExpressions"]
    terms = (theirs.get(required) or {}).get("nodeSelectorTerms") or [{}]
    theirs[required] = {
        "nodeSelectorTerms": [
            {**term, "matchExpressions": [*(term.get("matchExpressions") or []), *expressions]}
            for term in terms
        ]
    }
    return theirs


def _merge_pod_template(pod: dict[str, Any], meta: dict[str, Any], template: Mapping[str, Any]) -> None:
    """Merges the supported parts of spec.podTemplate into the generated pod (contract §2)."""
    t_meta = template.get("metadata") or {}
    meta["labels"].update(t_meta.get("labels") or template.get("labels") or {})
    meta["annotations"].update(t_meta.get("annotations") or template.get("annotations") or {})
    t_spec = template.get("spec") or template
    for key in ("serviceAccountName", "nodeSelector", "tolerations", "imagePullSecrets"):
        if key in t_spec:
            pod[key] = t_spec[key]
    if "securityContext" in t_spec:  # spec.runAsUser (and the user parameter) win over the template's
        pod["securityContext"] = {**dict(t_spec["securityContext"] or {}), **pod.get("securityContext", {})}
    if "affinity" in t_spec:
        affinity = dict(t_spec["affinity"] or {})
        ours = pod.get("affinity", {}).get("nodeAffinity")
        if ours is not None:
            affinity["nodeAffinity"] = _and_node_affinity(dict(affinity.get("nodeAffinity") or {}), ours)
        pod["affinity"] = affinity
    if "volumes" in t_spec:
        pod.setdefault("volumes", []).extend(t_spec["volumes"])
    for c in t_spec.get("containers") or []:
        if c.get("name") == MAIN:
            main = pod["containers"][0]
            if c.get("envFrom"):
                main["envFrom"] = c["envFrom"]
            if c.get("volumeMounts"):
                main.setdefault("volumeMounts", []).extend(c["volumeMounts"])


def build_job(
    snap: JobSnapshot,
    request: RunRequest,
    settings: Settings,
    nodes: Iterable[Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """The Job manifest for `request`, a run of the ChronosJob in `snap`."""
    spec: ChronosJobSpec = snap.spec
    container = spec.container
    manual = request.trigger == "manual"
    command, args = _command(spec, request.arguments, manual)
    image = (container.image if container and container.image else None) or settings.default_image
    main: dict[str, Any] = {
        "name": MAIN,
        "image": image,
        "imagePullPolicy": "Always" if container and container.forcePullImage else "IfNotPresent",
        "env": chronos_environment(spec, snap, request, settings),
        "resources": {
            "requests": {
                "cpu": _cpu(spec.cpus or settings.default_cpus),
                "memory": _quantity_mi(spec.mem or settings.default_mem),
                "ephemeral-storage": _quantity_mi(spec.disk or settings.default_disk),
            },
            "limits": {"memory": _quantity_mi(spec.mem or settings.default_mem)},
        },
        "volumeMounts": [{"name": "sandbox", "mountPath": SANDBOX}],
        "workingDir": SANDBOX,
    }
    if command is not None:
        main["command"] = command
    if args is not None:
        main["args"] = args
    if spec.gpus:
        main["resources"]["limits"][settings.gpu_resource] = str(spec.gpus)
    security: dict[str, Any] = {}
    uid = spec.run_as_uid()
    if uid is not None:
        security["runAsUser"] = uid
    pod_labels = {
        labels.MANAGED_BY: labels.MANAGED_BY_VALUE,
        labels.APP_NAME: "chronos-job",
        labels.JOB_LABEL: snap.name,
        labels.TRIGGER_LABEL: request.trigger,
    }
    annotations = {
        labels.SCHEDULED_TIME: format_instant(request.scheduled),
        labels.TASK_ID: request.task_id,
    }
    if request.arguments:
        annotations[labels.ARGUMENTS] = request.arguments
    if spec.async_:
        annotations[labels.ASYNC] = "true"
    volumes: list[dict[str, Any]] = [{"name": "sandbox", "emptyDir": {}}]
    pod: dict[str, Any] = {"restartPolicy": "Never", "containers": [main], "volumes": volumes}
    pod_annotations: dict[str, str] = dict(annotations)
    if container is not None:
        network = str(getattr(container.network, "value", container.network or ""))
        if network == "HOST":
            pod["hostNetwork"] = True
        networks = [n.name for n in container.networkInfos if n.name]
        if container.networkName:
            networks.insert(0, container.networkName)
        if networks:
            pod_annotations[MULTUS_NETWORKS] = ",".join(dict.fromkeys(networks))
        for i, volume in enumerate(container.volumes):
            name = f"volume-{i}"
            if volume.hostPath:
                volumes.append({"name": name, "hostPath": {"path": volume.hostPath}})
            elif volume.external is not None and volume.external.name:
                volumes.append({"name": name, "persistentVolumeClaim": {"claimName": volume.external.name}})
            else:
                volumes.append({"name": name, "emptyDir": {}})
            mount: dict[str, Any] = {"name": name, "mountPath": volume.containerPath}
            if volume.mode is not None and str(getattr(volume.mode, "value", volume.mode)).upper() == "RO":
                mount["readOnly"] = True
            main["volumeMounts"].append(mount)
        for p in container.parameters:
            if p.key == "label" and "=" in p.value:
                k, _, v = p.value.partition("=")
                pod_labels.setdefault(k, v)
            elif p.key == "user" and p.value.isdigit():
                security["runAsUser"] = int(p.value)
            elif p.key == "workdir":
                main["workingDir"] = p.value
            elif p.key == "privileged" and _truthy(p.value) and settings.allow_privileged:
                main["securityContext"] = {"privileged": True}
    if security:
        pod["securityContext"] = security
    items = _fetch_items(spec)
    if items:
        pod["initContainers"] = [
            {
                "name": "fetch",
                "image": settings.fetcher_image,
                "imagePullPolicy": "IfNotPresent",
                "command": ["/bin/sh", "-c", _fetch_script(items)],
                "volumeMounts": [{"name": "sandbox", "mountPath": SANDBOX}],
            }
        ]
    affinity = node_affinity(spec, nodes)
    if affinity:
        pod["affinity"] = {"nodeAffinity": affinity}
    if spec.highPriority and settings.high_priority_class:
        pod["priorityClassName"] = settings.high_priority_class
    pod_meta: dict[str, Any] = {"labels": dict(pod_labels), "annotations": pod_annotations}
    if spec.podTemplate:
        try:
            _merge_pod_template(pod, pod_meta, spec.podTemplate)
        except (AttributeError, KeyError, TypeError, ValueError) as e:
            raise ValueError(f"spec.podTemplate cannot be merged into the pod: {e}") from None
    job_spec: dict[str, Any] = {
        "backoffLimit": spec.retries,
        "template": {"metadata": pod_meta, "spec": pod},
    }
    if spec.maxCompletionTime:
        job_spec["activeDeadlineSeconds"] = int(spec.maxCompletionTime)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": request.job_name,
            "namespace": snap.namespace,
            "labels": {
                labels.MANAGED_BY: labels.MANAGED_BY_VALUE,
                labels.APP_NAME: "chronos-job",
                labels.JOB_LABEL: snap.name,
                labels.TRIGGER_LABEL: request.trigger,
            },
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": labels.API_VERSION,
                    "kind": labels.KIND,
                    "name": snap.name,
                    "uid": snap.uid,
                    "controller": True,
                    # True would need update rights on chronosjobs/finalizers; deletion cascades anyway.
                    "blockOwnerDeletion": False,
                }
            ],
        },
        "spec": job_spec,
    }
