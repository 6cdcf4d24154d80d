"""End to end: the Chronos job files from the brief go through `kubectl-chronos import`, are
applied with kubectl, and the operator schedules each as a Chronos user expects."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.helpers import wait_for
from tests.integration.conftest import REPO, Cluster, OperatorProcess
from tests.integration.kube_helpers import condition, status_of

pytestmark = pytest.mark.integration
EXAMPLES = REPO / "examples" / "chronos-jobs"


def test_brief_examples_import_apply_and_schedule(
    cluster: Cluster, crd: Path, namespace: str, operator_factory: Callable[..., OperatorProcess]
) -> None:
    manifests = subprocess.run(
        [str(REPO / ".venv/bin/kubectl-chronos"), "import", str(EXAMPLES), "--namespace", namespace],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    cluster.kubectl("apply", "-f", "-", input=manifests)
    operator_factory(namespace)

    def all_have_status() -> bool:
        names = ["sample-job1", "pst-hourly", "my-docker-job", "hostings-daily-load", "sample-with-arguments"]
        return all(status_of(cluster, namespace, n).get("conditions") for n in names)

    wait_for(all_have_status, timeout=30, message="status on every scheduled example")
    now = datetime.now(UTC)

    sample = status_of(cluster, namespace, "sample-job1")
    assert (condition(sample, "Exhausted") or {}).get("status") == "True"
    assert "past" in (condition(sample, "Exhausted") or {}).get("message", "")

    docker = status_of(cluster, namespace, "my-docker-job")
    nxt = datetime.fromisoformat(docker["nextRunTime"].replace("Z", "+00:00"))
    assert 0 < (nxt - now).total_seconds() <= 121
    assert (nxt - datetime(2014, 9, 25, 17, 22, tzinfo=UTC)).total_seconds() % 120 == 0

    pst = status_of(cluster, namespace, "pst-hourly")
    nxt = datetime.fromisoformat(pst["nextRunTime"].replace("Z", "+00:00"))
    assert nxt.minute == 32 and 0 < (nxt - now).total_seconds() <= 3601

    daily = status_of(cluster, namespace, "hostings-daily-load")
    nxt = datetime.fromisoformat(daily["nextRunTime"].replace("Z", "+00:00"))
    assert (nxt.hour, nxt.minute) == (2, 0)

    table = cluster.kubectl("get", "chj", "-n", namespace).stdout
    for name in ("sample-job1", "pst-hourly", "my-docker-job", "hostings-earnings-summary"):
        assert name in table
    assert "after: hostings_daily_load" in table
