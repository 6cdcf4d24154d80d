"""Cost: the operator's peak RSS and CPU with 0, 1,000 and 5,000 idle ChronosJobs, and CPU
seconds per 1,000 runs."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from bench import report
from bench.cluster import Cluster, iso, parse_time, sleep_until, wait, whole_second_after
from bench.harness import Session
from bench.measure import wait_for_sightings
from bench.procs import VIEW_LOADED, OperatorProcess, cpu_seconds, memory_kib

TITLE = "Cost: operator memory and CPU, idle at 0 / 1,000 / 5,000 ChronosJobs, and per 1,000 runs"
IDLE = {"schedule": "R/2099-01-01T00:00:00Z/P1D", "command": "true"}  # valid, never due in a benchmark


def settle(op: OperatorProcess, quiet: float = 0.05, timeout: float = 240) -> float:
    """Waits until the operator uses less than `quiet` cores over 5 s (its start-up status writes
    done); returns the seconds that took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = cpu_seconds(op.pid)
        time.sleep(5)
        if (cpu_seconds(op.pid) - before) / 5 < quiet:
            break
    return round(time.monotonic() - started, 1)


def idle(s: Session, count: int, window: float) -> dict[str, Any]:
    op = s.operator("idle", ready="scheduler loop started", timeout=600)
    loaded = op.log_time(VIEW_LOADED) or time.time()
    settled = settle(op)
    cpu_start = cpu_seconds(op.pid)
    time.sleep(window)
    idle_cpu = cpu_seconds(op.pid) - cpu_start
    mem = memory_kib(op.pid)
    total_cpu = cpu_seconds(op.pid)
    op.stop()
    return {
        "chronosjobs": count,
        "view_loaded_seconds": round(loaded - op.started, 2),
        "settle_seconds": settled,
        "cpu_seconds_to_settled": round(total_cpu - idle_cpu, 2),
        "idle_window_seconds": window,
        "idle_cpu_seconds": round(idle_cpu, 2),
        "idle_cores": round(idle_cpu / window, 4),
        "peak_rss_mib": round(mem["VmHWM"] / 1024, 1),
        "rss_mib": round(mem["VmRSS"] / 1024, 1),
    }


def run(cluster: Cluster, quick: bool) -> tuple[dict[str, Any], str]:
    sizes, window, n_runs, minutes = ((0, 100, 500), 10, 50, 1) if quick else ((0, 1000, 5000), 30, 250, 2)
    phases = []
    with Session(cluster, "cost", ["idle", "runs"]) as s:
        ns = s.namespaces["idle"]
        have = 0
        for size in sizes:
            if size > have:
                cluster.create_chronosjobs(ns, {f"i{i:05d}": IDLE for i in range(have, size)})
                have = size
            phases.append(idle(s, size, window))
        cluster.delete_chronosjobs(ns)
        wait(lambda: cluster.count_chronosjobs(ns) == 0, 300, "idle ChronosJobs to be deleted", interval=2)
        # CPU per run: n_runs jobs at PT15S spread over the period, counted by the watcher.
        runs_ns = s.namespaces["runs"]
        s.watch()
        op = s.operator("runs")
        base = whole_second_after(15)
        specs = {
            f"r{i:04d}": {
                "schedule": f"R/{iso(base + timedelta(seconds=i % 15))}/PT15S",
                "command": "true",
                "concurrent": True,
            }
            for i in range(n_runs)
        }
        cluster.create_chronosjobs(runs_ns, specs)
        sleep_until(base)
        cpu0, t0 = cpu_seconds(op.pid), time.time()
        end = base + timedelta(minutes=minutes)
        sleep_until(end)
        cpu1 = cpu_seconds(op.pid)
        records = wait_for_sightings(s.records, lambda rs: False, 5)
        ran = sum(1 for r in records if r["e"] == "add" and base <= parse_time(r["sched"]) < end)
        per_run = {
            "jobs": n_runs,
            "seconds": round(time.time() - t0, 1),
            "runs": ran,
            "operator_cpu_seconds": round(cpu1 - cpu0, 2),
            "cpu_seconds_per_1000_runs": round((cpu1 - cpu0) / max(1, ran) * 1000, 2),
            "peak_rss_mib": round(memory_kib(op.pid)["VmHWM"] / 1024, 1),
        }
    rows = [
        [
            p["chronosjobs"],
            p["view_loaded_seconds"],
            p["settle_seconds"],
            p["cpu_seconds_to_settled"],
            p["idle_cores"],
            p["rss_mib"],
            p["peak_rss_mib"],
        ]
        for p in phases
    ]
    markdown = (
        "Each idle phase starts a fresh operator over that many ChronosJobs (never due), waits until it is "
        f"quiet (under 0.05 cores for 5 s), then measures CPU over {window} s; memory is /proc VmRSS and "
        "VmHWM (peak).\n\n"
        + report.table(
            [
                "ChronosJobs",
                "view loaded after (s)",
                "quiet after (s)",
                "CPU s until quiet",
                "idle cores",
                "RSS (MiB)",
                "peak RSS (MiB)",
            ],
            rows,
        )
        + f"\n\n**Per run:** {n_runs} ChronosJobs at `PT15S` for {minutes} min: {per_run['runs']} runs, "
        f"operator {per_run['operator_cpu_seconds']} CPU s = "
        f"**{per_run['cpu_seconds_per_1000_runs']} CPU s per 1,000 runs** "
        f"(peak RSS {per_run['peak_rss_mib']} MiB).\n"
    )
    return {"idle": phases, "per_run": per_run}, markdown
