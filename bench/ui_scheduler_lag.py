"""Benchmark on the real control plane: does serving the web UI delay the scheduler?

Creates --jobs idle ChronosJobs (scheduled in 2040) plus three tickers firing every 2 s in a
fresh namespace, starts the operator, and measures the scheduler's start delay: for every run
Job, creationTimestamp minus its chronos.dev/scheduled-time annotation. First --seconds with no
page requests, then --seconds while four client threads request /ui/jobs, a search and a job page
without pause. Writes bench/results/ui-scheduler-lag.{json,md}. Needs `make cluster-up`.

Usage: .venv/bin/python bench/ui_scheduler_lag.py [--jobs 1000] [--seconds 40]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
NAMESPACE = "ui-lag-bench"


def kubectl(*args: str, input: str | None = None) -> str:
    return subprocess.run(["kubectl", *args], input=input, text=True, capture_output=True, check=True).stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def delays(since: datetime, until: datetime) -> list[float]:
    jobs = json.loads(
        kubectl("get", "jobs", "-n", NAMESPACE, "-l", "chronos.dev/trigger=schedule", "-o", "json")
    )
    found = []
    for job in jobs["items"]:
        meta = job["metadata"]
        due = instant(meta["annotations"]["chronos.dev/scheduled-time"])
        if since <= due < until:
            found.append((instant(meta["creationTimestamp"]) - due).total_seconds())
    return found


def stats(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"runs": 0}
    ordered = sorted(values)
    return {
        "runs": len(ordered),
        "p50_s": round(statistics.median(ordered), 3),
        "p95_s": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 3),
        "max_s": round(ordered[-1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()
    kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=true")
    kubectl("create", "namespace", NAMESPACE)
    items: list[dict[str, Any]] = [
        {
            "apiVersion": "chronos.dev/v1alpha1",
            "kind": "ChronosJob",
            "metadata": {"name": f"idle-{i:05d}"},
            "spec": {
                "schedule": f"R/2040-01-01T{i % 24:02d}:00:00Z/P1D",
                "command": f"report {i}",
                "owner": "x@example.com",
            },
        }
        for i in range(args.jobs)
    ]
    items += [
        {
            "apiVersion": "chronos.dev/v1alpha1",
            "kind": "ChronosJob",
            "metadata": {"name": f"tick-{k}"},
            "spec": {
                "schedule": "R//PT2S",
                "epsilon": "PT30S",
                "command": "date",
                "successfulJobsHistoryLimit": 100,
                "failedJobsHistoryLimit": 100,
            },
        }
        for k in range(3)
    ]
    started = time.monotonic()
    kubectl(
        "apply",
        "-n",
        NAMESPACE,
        "-f",
        "-",
        input=yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}),
    )
    created_s = time.monotonic() - started
    port = free_port()
    env = {
        **os.environ,
        "CHRONOS_OPERATOR_NAMESPACES": NAMESPACE,
        "CHRONOS_OPERATOR_API_PORT": str(port),
        "CHRONOS_OPERATOR_API_HOST": "127.0.0.1",
        "CHRONOS_OPERATOR_API_AUTH": "none",
        "CHRONOS_OPERATOR_API_NAMESPACE": NAMESPACE,
    }
    log = open("/tmp/chronos-ui-lag.log", "w")  # noqa: SIM115
    operator = subprocess.Popen(
        [str(REPO / ".venv/bin/chronos-operator")], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    served = [0]
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/ui/jobs", timeout=5) as r:
                    if f"{args.jobs + 3} jobs" in r.read().decode():
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the operator did not load every job")
            time.sleep(1)
        time.sleep(10)  # the start-up burst (first status of every job) settles
        quiet_from = datetime.now(UTC)
        time.sleep(args.seconds)
        busy_from = datetime.now(UTC)
        stop = threading.Event()
        paths = ["/ui/jobs", "/ui/jobs?q=report+1", f"/ui/jobs/{NAMESPACE}/tick-0", "/ui/jobs?page=3"]

        def client(offset: int) -> None:
            i = offset
            while not stop.is_set():
                with urllib.request.urlopen(base + paths[i % len(paths)], timeout=30) as r:
                    r.read()
                served[0] += 1
                i += 1

        threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(4)]
        for t in threads:
            t.start()
        time.sleep(args.seconds)
        stop.set()
        for t in threads:
            t.join(30)
        busy_until = datetime.now(UTC)
        time.sleep(3)  # the last runs' Jobs exist
        quiet, busy = delays(quiet_from, busy_from), delays(busy_from, busy_until)
    finally:
        operator.terminate()
        operator.wait(20)
        kubectl("delete", "namespace", NAMESPACE, "--wait=false")
    result = {
        "jobs": args.jobs + 3,
        "create_seconds": round(created_s, 1),
        "window_seconds": args.seconds,
        "start_delay_without_pages": stats(quiet),
        "start_delay_while_serving_pages": stats(busy),
        "pages_served": served[0],
        "pages_per_second": round(served[0] / args.seconds, 1),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ui-scheduler-lag.json").write_text(json.dumps(result, indent=2) + "\n")
    q, b = result["start_delay_without_pages"], result["start_delay_while_serving_pages"]
    text = "\n".join(
        [
            f"# Scheduler start delay while the web UI serves pages ({result['jobs']} ChronosJobs, real control plane)",  # noqa: E501 - one Markdown line
            "",
            f"{result['when']}; `bench/ui_scheduler_lag.py`; three PT2S tickers, {args.seconds:.0f} s per window; "  # noqa: E501 - one Markdown line
            f"load average at the end {result['load_average_at_end'][0]} (2 CPUs shared).",
            "Start delay = run Job's creationTimestamp (1 s resolution) minus its scheduled time.",
            "",
            "| window | runs | p50 | p95 | max |",
            "|---|---|---|---|---|",
            f"| no page requests | {q.get('runs')} | {q.get('p50_s')} s | {q.get('p95_s')} s | {q.get('max_s')} s |",  # noqa: E501 - one Markdown line
            f"| 4 clients requesting pages without pause ({result['pages_per_second']} pages/s) | {b.get('runs')} | "  # noqa: E501 - one Markdown line
            f"{b.get('p50_s')} s | {b.get('p95_s')} s | {b.get('max_s')} s |",
            "",
        ]
    )
    (args.out / "ui-scheduler-lag.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
