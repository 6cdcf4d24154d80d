"""Prometheus metrics and probes on the metrics port, and several replicas in kopf peering mode:
exactly one schedules, a standby forwards API calls, and a standby takes over when the leader dies
(issue 7; contract §8)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.helpers import wait_for
from tests.integration.conftest import Cluster, OperatorProcess
from tests.integration.kube_helpers import (
    create_chronosjob,
    finished,
    iso,
    patch_spec,
    runs_of,
    soon,
    status_of,
)

REPO = Path(__file__).resolve().parents[2]
PEERING = "chronos-ha-test"
KEEP = {"successfulJobsHistoryLimit": 100, "failedJobsHistoryLimit": 100}  # count every Job


def get(url: str, timeout: float = 5) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus' text format, or None."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return None


def test_metrics_and_probes_are_served_on_the_metrics_port(
    cluster: Cluster, namespace: str, operator_factory: Callable[..., OperatorProcess]
) -> None:
    op = operator_factory(namespace, CHRONOS_OPERATOR_API_AUTH="none")
    metrics_url = f"http://127.0.0.1:{op.port('metrics and probes')}"
    api_url = f"http://127.0.0.1:{op.port('REST API')}"
    wait_for(lambda: get(f"{metrics_url}/readyz")[0] == 200, timeout=60, message="the operator to be ready")
    assert get(f"{metrics_url}/healthz")[0] == 200

    create_chronosjob(
        cluster, namespace, "counted", {"schedule": f"R3/{iso(soon(3))}/PT2S", "command": "true"}
    )
    create_chronosjob(
        cluster,
        namespace,
        "failing",
        {
            "schedule": f"R1/{iso(soon(3))}/PT2S",
            "command": "exit 1",
            "retries": 0,
            "podTemplate": {"metadata": {"annotations": {"chronos.test/exit-code": "1"}}},
        },
    )
    wait_for(
        lambda: status_of(cluster, namespace, "counted").get("successCount") == 3,
        timeout=90,
        message="three successful runs",
    )
    assert get(f"{api_url}/v1/scheduler/jobs")[0] == 200

    def scraped() -> str | None:
        status, text = get(f"{metrics_url}/metrics")
        assert status == 200
        done = sample(
            text, "chronos_operator_runs_total", namespace=namespace, trigger="schedule", outcome="success"
        )
        return text if done == 3 else None

    text = wait_for(scraped, timeout=30, message="three successful runs in the metrics")
    wait_for(
        lambda: status_of(cluster, namespace, "failing").get("errorCount") == 1,
        timeout=60,
        message="the failing job's error",
    )
    text = get(f"{metrics_url}/metrics")[1]
    assert (
        sample(
            text, "chronos_operator_runs_total", namespace=namespace, trigger="schedule", outcome="failure"
        )
        == 1
    )
    assert sample(text, "chronos_operator_job_failing", namespace=namespace, job="failing") == 1
    assert sample(text, "chronos_operator_job_failing", namespace=namespace, job="counted") is None
    assert sample(text, "chronos_operator_runs_started_total", namespace=namespace, trigger="schedule") == 4
    assert (sample(text, "chronos_operator_schedule_lag_seconds_count") or 0) >= 4
    assert sample(text, "chronos_operator_leader") == 1
    jobs = [
        sample(text, "chronos_operator_jobs", namespace=namespace, state=s)
        for s in ("idle", "running", "queued", "disabled", "invalid")
    ]
    assert sum(v or 0 for v in jobs) == 2
    assert sample(text, "chronos_operator_active_runs") is not None
    assert (
        sample(
            text, "chronos_operator_api_requests_total", method="GET", route="/v1/scheduler/jobs", code="200"
        )
        == 1
    )


# --- several replicas ------------------------------------------------------------------------------

# kopf's peering CRDs as the chart ships them (Helm installs its crds/ folder before the release).
PEERING_CRDS = REPO / "charts" / "chronos-operator" / "crds" / "kopf-peering.yaml"


@pytest.fixture
def peering(cluster: Cluster, namespace: str) -> str:
    """kopf's namespaced peering CRD and one peering object in the test's namespace."""
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(PEERING_CRDS))
    cluster.kubectl("wait", "--for=condition=Established", "crd/kopfpeerings.kopf.dev", "--timeout=60s")
    body = {"apiVersion": "kopf.dev/v1", "kind": "KopfPeering", "metadata": {"name": PEERING}}
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(body))
    return PEERING


def role(op: OperatorProcess) -> tuple[int, str]:
    return get(f"http://127.0.0.1:{op.port('metrics and probes')}/readyz")


def leads(op: OperatorProcess) -> bool:
    status, text = role(op)
    return status == 200 and text.startswith("leading")


def test_two_replicas_schedule_each_occurrence_once_and_a_standby_takes_over_after_sigkill(
    cluster: Cluster,
    namespace: str,
    peering: str,
    operator_factory: Callable[..., OperatorProcess],
    tmp_path: Path,
) -> None:
    env = {
        "CHRONOS_OPERATOR_PEERING": peering,
        "CHRONOS_OPERATOR_API_AUTH": "none",
        "CHRONOS_OPERATOR_API_NAMESPACE": namespace,
    }
    first = operator_factory(namespace, **env)
    wait_for(lambda: leads(first), timeout=60, message="the first replica to lead")
    second = operator_factory(namespace, **env)
    wait_for(
        lambda: role(second)[0] == 200 and role(second)[1].startswith("standby"),
        timeout=60,
        message="the second replica to stand by, ready to forward",
    )
    names = [f"tick-{i}" for i in range(5)]
    for name in names:
        create_chronosjob(
            cluster, namespace, name, {"schedule": f"R/{iso(soon(2))}/PT2S", "command": "true", **KEEP}
        )
    time.sleep(10)  # both replicas run; only one may create runs and count them
    assert not leads(second)

    # The standby answers the REST API with the leader's view (its own watches are paused).
    api_second = f"http://127.0.0.1:{second.port('REST API')}"
    status, body = get(f"{api_second}/v1/scheduler/jobs")
    assert status == 200
    assert sorted(job["name"] for job in json.loads(body)) == names

    first.kill()
    killed_at = time.monotonic()
    wait_for(lambda: leads(second), timeout=30, message="the standby to take over within 30 s")
    took_over = time.monotonic() - killed_at
    last_before = {
        n: max((r.metadata.creation_timestamp for r in runs_of(cluster, namespace, n)), default=None)
        for n in names
    }
    wait_for(
        lambda: all(
            any(r.metadata.creation_timestamp > last_before[n] for r in runs_of(cluster, namespace, n))
            for n in names
        ),
        timeout=30,
        message="every job to run again under the new leader",
    )
    first_new_run = time.monotonic() - killed_at
    time.sleep(6)
    for name in names:
        patch_spec(cluster, namespace, name, {"disabled": True})

    def settled() -> bool:
        for name in names:
            runs = runs_of(cluster, namespace, name)
            st = status_of(cluster, namespace, name)
            if not all(finished(r) for r in runs) or st.get("active"):
                return False
        return True

    wait_for(settled, timeout=60, message="every run to finish and be recorded")
    for name in names:
        runs = runs_of(cluster, namespace, name)
        times = [r.metadata.annotations["chronos.dev/scheduled-time"] for r in runs]
        assert len(times) == len(set(times)), f"{name}: an occurrence ran twice: {times}"
        succeeded = sum(1 for r in runs if (r.status.succeeded or 0) > 0)

        def counted(n: str = name, expected: int = succeeded) -> bool:
            return status_of(cluster, namespace, n).get("successCount") == expected

        wait_for(
            counted, timeout=30, message=f"{name}: successCount to equal its succeeded Jobs ({succeeded})"
        )
    figures = {
        "takeover_seconds": round(took_over, 2),
        "first_run_after_kill_seconds": round(first_new_run, 2),
    }
    out = REPO / "bench" / "results" / "integration-failover.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print("failover:", figures)


def test_a_clean_exit_of_the_leader_hands_over_at_once(
    cluster: Cluster, namespace: str, peering: str, operator_factory: Callable[..., OperatorProcess]
) -> None:
    env = {"CHRONOS_OPERATOR_PEERING": peering, "CHRONOS_OPERATOR_API_AUTH": "none"}
    first = operator_factory(namespace, **env)
    wait_for(lambda: leads(first), timeout=60, message="the first replica to lead")
    second = operator_factory(namespace, **env)
    wait_for(lambda: role(second)[1].startswith("standby"), timeout=60, message="the second to stand by")
    create_chronosjob(
        cluster, namespace, "handed-over", {"schedule": f"R/{iso(soon(2))}/PT2S", "command": "true"}
    )
    wait_for(lambda: runs_of(cluster, namespace, "handed-over"), timeout=30, message="a first run")
    stopped_at = time.monotonic()
    first.stop()  # SIGTERM: kopf clears this replica's record on the way out
    # Well inside the 15 s record lifetime: the hand-over did not wait for the record to expire.
    wait_for(lambda: leads(second), timeout=10, message="the standby to lead after a clean exit")
    print(f"hand-over after SIGTERM: {time.monotonic() - stopped_at:.2f}s")
    before = {r.metadata.name for r in runs_of(cluster, namespace, "handed-over")}
    wait_for(
        lambda: {r.metadata.name for r in runs_of(cluster, namespace, "handed-over")} - before,
        timeout=20,
        message="a run created by the new leader",
    )
