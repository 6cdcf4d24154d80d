"""Scheduled runs on the real control plane: exactly once, epsilon and catch-up, concurrency,
counters from Job outcomes, restarts and SIGKILLs (contract §3, §4)."""

from __future__ import annotations

import itertools
import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import kubernetes
import pytest
from tests.helpers import wait_for
from tests.integration.conftest import Cluster, OperatorProcess
from tests.integration.kube_helpers import (
    condition,
    create_chronosjob,
    finished,
    iso,
    patch_spec,
    runs_of,
    scheduled_time,
    soon,
    status_of,
)

pytestmark = pytest.mark.integration
KEEP = {"successfulJobsHistoryLimit": 100, "failedJobsHistoryLimit": 100}


def test_three_repetitions_run_exactly_three_jobs_then_exhausted(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    start = soon(5)
    create_chronosjob(
        cluster, namespace, "three", {"schedule": f"R3/{iso(start)}/PT2S", "command": "true", **KEEP}
    )

    status = wait_for(
        lambda: (s := status_of(cluster, namespace, "three")).get("successCount") == 3 and s,
        timeout=60,
        message="three successes",
    )
    jobs = runs_of(cluster, namespace, "three")
    expected = [start + timedelta(seconds=2 * k) for k in range(3)]
    assert [j.metadata.name for j in jobs] == [f"three-{int(t.timestamp())}" for t in expected]
    assert [scheduled_time(j) for j in jobs] == expected
    assert (condition(status, "Exhausted") or {}).get("status") == "True"
    assert status["remainingRuns"] == 0
    assert "nextRunTime" not in status
    assert status["lastStatus"] == "success"
    time.sleep(3)  # a fourth run would be due now if the count were wrong
    assert len(runs_of(cluster, namespace, "three")) == 3
    table = cluster.kubectl("get", "chj", "-n", namespace).stdout
    assert "three" in table and " 3 " in f" {table} ", table


def test_failing_pods_with_two_retries_make_three_pods_and_count_one_error(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    start = soon(3)
    create_chronosjob(
        cluster,
        namespace,
        "flaky",
        {
            "schedule": f"R1/{iso(start)}/PT1H",
            "command": "exit 1",
            "retries": 2,
            "podTemplate": {
                "metadata": {"annotations": {"chronos.test/exit-code": "1", "chronos.test/duration": "1s"}}
            },
        },
    )
    status = wait_for(
        lambda: (s := status_of(cluster, namespace, "flaky")).get("errorCount") == 1 and s,
        timeout=120,
        message="one final failure",
    )
    assert status["errorsSinceLastSuccess"] == 1
    assert status["successCount"] == 0
    assert status["lastError"].endswith("Z")
    assert status["lastStatus"] == "failure"
    jobs = runs_of(cluster, namespace, "flaky")
    assert len(jobs) == 1
    assert jobs[0].spec.backoff_limit == 2
    core = kubernetes.client.CoreV1Api(cluster.api_client())
    pods = core.list_namespaced_pod(namespace, label_selector=f"job-name={jobs[0].metadata.name}").items
    assert len(pods) == 3
    assert status["history"][0]["outcome"] == "Failed"
    assert status["history"][0]["exitCode"] == 1


def _occurrences_between(start: datetime, period: float, lo: datetime, hi: datetime) -> list[datetime]:
    k0 = max(0, int((lo - start).total_seconds() // period))
    out = []
    t = start + timedelta(seconds=k0 * period)
    while t <= hi:
        if t > lo:
            out.append(t)
        t += timedelta(seconds=period)
    return out


def test_outage_shorter_than_epsilon_gives_one_catch_up_run_and_counts_the_rest(
    cluster: Cluster,
    namespace: str,
    operator: OperatorProcess,
    operator_factory: Callable[..., OperatorProcess],
) -> None:
    start = soon(3)
    create_chronosjob(
        cluster,
        namespace,
        "catchup",
        # concurrent: a slow Job controller must not turn a wait into a skip; this test is about outages
        {
            "schedule": f"R/{iso(start)}/PT2S",
            "epsilon": "PT3S",
            "concurrent": True,
            "command": "true",
            **KEEP,
        },
    )
    wait_for(lambda: len(runs_of(cluster, namespace, "catchup")) >= 2, timeout=30, message="two runs")
    operator.stop()
    stopped = datetime.now(UTC)
    before = {j.metadata.name for j in runs_of(cluster, namespace, "catchup")}
    skipped_before = int(status_of(cluster, namespace, "catchup").get("skippedCount", 0))
    time.sleep(10.5)  # five periods
    restarted = datetime.now(UTC)
    operator_factory(namespace)
    wait_for(
        lambda: any(scheduled_time(j) > restarted for j in runs_of(cluster, namespace, "catchup")),
        timeout=30,
        message="a run after the restart",
    )
    jobs = runs_of(cluster, namespace, "catchup")
    last_before = max(scheduled_time(j) for j in jobs if j.metadata.name in before)
    after = sorted((j for j in jobs if j.metadata.name not in before), key=scheduled_time)
    # The first decision after the restart runs the most recent due occurrence (late, but within
    # epsilon) and skips every older one of the outage: one run for the whole outage.
    first = after[0]
    assert first.metadata.creation_timestamp >= restarted.replace(microsecond=0)
    assert stopped < scheduled_time(first)
    assert first.metadata.creation_timestamp - scheduled_time(first) <= timedelta(seconds=3)
    missed = _occurrences_between(start, 2, last_before, scheduled_time(first) - timedelta(seconds=1))
    assert len(missed) >= 4  # five periods of outage, less what the slow start-up covered
    assert not [j for j in jobs if last_before < scheduled_time(j) < scheduled_time(first)]
    # Every consumed occurrence is a run or a counted skip: the outage's others were counted.
    status = status_of(cluster, namespace, "catchup")
    consumed = status["scheduleCursor"]["lastIndex"] + 1
    ran = [
        j
        for j in runs_of(cluster, namespace, "catchup")
        if scheduled_time(j) <= start + timedelta(seconds=2 * (consumed - 1))
    ]
    assert len(ran) + int(status["skippedCount"]) == consumed
    assert int(status["skippedCount"]) - skipped_before >= len(missed) - 1


def test_outage_longer_than_epsilon_never_starts_a_run_late(
    cluster: Cluster,
    namespace: str,
    operator: OperatorProcess,
    operator_factory: Callable[..., OperatorProcess],
) -> None:
    start = soon(3)
    create_chronosjob(
        cluster,
        namespace,
        "strict",
        {"schedule": f"R/{iso(start)}/PT2S", "epsilon": "PT1S", "command": "true", **KEEP},
    )
    wait_for(lambda: len(runs_of(cluster, namespace, "strict")) >= 2, timeout=30, message="two runs")
    operator.stop()
    time.sleep(12)
    operator_factory(namespace)
    wait_for(
        lambda: int(status_of(cluster, namespace, "strict").get("skippedCount", 0)) >= 4,
        timeout=30,
        message="the outage's occurrences counted as skipped",
    )
    wait_for(lambda: len(runs_of(cluster, namespace, "strict")) >= 5, timeout=30, message="runs resume")
    for job in runs_of(cluster, namespace, "strict"):
        created = job.metadata.creation_timestamp  # whole seconds, rounded down
        assert created - scheduled_time(job) <= timedelta(seconds=1), job.metadata.name


def test_sigkill_at_random_moments_never_doubles_an_occurrence(
    cluster: Cluster, namespace: str, operator_factory: Callable[..., OperatorProcess]
) -> None:
    rng = random.Random(20261125)
    start = soon(4)
    names = [f"tick-{i}" for i in range(20)]
    for name in names:
        create_chronosjob(
            cluster, namespace, name, {"schedule": f"R/{iso(start)}/PT1S", "command": "true", **KEEP}
        )
    op = operator_factory(namespace)
    for _ in range(5):
        time.sleep(rng.uniform(2.0, 6.0))
        op.kill()
        time.sleep(rng.uniform(0.2, 1.5))
        op = operator_factory(namespace)
    time.sleep(4)
    op.stop()
    stopped = datetime.now(UTC)
    for name in names:
        jobs = runs_of(cluster, namespace, name)
        per_occurrence = Counter(scheduled_time(j) for j in jobs)
        assert jobs, name
        assert max(per_occurrence.values()) == 1, f"{name}: {per_occurrence.most_common(3)}"
        assert all(j.metadata.name == f"{name}-{int(scheduled_time(j).timestamp())}" for j in jobs)
        assert all(scheduled_time(j) <= stopped for j in jobs)
    # Every finished run was counted exactly once, across all the kills. The jobs are disabled
    # first, so the last operator only records what ran and starts nothing new while we count.
    for name in names:
        patch_spec(cluster, namespace, name, {"disabled": True})
    final = operator_factory(namespace)
    for name in names:
        wait_for(
            lambda n=name: all(finished(j) for j in runs_of(cluster, namespace, n)), timeout=60, message=name
        )
    for name in names:
        expected = sum(1 for j in runs_of(cluster, namespace, name) if j.status.succeeded)

        def counted(n: str = name, want: int = expected) -> bool:
            got = int(status_of(cluster, namespace, n).get("successCount", 0))
            assert got == want, f"{n}: successCount {got}, succeeded Jobs {want}"
            return True

        wait_for(counted, timeout=30, message=f"{name}: successCount == {expected} succeeded Jobs")
    final.stop()


def _overlaps(jobs: list[object]) -> int:
    spans = []
    for job in jobs:
        st = job.status  # type: ignore[attr-defined]
        end = st.completion_time or next(
            (c.last_transition_time for c in st.conditions or [] if c.type in ("Complete", "Failed")), None
        )
        spans.append((job.metadata.creation_timestamp, end))  # type: ignore[attr-defined]
    spans.sort(key=lambda s: s[0])
    return sum(1 for a, b in itertools.pairwise(spans) if a[1] is None or b[0] < a[1])


def test_non_concurrent_job_waits_for_its_active_run_and_counts_skips(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    start = soon(3)
    create_chronosjob(
        cluster,
        namespace,
        "serial",
        {
            "schedule": f"R/{iso(start)}/PT2S",
            "epsilon": "PT1S",
            "command": "sleep 5",
            "podTemplate": {"metadata": {"annotations": {"chronos.test/duration": "5s"}}},
            **KEEP,
        },
    )
    wait_for(
        lambda: sum(finished(j) for j in runs_of(cluster, namespace, "serial")) >= 2,
        timeout=60,
        message="two runs",
    )
    jobs = runs_of(cluster, namespace, "serial")
    assert _overlaps(jobs) == 0
    assert int(status_of(cluster, namespace, "serial").get("skippedCount", 0)) >= 2


def test_concurrent_job_starts_runs_while_one_is_active(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    start = soon(3)
    create_chronosjob(
        cluster,
        namespace,
        "parallel",
        {
            "schedule": f"R4/{iso(start)}/PT2S",
            "concurrent": True,
            "command": "sleep 5",
            "podTemplate": {"metadata": {"annotations": {"chronos.test/duration": "5s"}}},
            **KEEP,
        },
    )
    wait_for(lambda: len(runs_of(cluster, namespace, "parallel")) == 4, timeout=30, message="four runs")
    status = wait_for(
        lambda: (s := status_of(cluster, namespace, "parallel")).get("state", "").endswith("running") and s,
        timeout=20,
        message="running state",
    )
    assert status["skippedCount"] == 0
    wait_for(
        lambda: status_of(cluster, namespace, "parallel").get("successCount") == 4,
        timeout=60,
        message="4 successes",
    )
    assert _overlaps(runs_of(cluster, namespace, "parallel")) >= 2


def test_disabled_job_runs_nothing_and_resumes_on_the_grid_when_enabled(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    start = soon(2)
    create_chronosjob(
        cluster,
        namespace,
        "paused",
        {"schedule": f"R/{iso(start)}/PT2S", "disabled": True, "command": "true", **KEEP},
    )
    wait_for(
        lambda: (
            (condition(status_of(cluster, namespace, "paused"), "Ready") or {}).get("reason") == "Disabled"
        ),
        timeout=20,
        message="Ready reason Disabled",
    )
    time.sleep(5)
    assert runs_of(cluster, namespace, "paused") == []
    assert status_of(cluster, namespace, "paused")["scheduleCursor"]["paused"] is True
    assert int(status_of(cluster, namespace, "paused").get("skippedCount", 0)) == 0
    enabled = datetime.now(UTC)
    patch_spec(cluster, namespace, "paused", {"disabled": False})
    wait_for(lambda: runs_of(cluster, namespace, "paused"), timeout=20, message="a run after enabling")
    first = runs_of(cluster, namespace, "paused")[0]
    assert scheduled_time(first) > enabled - timedelta(seconds=1)
    assert (scheduled_time(first) - start).total_seconds() % 2 == 0
    assert int(status_of(cluster, namespace, "paused").get("skippedCount", 0)) == 0


def test_all_occurrences_in_the_past_is_exhausted_at_once(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    create_chronosjob(
        cluster,
        namespace,
        "sample-job1",
        {
            "name": "SAMPLE_JOB1",
            "schedule": "R10/2012-10-01T05:52:00Z/PT2S",
            "epsilon": "PT15M",
            "command": "echo FOO",
        },
    )
    status = wait_for(
        lambda: (s := status_of(cluster, namespace, "sample-job1")).get("conditions") and s,
        timeout=20,
        message="status",
    )
    exhausted = condition(status, "Exhausted") or {}
    assert exhausted.get("status") == "True"
    assert "past" in exhausted.get("message", "")
    assert status["remainingRuns"] == 0
    assert status.get("skippedCount", 0) == 0
    assert runs_of(cluster, namespace, "sample-job1") == []


def test_bad_zone_degrades_only_that_job(cluster: Cluster, namespace: str, operator: OperatorProcess) -> None:
    start = soon(2)
    create_chronosjob(
        cluster,
        namespace,
        "nowhere",
        {"schedule": f"R/{iso(start)}/PT2S", "scheduleTimeZone": "Mars/Olympus"},
    )
    create_chronosjob(cluster, namespace, "fine", {"schedule": f"R/{iso(start)}/PT2S", "command": "true"})
    wait_for(lambda: runs_of(cluster, namespace, "fine"), timeout=20, message="the good job runs")
    degraded = wait_for(
        lambda: condition(status_of(cluster, namespace, "nowhere"), "Degraded"),
        timeout=20,
        message="Degraded",
    )
    assert degraded["status"] == "True"
    assert degraded["reason"] == "UnknownTimeZone"
    assert "scheduleTimeZone" in degraded["message"]
    assert runs_of(cluster, namespace, "nowhere") == []


def test_host_network_is_refused_by_policy(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    create_chronosjob(
        cluster,
        namespace,
        "hosty",
        {"schedule": f"R/{iso(soon(1))}/PT2S", "container": {"image": "busybox", "network": "HOST"}},
    )
    degraded = wait_for(
        lambda: condition(status_of(cluster, namespace, "hosty"), "Degraded"), timeout=20, message="Degraded"
    )
    assert degraded["status"] == "True"
    assert degraded["reason"] == "PolicyDenied"
    assert "spec.container.network" in degraded["message"]
    time.sleep(3)
    assert runs_of(cluster, namespace, "hosty") == []


def test_deleting_a_chronosjob_deletes_its_runs(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    create_chronosjob(cluster, namespace, "gone", {"schedule": f"R/{iso(soon(1))}/PT2S", "command": "true"})
    wait_for(lambda: runs_of(cluster, namespace, "gone"), timeout=20, message="a run")
    api = kubernetes.client.CustomObjectsApi(cluster.api_client())
    api.delete_namespaced_custom_object("chronos.dev", "v1alpha1", namespace, "chronosjobs", "gone")
    wait_for(lambda: not runs_of(cluster, namespace, "gone"), timeout=60, message="runs collected")


def test_finished_jobs_beyond_history_limits_are_deleted_but_stay_in_history(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    create_chronosjob(
        cluster,
        namespace,
        "trim",
        {
            "schedule": f"R6/{iso(soon(2))}/PT1S",
            "concurrent": True,
            "command": "true",
            "successfulJobsHistoryLimit": 2,
        },
    )
    wait_for(
        lambda: status_of(cluster, namespace, "trim").get("successCount") == 6, timeout=40, message="6 runs"
    )
    wait_for(lambda: len(runs_of(cluster, namespace, "trim")) == 2, timeout=20, message="two Jobs kept")
    history = status_of(cluster, namespace, "trim")["history"]
    assert len([h for h in history if h["outcome"] == "Succeeded"]) == 6
