"""Restart: an operator starting over 1,000 existing ChronosJobs, each with a run that fell due
two seconds before the start (within epsilon): time to the full view, to the first correct run,
and to the last."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import report
from bench.cluster import Cluster, iso, sleep_until, whole_second_after
from bench.harness import Session
from bench.measure import sightings, wait_for_sightings
from bench.procs import VIEW_LOADED
from bench.stats import count_runs, summarize

TITLE = "Restart: operator start over 1,000 existing ChronosJobs"


def run(cluster: Cluster, quick: bool) -> tuple[dict[str, Any], str]:
    n = 100 if quick else 1000
    with Session(cluster, "restart", ["restart"]) as s:
        ns = s.namespaces["restart"]
        s.watch()
        due = whole_second_after(15 + n * 0.06)
        names = [f"r{i:04d}" for i in range(n)]
        cluster.create_chronosjobs(
            ns, {name: {"schedule": f"R/{iso(due)}/PT60S", "command": "true"} for name in names}
        )
        if datetime.now(UTC) > due:
            raise RuntimeError("creating the ChronosJobs took past their first run")
        sleep_until(due + timedelta(seconds=2))
        started = time.time()
        op = s.operator(timeout=300)
        records = wait_for_sightings(s.records, lambda rs: sum(1 for r in rs if r["e"] == "add") >= n, 58)
        loaded = op.log_time(VIEW_LOADED)
        count = count_runs({name: [due] for name in names}, sightings(records, "chronosjob", {ns}))
        skipped = sum(int(st.get("skippedCount", 0)) for st in cluster.statuses(ns).values())
    seen = sorted(due.timestamp() + lag for lag in count.lags)
    data = {
        "chronosjobs": n,
        "due": iso(due),
        "operator_started_after_due_seconds": round(started - due.timestamp(), 2),
        "full_view_seconds": round(loaded - started, 2) if loaded else None,
        "first_run_seconds": round(seen[0] - started, 2) if seen else None,
        "last_run_seconds": round(seen[-1] - started, 2) if seen else None,
        "ran": count.ran,
        "missed": count.missed,
        "duplicates": count.duplicates,
        "skipped_count_in_status": skipped,
        "since_start_seconds": summarize([t - started for t in seen]),
        "cleanup_seconds": s.cleanup_seconds,
    }
    markdown = (
        f"{n} ChronosJobs exist, each with a run due at {iso(due)}; the operator starts "
        f"{data['operator_started_after_due_seconds']} s later (within the default 60 s epsilon), so every "
        "job owes exactly one run. Times from the operator process start:\n\n"
        + report.table(
            [
                "full view (log: view loaded)",
                "first correct run seen",
                "last run seen",
                "ran",
                "missed",
                "duplicates",
                "skippedCount",
            ],
            [
                [
                    data["full_view_seconds"],
                    data["first_run_seconds"],
                    data["last_run_seconds"],
                    count.ran,
                    count.missed,
                    count.duplicates,
                    skipped,
                ]
            ],
        )
        + "\n"
    )
    return data, markdown
