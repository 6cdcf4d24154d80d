"""GitOps on the real control plane: the Argo CD health check on statuses the operator really
wrote, and ChronosJobs applied as Argo CD applies them (client-side and server-side) that show no
diff while the operator runs and triggers them (docs/argocd.md)."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from tests.argocd_health import HEALTH_SCRIPT, Health, assess
from tests.helpers import wait_for
from tests.integration.conftest import REPO, Cluster, OperatorProcess
from tests.integration.kube_helpers import condition, create_chronosjob, iso, patch_spec, soon, status_of

pytestmark = pytest.mark.integration
OPERATOR_MANAGER = "chronos-operator"  # chronos_operator.kube.writer.FIELD_MANAGER
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def live(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    """The ChronosJob as the API server serves it, JSON as Argo CD receives it."""
    return dict(
        json.loads(
            cluster.kubectl(
                "get", "chronosjob", name, "-n", namespace, "-o", "json", "--show-managed-fields"
            ).stdout
        )
    )


def health(cluster: Cluster, namespace: str, name: str) -> Health:
    return assess(live(cluster, namespace, name))


def acted_on(cluster: Cluster, namespace: str, name: str) -> bool:
    obj = live(cluster, namespace, name)
    return (obj.get("status") or {}).get("observedGeneration") == obj["metadata"]["generation"]


def test_health_check_reads_the_statuses_the_operator_writes(
    cluster: Cluster, namespace: str, operator_factory: Callable[..., OperatorProcess]
) -> None:
    start = iso(soon(4))
    specs: dict[str, dict[str, Any]] = {
        "ticking": {"schedule": f"R/{start}/PT2S", "command": "true"},
        "done": {"schedule": f"R1/{start}/PT1H", "command": "true"},
        "failing": {
            "schedule": f"R/{start}/PT1H",
            "command": "exit 1",
            "retries": 0,
            "podTemplate": {"metadata": {"annotations": {"chronos.test/exit-code": "1"}}},
        },
        "denied": {"schedule": f"R/{start}/PT1H", "command": "true", "container": {"network": "HOST"}},
        "cycle-a": {"parents": ["cycle-b"], "command": "true"},
        "cycle-b": {"parents": ["cycle-a"], "command": "true"},
        "orphan": {"parents": ["nobody"], "command": "true"},
        "paused": {"schedule": f"R/{start}/PT2S", "command": "true", "disabled": True},
    }
    for name, spec in specs.items():
        create_chronosjob(cluster, namespace, name, spec)
    # Before any operator saw them: Progressing, whatever their spec.
    for name in specs:
        assert health(cluster, namespace, name) == Health(
            "Progressing", "waiting for chronos-operator to act on the job"
        ), name

    op = operator_factory(namespace)
    wait_for(
        lambda: all(acted_on(cluster, namespace, n) for n in specs),
        timeout=60,
        message="the operator's status",
    )
    wait_for(
        lambda: (
            status_of(cluster, namespace, "ticking").get("successCount", 0) >= 2
            and status_of(cluster, namespace, "done").get("successCount") == 1
            and status_of(cluster, namespace, "failing").get("errorCount") == 1
        ),
        timeout=120,
        message="two ticks, the single run of 'done' and the failure of 'failing'",
    )
    wait_for(
        lambda: (condition(status_of(cluster, namespace, "done"), "Exhausted") or {}).get("status") == "True",
        timeout=30,
        message="'done' exhausted",
    )

    ticking = health(cluster, namespace, "ticking")
    assert ticking.status == "Healthy", ticking
    assert "last run succeeded at 20" in ticking.message and "next run at 20" in ticking.message, ticking

    done = health(cluster, namespace, "done")
    assert done.status == "Healthy", done
    assert "last run succeeded at" in done.message and "finished: " in done.message, done

    failing = health(cluster, namespace, "failing")
    last_error = status_of(cluster, namespace, "failing")["lastError"]
    assert failing.status == "Degraded", failing
    assert failing.message.startswith(f"last run failed at {last_error}; next run at "), failing

    denied = health(cluster, namespace, "denied")
    assert denied.status == "Degraded", denied
    assert denied.message.startswith("PolicyDenied: spec.container.network: HOST"), denied

    for name in ("cycle-a", "cycle-b"):
        cycle = health(cluster, namespace, name)
        assert cycle.status == "Degraded", cycle
        assert cycle.message.startswith(f"DependencyCycle: spec.parents: {name} depends on itself"), cycle

    orphan = health(cluster, namespace, "orphan")
    assert orphan == Health(
        "Progressing",
        "ParentNotFound: spec.parents: no ChronosJob named nobody in this namespace; the job waits for it",
    )

    assert health(cluster, namespace, "paused") == Health(
        "Suspended", "disabled: nothing runs until spec.disabled is false"
    )

    # An edit no operator has acted on yet: Progressing until the status catches up.
    op.stop()
    patch_spec(cluster, namespace, "ticking", {"command": "echo edited"})
    assert health(cluster, namespace, "ticking") == Health(
        "Progressing", "waiting for chronos-operator to act on generation 2 (last acted on 1)"
    )
    operator_factory(namespace)
    wait_for(lambda: acted_on(cluster, namespace, "ticking"), timeout=60, message="generation 2 acted on")
    assert health(cluster, namespace, "ticking").status == "Healthy"


def test_example_jobs_of_the_argocd_application_are_healthy(
    cluster: Cluster, namespace: str, operator_factory: Callable[..., OperatorProcess]
) -> None:
    jobs = REPO / "examples" / "argocd" / "jobs"
    cluster.kubectl("apply", "--server-side", "-n", namespace, "-f", str(jobs))
    names = sorted(p.stem for p in jobs.glob("*.yaml"))
    operator_factory(namespace)
    wait_for(
        lambda: all(acted_on(cluster, namespace, n) for n in names),
        timeout=60,
        message="the operator's status",
    )
    seen = {name: health(cluster, namespace, name) for name in names}
    assert {n: h.status for n, h in seen.items()} == dict.fromkeys(names, "Healthy"), seen
    assert seen["sample-job1"].message.startswith("no run finished yet; finished: "), seen
    assert seen["hostings-earnings-summary"].message.endswith("runs after its parents"), seen
    diff = cluster.kubectl("diff", "--server-side", "-n", namespace, "-f", str(jobs), check=False)
    assert diff.returncode == 0, diff.stdout + diff.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def manifest(start: str) -> dict[str, Any]:
    """A ChronosJob as it would sit in Git: labels, an annotation, defaults left out."""
    return {
        "apiVersion": "chronos.dev/v1alpha1",
        "kind": "ChronosJob",
        "metadata": {
            "name": "synced",
            "labels": {"team": "data"},
            "annotations": {"example.com/note": "in git"},
        },
        "spec": {
            "name": "synced_job",
            "schedule": f"R/{start}/PT2S",
            "epsilon": "PT30S",
            "command": "echo",
            "arguments": ["a", "b c"],
            "cpus": 0.25,
            "owner": "ops@example.com",
            "successfulJobsHistoryLimit": 2,
            "podTemplate": {"metadata": {"labels": {"team": "data"}}},
        },
    }


def field_paths(fields: dict[str, Any], prefix: str = "") -> list[str]:
    """The leaf paths of a managedFields fieldsV1 tree: f:metadata.f:labels.f:team ..."""
    paths: list[str] = []
    for key, value in fields.items():
        path = f"{prefix}.{key}" if prefix else key
        if key == "." or not value:
            paths.append(path)
        else:
            paths.extend(field_paths(value, path))
    return paths


@pytest.mark.parametrize("mode", ["client-side", "server-side"])
def test_applied_chronosjob_shows_no_diff_while_the_operator_runs_and_triggers_it(
    cluster: Cluster,
    namespace: str,
    operator_factory: Callable[..., OperatorProcess],
    tmp_path: Path,
    mode: str,
) -> None:
    path = tmp_path / "synced.yaml"
    path.write_text(yaml.safe_dump(manifest(iso(soon(3)))))
    apply = ["apply", "-n", namespace, "-f", str(path)]
    diff = ["diff", "-n", namespace, "-f", str(path)]
    if mode == "server-side":
        apply.insert(1, "--server-side")
        diff.insert(1, "--server-side")
    cluster.kubectl(*apply)
    generation = live(cluster, namespace, "synced")["metadata"]["generation"]

    port = free_port()
    operator_factory(
        namespace,
        CHRONOS_OPERATOR_API_PORT=str(port),
        CHRONOS_OPERATOR_API_HOST="127.0.0.1",
        CHRONOS_OPERATOR_API_AUTH="none",
        CHRONOS_OPERATOR_API_NAMESPACE=namespace,
    )
    wait_for(
        lambda: status_of(cluster, namespace, "synced").get("successCount", 0) >= 2,
        timeout=90,
        message="two scheduled runs",
    )
    # A manual run through each door users have: kubectl-chronos (an annotation written by the
    # user) and the REST API (an annotation written by the operator's own field manager).
    cli = subprocess.run(
        [str(REPO / ".venv/bin/kubectl-chronos"), "run", "synced", "-n", namespace, "--arguments", "x"],
        env=cluster.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr

    def manual_runs() -> int:
        history = status_of(cluster, namespace, "synced").get("history") or []
        return sum(1 for r in history if r.get("trigger") == "manual" and r.get("outcome") == "Succeeded")

    wait_for(lambda: manual_runs() >= 1, timeout=60, message="the kubectl-chronos run")
    wait_for(
        lambda: (
            requests.put(f"http://127.0.0.1:{port}/scheduler/job/synced_job", timeout=10).status_code == 204
        ),
        timeout=30,
        message="the REST API's run",
    )
    wait_for(lambda: manual_runs() >= 2, timeout=60, message="the REST API run")
    before = status_of(cluster, namespace, "synced")["successCount"]
    wait_for(
        lambda: status_of(cluster, namespace, "synced")["successCount"] > before,
        timeout=60,
        message="one more scheduled run after the triggers",
    )

    done = cluster.kubectl(*diff, check=False)
    assert done.returncode == 0, f"kubectl diff exited {done.returncode}:\n{done.stdout}{done.stderr}"

    obj = live(cluster, namespace, "synced")
    meta = obj["metadata"]
    assert meta["generation"] == generation, "something wrote spec"
    assert not meta.get("finalizers"), meta.get("finalizers")
    assert meta["labels"] == {"team": "data"}
    extra = set(meta["annotations"]) - {"example.com/note", LAST_APPLIED}
    # The REST API cleared run-arguments (a run without arguments); run-now stays.
    assert extra == {"chronos.dev/run-now"}, extra
    spec_owners: set[str] = set()
    operator_outside_status: set[str] = set()
    for entry in meta["managedFields"]:
        paths = field_paths(entry.get("fieldsV1") or {})
        if any(p.startswith("f:spec") for p in paths):
            spec_owners.add(entry["manager"])
        if entry["manager"] != OPERATOR_MANAGER:
            continue
        if entry.get("subresource") == "status":
            assert all(p.startswith("f:status") for p in paths), entry
        else:
            operator_outside_status.update(paths)
    applier = "kubectl" if mode == "server-side" else "kubectl-client-side-apply"
    assert spec_owners == {applier}, meta["managedFields"]
    # Outside status, the operator's field manager owns only the trigger its REST API wrote.
    assert operator_outside_status == {"f:metadata.f:annotations.f:chronos.dev/run-now"}, meta[
        "managedFields"
    ]
    assert any(
        e["manager"] == OPERATOR_MANAGER and e.get("subresource") == "status" for e in meta["managedFields"]
    )

    # The same diff does see a spec that differs from the file (server-side: forcing the
    # conflict with the field manager that changed it, as a sync would).
    patch_spec(cluster, namespace, "synced", {"command": "echo drifted"})
    force = ["--force-conflicts"] if mode == "server-side" else []
    drifted = cluster.kubectl(*diff, *force, check=False)
    assert drifted.returncode == 1 and "drifted" in drifted.stdout, drifted.stdout + drifted.stderr


def test_argocd_cm_patch_installs_the_health_check(cluster: Cluster, namespace: str) -> None:
    """The documented `kubectl patch --patch-file` puts the script into argocd-cm unchanged."""
    token = secrets.token_hex(3)
    cluster.kubectl("create", "configmap", "argocd-cm", "-n", namespace, f"--from-literal=existing={token}")
    patch = REPO / "examples" / "argocd" / "argocd-cm-health.yaml"
    cluster.kubectl(
        "patch", "configmap", "argocd-cm", "-n", namespace, "--type", "merge", "--patch-file", str(patch)
    )
    data = json.loads(cluster.kubectl("get", "configmap", "argocd-cm", "-n", namespace, "-o", "json").stdout)[
        "data"
    ]
    assert data == {
        "existing": token,
        "resource.customizations.health.chronos.dev_ChronosJob": HEALTH_SCRIPT.read_text(),
    }
