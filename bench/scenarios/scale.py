"""Scale: 1,000 ChronosJobs at PT60S for 5 minutes, their starts spread over the minute's
seconds; then bursts of 1,000 runs due in the same second, to find the sustained create rate."""

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
from bench.stats import count_runs, occurrences, runs_per_second, summarize
from chronos_operator.settings import Settings

DEFAULTS = Settings()  # the operator's own defaults, named in the report

TITLE = "Scale: 1,000 ChronosJobs at PT60S, and the highest sustained run rate"


def steady(cluster: Cluster, n: int, minutes: int) -> tuple[dict[str, Any], list[Any], dict[str, Any]]:
    with Session(cluster, "scale", ["scale"]) as s:
        ns = s.namespaces["scale"]
        s.watch()
        op = s.operator()
        base = whole_second_after(20 + n * 0.05)
        names = [f"j{i:04d}" for i in range(n)]
        starts = {name: base + timedelta(seconds=i % 60) for i, name in enumerate(names)}
        cluster.create_chronosjobs(
            ns,
            {
                name: {"schedule": f"R/{iso(starts[name])}/PT60S", "command": "true", "concurrent": True}
                for name in names
            },
        )
        sampler = s.sample(op)
        end = base + timedelta(minutes=minutes)
        expected = {
            name: occurrences(starts[name], timedelta(seconds=60), base, end - timedelta(seconds=1))
            for name in names
        }
        total = sum(map(len, expected.values()))
        sleep_until(end + timedelta(seconds=3))
        records = wait_for_sightings(
            s.records,
            lambda rs: (
                sum(1 for r in rs if r["e"] == "add" and r.get("sched") and parse_time(r["sched"]) < end)
                >= total
            ),
            90,
        )
        usage = sampler.stop()
        skipped = sum(int(st.get("skippedCount", 0)) for st in cluster.statuses(ns).values())
        sights = sightings(records, "chronosjob", {ns})
        count = count_runs(expected, sights)
        delay = watcher_delay(records)
    data = {
        "jobs": n,
        "minutes": minutes,
        "runs_per_second_average": round(n / 60, 1),
        "runs": run_summary(count),
        "skipped_count_in_status": skipped,
        "watcher_delay_upper_bound": delay,
        "usage": usage,
        "operator_cpu_seconds_per_1000_runs": round(
            usage.get("operator_cpu_seconds", 0) / max(1, count.ran) * 1000, 2
        ),
        "cleanup_seconds": s.cleanup_seconds,
    }
    return data, run_row(f"{n} at PT60S (spread)", count), {"points": lag_points(expected, sights)}


def burst(cluster: Cluster, n: int, label: str, **env: str) -> dict[str, Any]:
    """n ChronosJobs with one run each, all due at the same second: how fast they all appear."""
    with Session(cluster, f"burst-{label}", ["burst"]) as s:
        ns = s.namespaces["burst"]
        s.watch()
        s.operator(**env)
        at = whole_second_after(15 + n * 0.05)
        names = [f"b{i:04d}" for i in range(n)]
        cluster.create_chronosjobs(
            ns, {name: {"schedule": f"R1/{iso(at)}/PT60S", "command": "true"} for name in names}
        )
        sleep_until(at)
        records = wait_for_sightings(s.records, lambda rs: sum(1 for r in rs if r["e"] == "add") >= n, 120)
        skipped = sum(int(st.get("skippedCount", 0)) for st in cluster.statuses(ns).values())
        count = count_runs({name: [at] for name in names}, sightings(records, "chronosjob", {ns}))
    seen = sorted(at.timestamp() + lag for lag in count.lags)
    return {
        "label": label,
        "env": env,
        "jobs": n,
        "ran": count.ran,
        "missed": count.missed,
        "duplicates": count.duplicates,
        "skipped_count_in_status": skipped,
        "seconds_to_last_run": round(max(count.lags), 2) if count.lags else None,
        "sustained_runs_per_second": round(runs_per_second(seen), 1),
        "lag_seconds": summarize(count.lags),
    }


def run(cluster: Cluster, quick: bool) -> tuple[dict[str, Any], str]:
    n, minutes, n_burst = (100, 1, 200) if quick else (1000, 5, 500)
    data, row, plot = steady(cluster, n, minutes)
    bursts = [
        burst(cluster, n_burst, "default"),
        burst(cluster, n_burst, "unlimited", CHRONOS_OPERATOR_JOB_CREATE_RATE="0"),
    ]
    data["bursts"] = bursts
    lag_plots(
        report.RESULTS / "scale.png",
        f"{n} ChronosJobs at PT60S, {minutes} min",
        {f"{n} at PT60S": plot["points"]},
    )
    u = data["usage"]
    burst_rows = [
        [
            b["label"],
            b["jobs"],
            b["ran"],
            b["missed"],
            b["duplicates"],
            b["skipped_count_in_status"],
            b["seconds_to_last_run"],
            b["sustained_runs_per_second"],
        ]
        for b in bursts
    ]
    markdown = (
        f"**Steady:** {n} ChronosJobs at `PT60S`, start times spread over the 60 seconds of a minute "
        f"(about {n / 60:.0f} runs due every second), {minutes} min.\n\n"
        + report.table(RUN_HEADERS, [row])
        + f"\n\nskippedCount in status: {data['skipped_count_in_status']}. {report.usage_text(u)}; "
        f"operator CPU per 1,000 runs {data['operator_cpu_seconds_per_1000_runs']} s; "
        f"watcher's estimated mean delay "
        f"{data['watcher_delay_upper_bound'].get('estimated_mean_delay')} s.\n\n"
        f"**Bursts:** {n_burst} runs due in the same second (`R1`), with the default Job-create token bucket "
        f"({DEFAULTS.job_create_rate:g}/s, burst {DEFAULTS.job_create_burst}) and with it off "
        "(`CHRONOS_OPERATOR_JOB_CREATE_RATE=0`). The sustained rate is "
        "the runs seen per second between the first and the last.\n\n"
        + report.table(
            [
                "token bucket",
                "runs due",
                "ran",
                "missed",
                "duplicates",
                "skippedCount",
                "last run seen after (s)",
                "sustained runs/s",
            ],
            burst_rows,
        )
        + "\n\n![scale lag](scale.png)\n"
    )
    return data, markdown
