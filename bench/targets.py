"""The issue's targets, judged from the latest results (met / missed / not measured)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bench.report import RESULTS, fmt, table


def load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return None if not data.get("ok", True) else data


def _side(d: dict[str, Any]) -> tuple[bool, str]:
    parts, ok = [], True
    for r in d["runs"]:
        c, x = r["cronjob"]["lag_seconds"].get("p99"), r["chronosjob"]["lag_seconds"].get("p99")
        ok = ok and c is not None and x is not None and x < c
        parts.append(f"N={r['n']}: ChronosJob {fmt(x)} s vs CronJob {fmt(c)} s")
    return ok, "; ".join(parts)


def _sub(d: dict[str, Any]) -> tuple[bool, str]:
    p99 = d["pt10s"]["lag_seconds"].get("p99")
    return p99 is not None and p99 <= 0.25, f"p99 {fmt(p99)} s ({d['jobs_pt10s']} jobs at PT10S)"


def _scale(d: dict[str, Any]) -> tuple[bool, str]:
    p99 = d["runs"]["lag_seconds"].get("p99")
    return p99 is not None and p99 <= 1.0, f"p99 {fmt(p99)} s ({d['jobs']} jobs at PT60S)"


def _deps(d: dict[str, Any]) -> tuple[bool, str]:
    a = d["release_delay_chain_seconds"].get("p99")
    b = d["release_delay_fanin_seconds"].get("p99")
    ok = a is not None and b is not None and max(a, b) <= 1.0
    return ok, f"chain p99 {fmt(a)} s, fan-in p99 {fmt(b)} s"


def _rss(d: dict[str, Any]) -> tuple[bool, str]:
    top = max(d["idle"], key=lambda p: p["chronosjobs"])
    return top[
        "peak_rss_mib"
    ] <= 150, f"peak RSS {fmt(top['peak_rss_mib'])} MiB at {top['chronosjobs']} ChronosJobs"


def _zero() -> tuple[bool | None, str]:
    found: list[str] = []
    measured = False
    for name in ("side_by_side", "subminute", "scale", "dependencies", "restart"):
        d = load(name)
        if d is None:
            continue
        measured = True
        for path, missed, dups in _counts(name, d):
            if missed or dups:
                found.append(f"{path}: {missed} missed, {dups} duplicates")
    if not measured:
        return None, "-"
    return not found, "; ".join(found) or "none in any scenario (ChronosJob)"


def _counts(name: str, d: dict[str, Any]) -> list[tuple[str, int, int]]:
    if name == "side_by_side":
        return [
            (f"side_by_side N={r['n']}", r["chronosjob"]["missed"], r["chronosjob"]["duplicates"])
            for r in d["runs"]
        ]
    if name == "subminute":
        return [(f"subminute {k}", d[k]["missed"], d[k]["duplicates"]) for k in ("pt10s", "pt1s")]
    if name == "scale":
        rows = [("scale steady", d["runs"]["missed"], d["runs"]["duplicates"])]
        return rows + [
            (f"scale burst {b['label']}", b["missed"], b["duplicates"]) for b in d.get("bursts", [])
        ]
    if name == "dependencies":  # a child with another number of runs than its parents released
        return [("dependencies", len(d["children_with_wrong_run_count"]), 0)]
    return [("restart", d["missed"], d["duplicates"])]


TARGETS: list[tuple[str, str, Callable[[dict[str, Any]], tuple[bool, str]]]] = [
    ("ChronosJob p99 lag below CronJob's p99 (side by side)", "side_by_side", _side),
    ("p99 lag ≤ 250 ms, 100 jobs at PT10S", "subminute", _sub),
    ("p99 lag ≤ 1 s, 1,000 jobs at PT60S", "scale", _scale),
    ("dependency release p99 ≤ 1 s", "dependencies", _deps),
    ("operator RSS ≤ 150 MB at 5,000 ChronosJobs", "cost", _rss),
]


def judge() -> list[list[str]]:
    rows = []
    for label, scenario, check in TARGETS:
        d = load(scenario)
        if d is None:
            rows.append([label, "not measured", "-"])
            continue
        ok, figure = check(d)
        rows.append([label, "met" if ok else "missed", figure])
    ok0, figure0 = _zero()
    rows.append(
        [
            "zero duplicates and zero misses",
            "not measured" if ok0 is None else "met" if ok0 else "missed",
            figure0,
        ]
    )
    return rows


def markdown() -> str:
    return table(["target", "status", "figure"], judge())


if __name__ == "__main__":
    print(markdown())
