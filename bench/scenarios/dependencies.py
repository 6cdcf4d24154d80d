"""Dependencies: chains 5 deep and fan-ins of 20 parents; the delay from the last parent's
completion (as the watcher saw the Job finish) to the child's Job appearing."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from bench import report
from bench.cluster import Cluster, iso, sleep_until, whole_second_after
from bench.harness import Session
from bench.measure import wait_for_sightings, watcher_delay
from bench.stats import release_delays, summarize

TITLE = "Dependencies: chains 5 deep and fan-in of 20 parents"


def run(cluster: Cluster, quick: bool) -> tuple[dict[str, Any], str]:
    chains, depth, fanins, width, repeats = (2, 5, 1, 5, 1) if quick else (10, 5, 5, 20, 3)
    with Session(cluster, "dependencies", ["deps"]) as s:
        ns = s.namespaces["deps"]
        s.watch()
        op = s.operator()
        start = whole_second_after(20)
        schedule = f"R{repeats}/{iso(start)}/PT60S"
        specs: dict[str, dict[str, Any]] = {}
        parents_of: dict[str, list[str]] = {}
        for c in range(chains):
            specs[f"c{c:02d}-0"] = {"schedule": schedule, "command": "true"}
            for level in range(1, depth):
                parent = f"c{c:02d}-{level - 1}"
                specs[f"c{c:02d}-{level}"] = {"parents": [parent], "command": "true"}
                parents_of[f"c{c:02d}-{level}"] = [parent]
        for f in range(fanins):
            ps = [f"f{f:02d}-p{p:02d}" for p in range(width)]
            for p in ps:
                specs[p] = {"schedule": schedule, "command": "true"}
            specs[f"f{f:02d}-child"] = {"parents": ps, "command": "true"}
            parents_of[f"f{f:02d}-child"] = ps
        # Children first, so every edge exists before the first parent run.
        cluster.create_chronosjobs(ns, {k: v for k, v in specs.items() if "parents" in v})
        cluster.create_chronosjobs(ns, {k: v for k, v in specs.items() if "parents" not in v})
        sampler = s.sample(op)
        sleep_until(start + timedelta(seconds=60 * (repeats - 1) + 10))
        children_runs = len(parents_of) * repeats
        records = wait_for_sightings(
            s.records,
            lambda rs: sum(1 for r in rs if r["e"] == "add" and r["owner"] in parents_of) >= children_runs,
            120,
        )
        usage = sampler.stop()
    completions: dict[str, list[float]] = defaultdict(list)
    appearances: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if r["e"] == "done" and r["outcome"] == "Complete":
            completions[r["owner"]].append(r["recv"])
        if r["e"] == "add" and r["owner"] in parents_of:
            appearances[r["owner"]].append(r["recv"])
    chain_children = {k: v for k, v in parents_of.items() if k.startswith("c")}
    fan_children = {k: v for k, v in parents_of.items() if k.startswith("f")}
    chain = release_delays(chain_children, completions, {k: appearances[k] for k in chain_children})
    fan = release_delays(fan_children, completions, {k: appearances[k] for k in fan_children})
    seen = {k: len(v) for k, v in appearances.items()}
    missing = {k: repeats - seen.get(k, 0) for k in parents_of if seen.get(k, 0) != repeats}
    # A whole chain: the root's scheduled time to the last link's Job.
    whole = []
    for c in range(chains):
        last = sorted(appearances.get(f"c{c:02d}-{depth - 1}", []))
        whole += [t - (start + timedelta(seconds=60 * k)).timestamp() for k, t in enumerate(last)]
    data = {
        "chains": chains,
        "depth": depth,
        "fanins": fanins,
        "fanin_width": width,
        "repeats": repeats,
        "release_delay_chain_seconds": summarize(chain),
        "release_delay_fanin_seconds": summarize(fan),
        "root_to_chain_end_seconds": summarize(whole),
        "child_runs_expected": children_runs,
        "child_runs_seen": sum(seen.values()),
        "children_with_wrong_run_count": missing,
        "watcher_delay_upper_bound": watcher_delay(records),
        "usage": usage,
        "cleanup_seconds": s.cleanup_seconds,
    }
    rows = []
    for label, values in ((f"chain link (depth {depth})", chain), (f"fan-in ({width} parents)", fan)):
        st = summarize(values)
        rows.append([label, st.get("count"), st.get("p50"), st.get("p95"), st.get("p99"), st.get("max")])
    st = summarize(whole)
    markdown = (
        f"{chains} chains {depth} deep and {fanins} fan-ins of {width} parents; roots and parents run "
        f"`R{repeats}/…/PT60S` (pods run 1 s). Delay = the watcher's sighting of the child's Job minus its "
        "sighting of the last parent Job's `Complete` condition.\n\n"
        + report.table(["edge", "releases", "p50 (s)", "p95 (s)", "p99 (s)", "max (s)"], rows)
        + f"\n\nRoot's scheduled time to the chain's last Job: p50 {st.get('p50')} s, max {st.get('max')} s "
        f"(includes {depth - 1} pod runs). Child runs seen {data['child_runs_seen']} of {children_runs}"
        + (f"; wrong counts: {missing}" if missing else "")
        + ".\n"
    )
    return data, markdown
