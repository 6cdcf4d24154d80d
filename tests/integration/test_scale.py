"""Many jobs at once: every occurrence runs exactly once and none is skipped. The lag between the
scheduled time and the moment a watcher sees the Job is measured and reported, never asserted."""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import kubernetes
import pytest
from tests.helpers import wait_for
from tests.integration.conftest import Cluster, OperatorProcess
from tests.integration.kube_helpers import create_chronosjob, iso, soon, status_of

pytestmark = [pytest.mark.integration, pytest.mark.slow]
RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"


class JobWatcher(threading.Thread):
    """Records when each run Job is first seen, from outside the operator."""

    def __init__(self, cluster: Cluster, namespace: str) -> None:
        super().__init__(daemon=True)
        self.batch = kubernetes.client.BatchV1Api(cluster.api_client())
        self.namespace = namespace
        self.seen: dict[str, tuple[datetime, datetime]] = {}  # name -> (scheduled, seen)
        self.stopped = threading.Event()

    def run(self) -> None:
        # Raw JSON lines, not the client's models: decoding 100 events a second into V1Job objects
        # is slower than they arrive, and late sightings would be counted as operator lag.
        while not self.stopped.is_set():
            try:
                resp = self.batch.list_namespaced_job(
                    self.namespace,
                    label_selector="app.kubernetes.io/managed-by=chronos-operator",
                    watch=True,
                    timeout_seconds=30,
                    _preload_content=False,
                    _request_timeout=(5, 60),
                )
                for line in resp:
                    now = datetime.now(UTC)
                    meta = json.loads(line)["object"]["metadata"]
                    name = meta["name"]
                    if name not in self.seen:
                        text = meta["annotations"]["chronos.dev/scheduled-time"]
                        self.seen[name] = (datetime.fromisoformat(text.replace("Z", "+00:00")), now)
                    if self.stopped.is_set():
                        break
            except Exception:  # a dropped watch is re-opened; its initial list re-reports what exists
                time.sleep(0.1)


@pytest.fixture
def emptied_afterwards(cluster: Cluster, namespace: str) -> Iterator[str]:
    """Deletes the namespace's ChronosJobs and waits for their thousands of Jobs to be collected,
    so the garbage collector is not still chewing on them during the next tests."""
    yield namespace
    custom = kubernetes.client.CustomObjectsApi(cluster.api_client())
    custom.delete_collection_namespaced_custom_object("chronos.dev", "v1alpha1", namespace, "chronosjobs")
    batch = kubernetes.client.BatchV1Api(cluster.api_client())
    wait_for(
        lambda: not batch.list_namespaced_job(namespace, limit=1).items, timeout=300, interval=2, message="GC"
    )


def test_200_jobs_every_10_seconds_run_every_occurrence_once(
    cluster: Cluster, emptied_afterwards: str, operator: OperatorProcess
) -> None:
    namespace = emptied_afterwards
    watcher = JobWatcher(cluster, namespace)
    watcher.start()
    start = soon(15)
    names = [f"load-{i:03d}" for i in range(200)]
    for name in names:
        create_chronosjob(
            cluster,
            namespace,
            name,
            # concurrent: a Job controller slowed down by the load must not turn a wait into a skip;
            # this test measures the operator's scheduling, not the Job controller's latency.
            {
                "schedule": f"R/{iso(start)}/PT10S",
                "concurrent": True,
                "command": "true",
                "successfulJobsHistoryLimit": 20,
            },
        )
    end = start + timedelta(seconds=120)
    wait_for(
        lambda: datetime.now(UTC) > end + timedelta(seconds=5), timeout=200, interval=1, message="2 minutes"
    )
    expected = [start + timedelta(seconds=10 * k) for k in range(13)]  # start .. start+120 s
    wait_for(
        lambda: sum(1 for s, _ in list(watcher.seen.values()) if s <= end) >= len(names) * len(expected),
        timeout=60,
        message="the watcher to see every run up to the end (late ones count as lag, not as missing)",
    )
    watcher.stopped.set()
    watcher.join(10)
    lags = [(seen - sched).total_seconds() for sched, seen in watcher.seen.values() if sched <= end]
    # What ran is read back from the API server, independent of the watcher.
    jobs = kubernetes.client.BatchV1Api(cluster.api_client()).list_namespaced_job(namespace).items
    by_owner: dict[str, list[datetime]] = {}
    for job in jobs:
        text = job.metadata.annotations["chronos.dev/scheduled-time"]
        by_owner.setdefault(job.metadata.labels["chronos.dev/job"], []).append(
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        )
    problems = []
    for name in names:
        scheduled = sorted(t for t in by_owner.get(name, []) if t <= end)
        if scheduled != expected:
            problems.append(f"{name}: ran {[iso(t) for t in scheduled]}")
        skipped = int(status_of(cluster, namespace, name).get("skippedCount", 0))
        if skipped:
            problems.append(f"{name}: skippedCount {skipped}")
    assert not problems, problems[:10]
    assert len(watcher.seen) >= len(names) * len(expected)
    summary = {
        "jobs": len(names),
        "period_seconds": 10,
        "runs_observed": len(lags),
        "lag_median_seconds": round(statistics.median(lags), 3),
        "lag_p99_seconds": round(sorted(lags)[int(len(lags) * 0.99) - 1], 3),
        "lag_max_seconds": round(max(lags), 3),
        "measured_at": datetime.now(UTC).isoformat(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "integration-200-jobs-pt10s.json").write_text(json.dumps(summary, indent=2) + "\n")
    print("\nlag:", json.dumps(summary))
