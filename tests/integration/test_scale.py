"""Many jobs at once: every occurrence runs exactly once and none is skipped. The lag between the
scheduled time and the moment a watcher sees the Job is measured and reported, never asserted."""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections import Counter
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
        while not self.stopped.is_set():
            w = kubernetes.watch.Watch()
            try:
                for event in w.stream(
                    self.batch.list_namespaced_job,
                    self.namespace,
                    label_selector="app.kubernetes.io/managed-by=chronos-operator",
                    timeout_seconds=5,
                ):
                    now = datetime.now(UTC)
                    job = event["object"]
                    name = job.metadata.name
                    if name not in self.seen:
                        text = job.metadata.annotations["chronos.dev/scheduled-time"]
                        self.seen[name] = (datetime.fromisoformat(text.replace("Z", "+00:00")), now)
                    if self.stopped.is_set():
                        break
            except Exception:  # a dropped watch is re-opened; the list in it re-reports what exists
                time.sleep(0.1)


def test_200_jobs_every_10_seconds_run_every_occurrence_once(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    watcher = JobWatcher(cluster, namespace)
    watcher.start()
    start = soon(15)
    names = [f"load-{i:03d}" for i in range(200)]
    for name in names:
        create_chronosjob(
            cluster,
            namespace,
            name,
            {"schedule": f"R/{iso(start)}/PT10S", "command": "true", "successfulJobsHistoryLimit": 20},
        )
    end = start + timedelta(seconds=120)
    wait_for(lambda: datetime.now(UTC) > end + timedelta(seconds=5), timeout=200, interval=1, message="2 minutes")
    watcher.stopped.set()
    watcher.join(10)
    expected = [start + timedelta(seconds=10 * k) for k in range(13)]  # start .. start+120 s
    per_job = Counter(name.rsplit("-", 1)[0] for name in watcher.seen)
    lags = [(seen - sched).total_seconds() for sched, seen in watcher.seen.values() if sched <= end]
    for name in names:
        scheduled = sorted(s for n, (s, _) in watcher.seen.items() if n.rsplit("-", 1)[0] == name and s <= end)
        assert scheduled == expected, f"{name}: {len(scheduled)} runs, expected {len(expected)}"
        assert int(status_of(cluster, namespace, name).get("skippedCount", 0)) == 0, name
    assert max(per_job.values()) <= 14
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
