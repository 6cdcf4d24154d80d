"""Sub-minute precision: 100 ChronosJobs at PT10S and 10 at PT1S, together, for 5 minutes
(CronJob cannot express either: at most one Job per minute)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bench import report
from bench.cluster import Cluster, iso, parse_time, sleep_until, whole_second_after
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
from bench.stats import count_runs, occurrences

TITLE = "Sub-minute precision: 100 ChronosJobs at PT10S and 10 at PT1S"


def run(cluster: Cluster, quick: bool) -> tuple[dict[str, Any], str]:
    n10, n1, minutes = (20, 5, 1) if quick else (100, 10, 5)
    with Session(cluster, "subminute", ["pt10s", "pt1s"]) as s:
        s.watch()
        op = s.operator()
        start = whole_second_after(15)
        names10 = [f"s{i:03d}" for i in range(n10)]
        names1 = [f"f{i:03d}" for i in range(n1)]
        spec = {"command": "true", "concurrent": True, "successfulJobsHistoryLimit": 3}
        cluster.create_chronosjobs(
            s.namespaces["pt10s"], {n: {**spec, "schedule": f"R/{iso(start)}/PT10S"} for n in names10}
        )
        cluster.create_chronosjobs(
            s.namespaces["pt1s"], {n: {**spec, "schedule": f"R/{iso(start)}/PT1S"} for n in names1}
        )
        sampler = s.sample(op)
        end = start + timedelta(minutes=minutes)
        exp10 = {n: occurrences(start, timedelta(seconds=10), start, end) for n in names10}
        exp1 = {n: occurrences(start, timedelta(seconds=1), start, end) for n in names1}
        sleep_until(end + timedelta(seconds=3))
        total = sum(map(len, exp10.values())) + sum(map(len, exp1.values()))
        records = wait_for_sightings(
            s.records,
            lambda rs: (
                sum(1 for r in rs if r["e"] == "add" and r.get("sched") and parse_time(r["sched"]) <= end)
                >= total
            ),
            90,
        )
        usage = sampler.stop()
        skipped = {
            prefix: sum(int(st.get("skippedCount", 0)) for st in cluster.statuses(ns).values())
            for prefix, ns in s.namespaces.items()
        }
        sights10 = sightings(records, "chronosjob", {s.namespaces["pt10s"]})
        sights1 = sightings(records, "chronosjob", {s.namespaces["pt1s"]})
        c10, c1 = count_runs(exp10, sights10), count_runs(exp1, sights1)
        delay = watcher_delay(records)
    runs_total = c10.ran + c1.ran
    lag_plots(
        report.RESULTS / "subminute.png",
        f"ChronosJob sub-minute: {n10} at PT10S and {n1} at PT1S, {minutes} min",
        {
            f"{n10} jobs at PT10S": lag_points(exp10, sights10),
            f"{n1} jobs at PT1S": lag_points(exp1, sights1),
        },
    )
    data = {
        "jobs_pt10s": n10,
        "jobs_pt1s": n1,
        "minutes": minutes,
        "pt10s": run_summary(c10),
        "pt1s": run_summary(c1),
        "skipped_count_in_status": skipped,
        "watcher_delay_upper_bound": delay,
        "usage": usage,
        "operator_cpu_seconds_per_1000_runs": round(
            usage.get("operator_cpu_seconds", 0) / max(1, runs_total) * 1000, 2
        ),
        "cleanup_seconds": s.cleanup_seconds,
    }
    markdown = (
        f"{n10} ChronosJobs at `PT10S` and {n1} at `PT1S` run together for {minutes} min under one operator "
        f"({(n10 / 10 + n1):.0f} runs/s on average, all jobs of a period due in the same second).\n\n"
        + report.table(RUN_HEADERS, [run_row(f"{n10} at PT10S", c10), run_row(f"{n1} at PT1S", c1)])
        + f"\n\nskippedCount in status: {skipped}. {report.usage_text(usage)}; operator CPU per 1,000 runs "
        f"{data['operator_cpu_seconds_per_1000_runs']} s. Watcher's estimated mean delay "
        f"{delay.get('estimated_mean_delay')} s.\n\n![sub-minute lag](subminute.png)\n"
    )
    return data, markdown
