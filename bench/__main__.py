"""`python -m bench run [scenario ...] [--quick]`: runs the scenarios in order, each writing
bench/results/<scenario>.json/.md (and plots), then the aggregate bench/results/README.md."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from datetime import UTC, datetime

from bench import machine, report
from bench.cluster import Cluster

SCENARIOS = ["side_by_side", "subminute", "scale", "dependencies", "cost", "restart"]


def run_one(name: str, cluster: Cluster, quick: bool) -> bool:
    module = importlib.import_module(f"bench.scenarios.{name}")
    print(f"[bench] {name}: {module.TITLE}{' (quick)' if quick else ''}", flush=True)
    started = datetime.now(UTC)
    t0 = time.monotonic()
    load_start = machine.loadavg()
    ok = True
    try:
        data, markdown = module.run(cluster, quick)
    except Exception:
        ok = False
        data = {"error": traceback.format_exc()}
        markdown = f"**The scenario failed:**\n\n```\n{data['error']}\n```\n"
        print(data["error"], file=sys.stderr, flush=True)
    result = {
        "scenario": name,
        "title": module.TITLE,
        "quick": quick,
        "ok": ok,
        "started": started.isoformat(timespec="seconds"),
        "duration_seconds": round(time.monotonic() - t0, 1),
        "machine": machine.describe(cluster),
        "load_start": load_start,
        "load_end": machine.loadavg(),
        **data,
    }
    report.write(name, result, markdown)
    print(
        f"[bench] {name}: done in {result['duration_seconds']:.0f} s, load {result['load_end']}", flush=True
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run scenarios (all by default)")
    run.add_argument("scenarios", nargs="*", metavar="scenario", help=", ".join(SCENARIOS))
    run.add_argument("--quick", action="store_true", help="small N and short durations: a smoke test")
    sub.add_parser("list", help="list the scenarios")
    args = parser.parse_args()
    if args.command == "list":
        print("\n".join(SCENARIOS))
        return
    unknown = [n for n in args.scenarios if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    cluster = Cluster.current()
    cluster.apply_crd()
    names = args.scenarios or SCENARIOS
    failed = [n for n in names if not run_one(n, cluster, args.quick)]
    report.write_summary(SCENARIOS)
    if failed:
        sys.exit(f"[bench] failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
