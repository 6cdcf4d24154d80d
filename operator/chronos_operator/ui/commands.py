"""The command line behind every UI action: `kubectl-chronos`, `kubectl` and `curl` against the
Chronos REST API, so whatever the UI does can be scripted (CLI parity). Pure text."""

from __future__ import annotations

from dataclasses import dataclass
from shlex import quote
from urllib.parse import quote as url_quote

from chronos_operator import labels


@dataclass(frozen=True)
class Equivalent:
    """One action's command-line forms; an empty string where that tool has none."""

    chronos: str = ""  # kubectl-chronos
    kubectl: str = ""
    curl: str = ""


def _auth(mode: str) -> str:
    if mode == "kubernetes":
        return ' -H "Authorization: Bearer $TOKEN"'
    if mode == "basic":
        return ' -u "$USER:$PASSWORD"'
    return ""


def _api(base: str, namespace: str, path: str) -> str:
    return f"{base}/namespaces/{url_quote(namespace, safe='')}/v1/scheduler/{path}"


def _annotate(namespace: str, name: str, *pairs: str) -> str:
    return f"kubectl annotate chj {quote(name)} -n {quote(namespace)} --overwrite " + " ".join(pairs)


def equivalents(
    action: str, namespace: str, name: str, chronos_name: str, base: str, auth: str, arguments: str = ""
) -> Equivalent:
    """The commands for `action` on the ChronosJob `name` (Chronos name `chronos_name`)."""
    ns, job = quote(namespace), quote(chronos_name)
    api_name = url_quote(chronos_name, safe="")
    curl = f"curl -sS{_auth(auth)}"
    if action == "run":
        args = f" --arguments {quote(arguments)}" if arguments else ""
        query = f"?arguments={url_quote(arguments, safe='')}" if arguments else ""
        pairs = [f"{labels.RUN_NOW}=$(date +%s)"]
        if arguments:
            pairs.append(f"{labels.RUN_ARGUMENTS}={quote(arguments)}")
        return Equivalent(
            f"kubectl-chronos run {job} -n {ns}{args}",
            _annotate(namespace, name, *pairs),
            f"{curl} -X PUT '{_api(base, namespace, 'job/' + api_name)}{query}'",
        )
    if action == "mark-success":
        return Equivalent(
            f"kubectl-chronos mark-success {job} -n {ns}",
            _annotate(namespace, name, f"{labels.MARK_SUCCESS}=$(date +%s)"),
            f"{curl} -X PUT '{_api(base, namespace, 'job/success/' + api_name)}'",
        )
    if action == "kill":
        return Equivalent(
            f"kubectl-chronos kill {job} -n {ns}",
            _annotate(namespace, name, f"{labels.KILL}=$(date +%s)"),
            f"{curl} -X DELETE '{_api(base, namespace, 'task/kill/' + api_name)}'",
        )
    if action in ("disable", "enable"):
        value = "true" if action == "disable" else "false"
        patch = quote(f'{{"spec":{{"disabled":{value}}}}}')
        return Equivalent(
            "",
            f"kubectl patch chj {quote(name)} -n {ns} --type merge -p {patch}",
            f"{curl} '{_api(base, namespace, 'job/' + api_name)}' | jq '.disabled={value}' | "
            f"{curl} -X PUT -H 'Content-Type: application/json' -d @- '{_api(base, namespace, 'iso8601')}'",
        )
    if action == "delete":
        return Equivalent(
            "",
            f"kubectl delete chj {quote(name)} -n {ns}",
            f"{curl} -X DELETE '{_api(base, namespace, 'job/' + api_name)}'",
        )
    if action == "save":
        return Equivalent(
            f"kubectl-chronos import job.json --namespace {ns} | kubectl apply -f -",
            f"kubectl apply -n {ns} -f job.yaml",
            f"{curl} -X POST -H 'Content-Type: application/json' -d @job.json "
            f"'{_api(base, namespace, 'iso8601')}'   # …/dependency for a job with parents",
        )
    if action == "next":
        return Equivalent(
            f"kubectl get chj {quote(name)} -n {ns} -o yaml > job.yaml && "
            "kubectl-chronos next -f job.yaml -n 10",
            f"kubectl get chj {quote(name)} -n {ns} -o jsonpath='{{.status.nextRunTime}}'",
            "",
        )
    if action == "show":
        return Equivalent(
            "",
            f"kubectl get chj {quote(name)} -n {ns} -o yaml",
            f"{curl} '{_api(base, namespace, 'job/' + api_name)}'",
        )
    if action == "history":
        return Equivalent(
            "",
            f"kubectl get jobs -n {ns} -l {labels.JOB_LABEL}={quote(name)}",
            f"{curl} '{_api(base, namespace, 'job/stat/' + api_name)}'",
        )
    if action == "graph":
        return Equivalent(
            f"kubectl-chronos graph -n {ns} --format dot",
            "",
            f"{curl} '{_api(base, namespace, 'graph/dot').replace('/v1/scheduler', '/scheduler')}'",
        )
    if action == "list":
        return Equivalent(
            "",
            f"kubectl get chj -n {ns}",
            f"{curl} '{_api(base, namespace, 'jobs/summary')}'",
        )
    raise ValueError(f"no command-line form for action {action!r}")
