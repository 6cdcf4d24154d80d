"""``kubectl-chronos run|mark-success|kill|graph``: user actions through the API server.

Actions are annotations on the ChronosJob (contract §6), so they need no rights beyond `get`
and `patch` on chronosjobs; the operator acts on each new token once.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from typing import Any

import kubernetes

from chronos_operator import labels
from chronos_operator.dag import NodeState, to_csv, to_dot

from .inputs import InputError


def _client(args: argparse.Namespace) -> Any:
    try:
        kubernetes.config.load_kube_config(context=args.context)  # type: ignore[no-untyped-call]
    except Exception as e:  # the kube config loader raises several unrelated types
        raise InputError("kubeconfig", str(e)) from None
    return kubernetes.client.CustomObjectsApi()


def _namespace(args: argparse.Namespace) -> str:
    if args.namespace:
        return str(args.namespace)
    try:
        _, active = kubernetes.config.list_kube_config_contexts()  # type: ignore[no-untyped-call]
        return str(active.get("context", {}).get("namespace") or "default")
    except Exception:
        return "default"


def _find(api: Any, namespace: str, name: str) -> str:
    """The metadata.name of the ChronosJob called `name` (Kubernetes or Chronos name)."""
    try:
        api.get_namespaced_custom_object(labels.GROUP, labels.VERSION, namespace, labels.PLURAL, name)
        return name
    except kubernetes.client.ApiException as e:
        if e.status != 404:
            raise InputError(f"{namespace}/{name}", str(e.reason)) from None
    items = api.list_namespaced_custom_object(labels.GROUP, labels.VERSION, namespace, labels.PLURAL)["items"]
    for item in items:
        if (item.get("spec") or {}).get("name") == name:
            return str(item["metadata"]["name"])
    raise InputError(f"{namespace}/{name}", "no ChronosJob with that name or Chronos name")


def _annotate(args: argparse.Namespace, annotations: dict[str, str | None], what: str) -> int:
    api = _client(args)
    namespace = _namespace(args)
    name = _find(api, namespace, args.name)
    api.patch_namespaced_custom_object(
        labels.GROUP,
        labels.VERSION,
        namespace,
        labels.PLURAL,
        name,
        {"metadata": {"annotations": annotations}},
        _content_type="application/merge-patch+json",
    )
    print(f"chronosjob.{labels.GROUP}/{name} {what}")
    return 0


def run_now(args: argparse.Namespace) -> int:
    token = secrets.token_hex(6)
    return _annotate(
        args, {labels.RUN_NOW: token, labels.RUN_ARGUMENTS: args.arguments}, f"run requested ({token})"
    )


def mark_success(args: argparse.Namespace) -> int:
    return _annotate(args, {labels.MARK_SUCCESS: secrets.token_hex(6)}, "marked successful")


def kill(args: argparse.Namespace) -> int:
    return _annotate(args, {labels.KILL: secrets.token_hex(6)}, "kill requested")


def graph(args: argparse.Namespace) -> int:
    api = _client(args)
    namespace = _namespace(args)
    items = api.list_namespaced_custom_object(labels.GROUP, labels.VERSION, namespace, labels.PLURAL)["items"]
    parents: dict[str, list[str]] = {}
    nodes: list[NodeState] = []
    for item in items:
        spec, status = item.get("spec") or {}, item.get("status") or {}
        chronos_name = str(spec.get("name") or item["metadata"]["name"])
        parents[chronos_name] = list(spec.get("parents") or [])
        nodes.append(
            NodeState(chronos_name, status.get("lastStatus") or "fresh", status.get("state") or "idle")
        )
    text = to_dot(parents, parents) if args.format == "dot" else to_csv(nodes, parents)
    sys.stdout.write(text)
    return 0


def add_parsers(subparsers: Any) -> None:
    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("-n", "--namespace", help="the namespace (default: the kubeconfig context's)")
        p.add_argument("--context", help="the kubeconfig context to use")

    p = subparsers.add_parser("run", help="start a run now (Chronos' PUT /scheduler/job/<name>)")
    p.add_argument("name", help="the ChronosJob's name or Chronos name")
    p.add_argument("--arguments", help="arguments for this run, appended to the command")
    common(p)
    p.set_defaults(run=run_now)

    p = subparsers.add_parser("mark-success", help="count a success without running; releases the children")
    p.add_argument("name", help="the ChronosJob's name or Chronos name")
    common(p)
    p.set_defaults(run=mark_success)

    p = subparsers.add_parser("kill", help="kill the job's active runs (no counter changes)")
    p.add_argument("name", help="the ChronosJob's name or Chronos name")
    common(p)
    p.set_defaults(run=kill)

    p = subparsers.add_parser("graph", help="the dependency graph in Chronos' DOT or CSV shape")
    p.add_argument("--format", choices=("dot", "csv"), default="dot")
    common(p)
    p.set_defaults(run=graph)
