"""Writing results: bench/results/<scenario>.json and .md, and the aggregate README.md."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return "-" if value is None else str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_line(result: Mapping[str, Any]) -> str:
    m = result["machine"]
    return (
        f"{m['cores']} cores ({m['cpu_model']}), {m['memory_gib']} GiB; Kubernetes {m['kubernetes']}, "
        f"Python {m['python']}, kopf {m['kopf']}; load average (1/5/15 min) "
        f"{'/'.join(map(str, result['load_start']))} at start, "
        f"{'/'.join(map(str, result['load_end']))} at end"
    )


def write(name: str, result: Mapping[str, Any], markdown: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    quick = " (--quick: shrunk, not the reference figures)" if result.get("quick") else ""
    text = (
        f"# {result['title']}{quick}\n\n"
        f"Measured {result['started']} for {result['duration_seconds']:.0f} s. {machine_line(result)}.\n\n"
        f"{markdown.strip()}\n"
    )
    (RESULTS / f"{name}.md").write_text(text)


def write_summary(order: Sequence[str]) -> None:
    """bench/results/README.md: every scenario's latest Markdown, in the runner's order."""
    parts = [
        "# Benchmark results\n",
        "Latest figures from `make bench` (each scenario can be rerun alone: `make bench-<name>`). "
        "Lag is the time from a run's scheduled time to the moment an outside watcher saw its Job.\n",
    ]
    from bench.targets import markdown as targets  # noqa: PLC0415 - targets imports this module

    parts.append("## Targets\n\n" + targets() + "\n")
    for name in order:
        md = RESULTS / f"{name}.md"
        if md.exists():
            parts.append(md.read_text().replace("\n# ", "\n## ").replace("# ", "## ", 1))
    (RESULTS / "README.md").write_text("\n".join(parts))


def usage_text(usage: Mapping[str, Any]) -> str:
    """Average cores used by the operator and the control plane, and the operator's peak RSS."""
    names = ["operator", "kube-apiserver", "etcd", "kube-controller-manager", "kwok"]
    cores = ", ".join(f"{n} {fmt(usage.get(f'{n}_cores'))}" for n in names if f"{n}_cores" in usage)
    return f"Cores used on average: {cores}; operator peak RSS {fmt(usage.get('operator_peak_rss_mib'))} MiB"
