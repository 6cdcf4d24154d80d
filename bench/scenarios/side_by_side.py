"""N CronJobs at `* * * * *` and N ChronosJobs at `R/<minute>/PT1M`, in the same cluster at the
same time; one watcher sees the Jobs of both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bench import report
from bench.cluster import Cluster, iso, parse_time, sleep_until
from bench.harness import Session
from bench.measure import (
    RUN_HEADERS,
    lag_points,
    run_row,
    run_summary,
    sightings,
    wait_for_sightings,
    watcher_delay,
)
from bench.plots import lag_plots
from bench.stats import count_runs

TITLE = "Side by side with CronJob: N CronJobs at * * * * * and N ChronosJobs at PT1M"


def next_minute(after: datetime) -> datetime:
    return (after + timedelta(minutes=1)).replace(second=0, microsecond=0)


def measure(cluster: Cluster, n: int, minutes: int) -> dict[str, Any]:
    with Session(cluster, f"side_by_side-{n}", ["cron", "chronos"]) as s:
        ns_cron, ns_chronos = s.namespaces["cron"], s.namespaces["chronos"]
        s.watch()
        op = s.operator("chronos")
        # The first minute boundary that leaves time to create both sets before it.
        start = next_minute(datetime.now(UTC) + timedelta(seconds=20 + n * 0.08))
        names = [f"j{i:04d}" for i in range(n)]
        created_cron = cluster.create_cronjobs(ns_cron, names, "* * * * *")
        created_chronos = cluster.create_chronosjobs(
            ns_chronos,
            {
                name: {"schedule": f"R/{iso(start)}/PT1M", "command": "true", "concurrent": True}
                for name in names
            },
        )
        if datetime.now(UTC) >= start:
            raise RuntimeError(f"creating {n}+{n} jobs took past the first run at {iso(start)}")
        sampler = s.sample(op)
        times = [start + timedelta(minutes=k) for k in range(minutes)]
        expected = {name: times for name in names}
        sleep_until(times[-1] + timedelta(seconds=5))

        # Late runs count as lag; what has not appeared two minutes after the last run is missed.
        records = wait_for_sightings(s.records, lambda rs: _runs_at(rs, times[-1]) >= 2 * n, 120)
        usage = sampler.stop()
        cron = count_runs(expected, sightings(records, "cronjob", {ns_cron}))
        chronos = count_runs(expected, sightings(records, "chronosjob", {ns_chronos}))
        points = {
            f"CronJob N={n}": lag_points(expected, sightings(records, "cronjob", {ns_cron})),
            f"ChronosJob N={n}": lag_points(expected, sightings(records, "chronosjob", {ns_chronos})),
        }
    return {
        "n": n,
        "minutes": minutes,
        "first_run": iso(start),
        "create_seconds": {"cronjobs": created_cron, "chronosjobs": created_chronos},
        "cronjob": run_summary(cron),
        "chronosjob": run_summary(chronos),
        "watcher_delay_upper_bound": watcher_delay(records),
        "usage": usage,
        "cleanup_seconds": s.cleanup_seconds,
        "_rows": [run_row(f"CronJob, N={n}", cron), run_row(f"ChronosJob, N={n}", chronos)],
        "_points": points,
    }


def _runs_at(records: list[dict[str, Any]], t: datetime) -> int:
    return sum(1 for r in records if r["e"] == "add" and r.get("sched") and parse_time(r["sched"]) >= t)


def run(cluster: Cluster, quick: bool) -> tuple[dict[str, Any], str]:
    sizes, minutes = ((10,), 2) if quick else ((100, 500), 3)
    runs = [measure(cluster, n, minutes) for n in sizes]
    rows = [row for r in runs for row in r.pop("_rows")]
    points = {label: p for r in runs for label, p in r.pop("_points").items()}
    lag_plots(report.RESULTS / "side_by_side.png", "CronJob vs ChronosJob, one run per minute each", points)
    usage_rows = [
        [
            f"N={r['n']}",
            r["usage"].get("operator_cores"),
            r["usage"].get("kube-apiserver_cores"),
            r["usage"].get("etcd_cores"),
            r["usage"].get("kube-controller-manager_cores"),
            r["usage"].get("operator_peak_rss_mib"),
            r["watcher_delay_upper_bound"].get("estimated_mean_delay"),
        ]
        for r in runs
    ]
    markdown = (
        f"Both kinds run {minutes} times each ({minutes} minute boundaries), created before the first one; "
        "ChronosJobs are `concurrent: true` to match CronJob's default `concurrencyPolicy: Allow`. "
        "Lag = the watcher's receive time of the Job's ADDED event minus the Job's scheduled-time "
        "annotation (`chronos.dev/scheduled-time`, `batch.kubernetes.io/cronjob-scheduled-timestamp`).\n\n"
        + report.table(RUN_HEADERS, rows)
        + "\n\nCores used on average during the runs (CPU seconds / wall seconds), operator peak RSS, "
        "and the watcher's own estimated mean delay:\n\n"
        + report.table(
            [
                "run",
                "operator",
                "kube-apiserver",
                "etcd",
                "kube-controller-manager",
                "operator peak RSS (MiB)",
                "watcher delay (s)",
            ],
            usage_rows,
        )
        + "\n\n![lag distribution and lag over time](side_by_side.png)\n"
    )
    return {"runs": runs}, markdown
