"""Helm and the chart's rendered objects, for tests/integration/test_chart.py."""

from __future__ import annotations

import json
import re
import socket
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from tests.integration.conftest import REPO, Cluster

CHART = REPO / "charts" / "chronos-operator"


def helm(cluster: Cluster, *args: str, check: bool = True, timeout: float = 180) -> str:
    done = subprocess.run(
        [str(cluster.bin_dir / "helm"), "--kubeconfig", str(cluster.kubeconfig), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout + done.stderr if not check else done.stdout


def set_args(values: Mapping[str, Any]) -> list[str]:
    """`--set-json key=<json>` for each top-level value (nested keys with dots)."""
    args: list[str] = []
    for key, value in values.items():
        args += ["--set-json", f"{key}={json.dumps(value)}"]
    return args


def render(
    cluster: Cluster, release: str, namespace: str, values: Mapping[str, Any], *extra: str
) -> list[dict[str, Any]]:
    """The chart's objects as `helm template` renders them with `values`."""
    text = helm(cluster, "template", release, str(CHART), "--namespace", namespace, *set_args(values), *extra)
    return [d for d in yaml.safe_load_all(text) if d]


def find(objects: Iterable[Mapping[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    matches = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(matches) == 1, f"expected one {kind} {name or ''}, found {len(matches)}"
    return dict(matches[0])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def container_env(
    container: Mapping[str, Any], pod_ip: str, pod_name: str = "chronos-operator-test"
) -> dict[str, str]:
    """The container's environment as the kubelet would set it: `valueFrom: status.podIP` is
    `pod_ip`, `metadata.name` is `pod_name`, and `$(NAME)` refers to a variable defined earlier."""
    fields = {"status.podIP": pod_ip, "metadata.name": pod_name}
    env: dict[str, str] = {}
    for item in container.get("env") or []:
        if "value" in item:
            value = re.sub(
                r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)), item["value"]
            )
        else:
            field = item["valueFrom"]["fieldRef"]["fieldPath"]
            assert field in fields, f"the test cannot resolve env from {field}"
            value = fields[field]
        env[item["name"]] = value
    return env


def write_token_kubeconfig(cluster: Cluster, token: str, path: Path) -> Path:
    """A kubeconfig for the test cluster that authenticates with `token` only."""
    config = json.loads(cluster.kubeconfig.read_text())
    config["users"] = [{"name": "token", "user": {"token": token}}]
    for context in config["contexts"]:
        context["context"]["user"] = "token"
    path.write_text(json.dumps(config))
    return path
