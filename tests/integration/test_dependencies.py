"""Dependencies, triggers and async runs on the real control plane (contract §5, §6)."""

from __future__ import annotations

import itertools
import json
import secrets
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import kubernetes
import pytest
from tests.helpers import wait_for
from tests.integration.conftest import REPO, Cluster, OperatorProcess
from tests.integration.kube_helpers import (
    GROUP,
    PLURAL,
    VERSION,
    condition,
    create_chronosjob,
    finished,
    iso,
    patch_spec,
    runs_of,
    soon,
    status_of,
)

pytestmark = pytest.mark.integration
NEVER = "R/2099-01-01T00:00:00Z/P1D"  # scheduled, but only manual runs happen during a test
KEEP = {"successfulJobsHistoryLimit": 100, "failedJobsHistoryLimit": 100}
RESULTS = REPO / "bench" / "results"


def annotate(cluster: Cluster, namespace: str, name: str, annotations: dict[str, str | None]) -> None:
    kubernetes.client.CustomObjectsApi(cluster.api_client()).patch_namespaced_custom_object(
        GROUP,
        VERSION,
        namespace,
        PLURAL,
        name,
        {"metadata": {"annotations": annotations}},
        _content_type="application/merge-patch+json",
    )


def run_now(cluster: Cluster, namespace: str, name: str, arguments: str | None = None) -> str:
    token = secrets.token_hex(4)
    annotate(cluster, namespace, name, {"chronos.dev/run-now": token, "chronos.dev/run-arguments": arguments})
    return token


def exit_code(code: int, duration: str = "1s") -> dict[str, Any]:
    return {
        "metadata": {"annotations": {"chronos.test/exit-code": str(code), "chronos.test/duration": duration}}
    }


def completion(job: Any) -> datetime:
    return job.status.completion_time or next(
        c.last_transition_time for c in job.status.conditions if c.type in ("Complete", "Failed")
    )


def test_diamond_runs_the_child_once_per_round_after_both_branches(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    start = soon(4)
    create_chronosjob(
        cluster, namespace, "a", {"schedule": f"R3/{iso(start)}/PT8S", "command": "true", **KEEP}
    )
    create_chronosjob(cluster, namespace, "b", {"parents": ["a"], "command": "true", **KEEP})
    create_chronosjob(
        cluster,
        namespace,
        "c",
        {"parents": ["a"], "command": "true", "podTemplate": exit_code(0, "2s"), **KEEP},
    )
    create_chronosjob(cluster, namespace, "d", {"parents": ["b", "c"], "command": "true", **KEEP})
    wait_for(
        lambda: status_of(cluster, namespace, "d").get("successCount") == 3, timeout=90, message="3 runs of d"
    )
    time.sleep(3)
    b, c, d = (sorted(runs_of(cluster, namespace, n), key=completion) for n in "bcd")
    assert len(runs_of(cluster, namespace, "a")) == 3
    assert (len(b), len(c), len(d)) == (3, 3, 3)
    for i in range(3):
        assert d[i].metadata.creation_timestamp >= completion(b[i]).replace(microsecond=0)
        assert d[i].metadata.creation_timestamp >= completion(c[i]).replace(microsecond=0)
        assert d[i].metadata.labels["chronos.dev/trigger"] == "dependency"
    assert (condition(status_of(cluster, namespace, "d"), "ParentsReady") or {}).get("status") == "True"


def test_failed_parent_holds_the_child_until_its_next_success(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    create_chronosjob(
        cluster, namespace, "parent", {"schedule": NEVER, "retries": 0, "podTemplate": exit_code(1), **KEEP}
    )
    create_chronosjob(cluster, namespace, "child", {"parents": ["parent"], "command": "true", **KEEP})
    wait_for(
        lambda: status_of(cluster, namespace, "child").get("parentCursors"), timeout=20, message="cursor"
    )
    run_now(cluster, namespace, "parent")
    wait_for(
        lambda: status_of(cluster, namespace, "parent").get("errorCount") == 1, timeout=40, message="failure"
    )
    time.sleep(3)
    assert runs_of(cluster, namespace, "child") == []
    patch_spec(cluster, namespace, "parent", {"podTemplate": exit_code(0)})
    run_now(cluster, namespace, "parent")
    wait_for(
        lambda: status_of(cluster, namespace, "child").get("successCount") == 1, timeout=40, message="child"
    )
    time.sleep(2)
    assert len(runs_of(cluster, namespace, "child")) == 1


def test_soft_error_parent_failure_releases_the_child(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    create_chronosjob(
        cluster,
        namespace,
        "soft",
        {"schedule": NEVER, "retries": 0, "softError": True, "podTemplate": exit_code(1), **KEEP},
    )
    create_chronosjob(cluster, namespace, "after-soft", {"parents": ["soft"], "command": "true", **KEEP})
    wait_for(
        lambda: status_of(cluster, namespace, "after-soft").get("parentCursors"), timeout=20, message="cursor"
    )
    run_now(cluster, namespace, "soft")
    wait_for(
        lambda: status_of(cluster, namespace, "after-soft").get("successCount") == 1,
        timeout=40,
        message="child",
    )
    assert status_of(cluster, namespace, "soft")["errorCount"] == 1


def test_child_runs_exactly_once_when_the_operator_dies_between_parent_and_child(
    cluster: Cluster,
    namespace: str,
    operator: OperatorProcess,
    operator_factory: Callable[..., OperatorProcess],
) -> None:
    create_chronosjob(
        cluster, namespace, "first", {"schedule": NEVER, "podTemplate": exit_code(0, "4s"), **KEEP}
    )
    create_chronosjob(cluster, namespace, "second", {"parents": ["first"], "command": "true", **KEEP})
    wait_for(
        lambda: status_of(cluster, namespace, "second").get("parentCursors"), timeout=20, message="cursor"
    )
    run_now(cluster, namespace, "first")
    wait_for(lambda: runs_of(cluster, namespace, "first"), timeout=20, message="the parent's run")
    operator.kill()
    wait_for(
        lambda: all(finished(j) for j in runs_of(cluster, namespace, "first")),
        timeout=30,
        message="parent done",
    )
    assert runs_of(cluster, namespace, "second") == []
    operator_factory(namespace)
    wait_for(
        lambda: status_of(cluster, namespace, "second").get("successCount") == 1, timeout=40, message="child"
    )
    time.sleep(3)
    assert len(runs_of(cluster, namespace, "second")) == 1
    assert status_of(cluster, namespace, "first")["successCount"] == 1
    # The cursor survives the API server's pruning, so the next restart does not run it again.
    consumed = status_of(cluster, namespace, "second")["parentCursors"]["first"]["consumed"]
    assert consumed == status_of(cluster, namespace, "first")["lastSuccess"]


def test_cycle_degrades_its_members_only_and_resumes_when_broken(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    create_chronosjob(cluster, namespace, "ping", {"parents": ["pong"], "command": "true"})
    create_chronosjob(cluster, namespace, "pong", {"parents": ["ping"], "command": "true"})
    create_chronosjob(
        cluster, namespace, "bystander", {"schedule": f"R/{iso(soon(1))}/PT2S", "command": "true"}
    )
    for name in ("ping", "pong"):
        cond = wait_for(
            lambda n=name: (
                (c := condition(status_of(cluster, namespace, n), "Degraded")) and c["status"] == "True" and c
            ),
            timeout=20,
            message=f"{name} Degraded",
        )
        assert cond["reason"] == "DependencyCycle"
        assert "spec.parents" in cond["message"]
    wait_for(lambda: runs_of(cluster, namespace, "bystander"), timeout=20, message="other jobs keep running")
    create_chronosjob(cluster, namespace, "root", {"schedule": NEVER, "command": "true"})
    patch_spec(cluster, namespace, "pong", {"parents": ["root"]})
    for name in ("ping", "pong"):
        wait_for(
            lambda n=name: (
                (condition(status_of(cluster, namespace, n), "Degraded") or {}).get("status") == "False"
            ),
            timeout=20,
            message=f"{name} resumes",
        )
    run_now(cluster, namespace, "root")
    wait_for(
        lambda: status_of(cluster, namespace, "ping").get("successCount") == 1, timeout=40, message="chain"
    )


def test_missing_parent_sets_parents_ready_false(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    create_chronosjob(cluster, namespace, "orphan", {"parents": ["ghost"], "command": "true"})
    cond = wait_for(
        lambda: condition(status_of(cluster, namespace, "orphan"), "ParentsReady"),
        timeout=20,
        message="ParentsReady",
    )
    assert cond["status"] == "False"
    assert cond["reason"] == "ParentNotFound"
    assert "ghost" in cond["message"]


def test_async_child_completes_only_when_its_status_code_is_reported(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    manifests = cluster.kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input=__import__("subprocess")
        .run(
            [
                str(REPO / ".venv/bin/kubectl-chronos"),
                "import",
                str(REPO / "examples/chronos-jobs/hostings-daily-load.json"),
                str(REPO / "examples/chronos-jobs/hostings-earnings-summary.json"),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout,
    )
    assert "hostings-earnings-summary" in manifests.stdout
    wait_for(
        lambda: status_of(cluster, namespace, "hostings-earnings-summary").get("parentCursors"),
        timeout=20,
        message="cursor",
    )
    batch = kubernetes.client.BatchV1Api(cluster.api_client())
    for round_, code in enumerate((0, 3), start=1):
        run_now(cluster, namespace, "hostings-daily-load")
        wait_for(
            lambda r=round_: len(runs_of(cluster, namespace, "hostings-earnings-summary")) == r,
            timeout=40,
            message="the async child's run",
        )
        job = runs_of(cluster, namespace, "hostings-earnings-summary")[-1]
        wait_for(
            lambda j=job.metadata.name: finished(batch.read_namespaced_job(j, namespace)),
            timeout=30,
            message="the child's pod ends",
        )
        time.sleep(2)
        status = status_of(cluster, namespace, "hostings-earnings-summary")
        assert [a["jobName"] for a in status["active"]] == [job.metadata.name]  # still active: not reported
        batch.patch_namespaced_job(
            job.metadata.name,
            namespace,
            {"metadata": {"annotations": {"chronos.dev/status-code": str(code)}}},
            _content_type="application/merge-patch+json",
        )
        wait_for(
            lambda: not status_of(cluster, namespace, "hostings-earnings-summary")["active"],
            timeout=20,
            message="reported",
        )
    status = status_of(cluster, namespace, "hostings-earnings-summary")
    assert status["successCount"] == 1
    assert status["errorCount"] == 1
    assert status["history"][0]["exitCode"] == 3


def test_manual_run_with_arguments_mark_success_and_kill(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    create_chronosjob(
        cluster,
        namespace,
        "manual",
        {
            "name": "manual_job",
            "schedule": NEVER,
            "command": "echo",
            "podTemplate": exit_code(0, "30s"),
            **KEEP,
        },
    )
    create_chronosjob(
        cluster, namespace, "downstream", {"parents": ["manual_job"], "command": "true", **KEEP}
    )
    wait_for(
        lambda: status_of(cluster, namespace, "downstream").get("parentCursors"), timeout=20, message="cursor"
    )
    run_now(cluster, namespace, "manual", arguments="--hello world")
    job = wait_for(lambda: runs_of(cluster, namespace, "manual"), timeout=20, message="manual run")[0]
    assert job.metadata.labels["chronos.dev/trigger"] == "manual"
    assert job.spec.template.spec.containers[0].command == ["/bin/sh", "-c", "echo --hello world"]
    env = {e.name: e.value for e in job.spec.template.spec.containers[0].env}
    assert env["CHRONOS_TASK_ID"].endswith(":manual_job:--hello world")
    annotate(cluster, namespace, "manual", {"chronos.dev/kill": "k1"})
    wait_for(
        lambda: (h := status_of(cluster, namespace, "manual").get("history")) and h[0]["outcome"] == "Killed",
        timeout=40,
        message="killed",
    )
    status = status_of(cluster, namespace, "manual")
    assert (status["successCount"], status["errorCount"]) == (0, 0)
    assert runs_of(cluster, namespace, "downstream") == []
    annotate(cluster, namespace, "manual", {"chronos.dev/mark-success": "m1"})
    wait_for(
        lambda: status_of(cluster, namespace, "downstream").get("successCount") == 1,
        timeout=30,
        message="child",
    )
    assert status_of(cluster, namespace, "manual")["successCount"] == 1
    annotate(cluster, namespace, "manual", {"chronos.dev/mark-success": "m1"})  # same token: nothing new
    time.sleep(2)
    assert status_of(cluster, namespace, "manual")["successCount"] == 1


def test_trigger_on_a_disabled_job_is_refused_with_an_event(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    create_chronosjob(cluster, namespace, "off", {"schedule": NEVER, "disabled": True, "command": "true"})
    wait_for(lambda: status_of(cluster, namespace, "off").get("conditions"), timeout=20, message="status")
    token = run_now(cluster, namespace, "off")
    core = kubernetes.client.CoreV1Api(cluster.api_client())

    def refused() -> bool:
        events = core.list_namespaced_event(namespace, field_selector="involvedObject.name=off").items
        return any(e.reason == "TriggerRefused" and token in e.message for e in events)

    wait_for(refused, timeout=20, message="a TriggerRefused Event")
    assert runs_of(cluster, namespace, "off") == []


def test_five_deep_chain_releases_each_child_promptly(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    names = [f"link-{i}" for i in range(5)]
    create_chronosjob(cluster, namespace, names[0], {"schedule": NEVER, "command": "true", **KEEP})
    for parent, child in itertools.pairwise(names):
        create_chronosjob(cluster, namespace, child, {"parents": [parent], "command": "true", **KEEP})
    wait_for(
        lambda: status_of(cluster, namespace, names[-1]).get("parentCursors"), timeout=20, message="cursors"
    )
    delays: list[float] = []
    for round_ in range(1, 4):
        run_now(cluster, namespace, names[0])
        wait_for(
            lambda r=round_: status_of(cluster, namespace, names[-1]).get("successCount") == r,
            timeout=60,
            message=f"round {round_} reaches the end of the chain",
        )
    for parent, child in itertools.pairwise(names):
        parents = sorted(runs_of(cluster, namespace, parent), key=completion)
        children = sorted(runs_of(cluster, namespace, child), key=lambda j: j.metadata.creation_timestamp)
        assert len(children) == 3
        for p, c in zip(parents, children, strict=True):
            delays.append((c.metadata.creation_timestamp - completion(p)).total_seconds())
    summary = {
        "chain_depth": 5,
        "rounds": 3,
        "release_delay_median_seconds": statistics.median(delays),
        "release_delay_max_seconds": max(delays),
        "note": "Job completionTime and creationTimestamp have whole-second precision",
        "measured_at": datetime.now(UTC).isoformat(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    Path(RESULTS / "integration-chain-5-release.json").write_text(json.dumps(summary, indent=2) + "\n")
    print("\nrelease:", json.dumps(summary))
