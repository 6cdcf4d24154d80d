"""The operator as a subprocess, and CPU/memory sampled from /proc for it and the control plane."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.cluster import REPO, Cluster

TICKS = os.sysconf("SC_CLK_TCK")
WORK = REPO / "bench" / ".work"  # logs and raw watcher output (not committed)
# The operator's log line once its view holds every ChronosJob (older and newer wording).
VIEW_LOADED = r"view loaded: \d+|scheduling \(view: \d+"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (fields 14 and 15 of /proc/<pid>/stat)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak resident set) in KiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


class OperatorProcess:
    """`chronos-operator` watching the given namespaces, logging to bench/.work/."""

    def __init__(self, cluster: Cluster, namespaces: list[str], name: str, **env: str) -> None:
        WORK.mkdir(parents=True, exist_ok=True)
        self.log_path = WORK / f"operator-{name}.log"
        self.log_path.write_text("")
        full_env = {
            **os.environ,
            "KUBECONFIG": str(cluster.kubeconfig),
            "CHRONOS_OPERATOR_NAMESPACES": ",".join(namespaces),
            "CHRONOS_OPERATOR_LOG_LEVEL": "INFO",
            "CHRONOS_OPERATOR_API_PORT": "0",
            "CHRONOS_OPERATOR_METRICS_PORT": "0",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.started = time.time()
        self.proc = subprocess.Popen(
            [str(REPO / ".venv" / "bin" / "chronos-operator")],
            env=full_env,
            stdout=open(self.log_path, "ab"),  # noqa: SIM115 - the child keeps it
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_time(self, pattern: str) -> float | None:
        """The epoch time of the first log line matching `pattern` (the log's own timestamps)."""
        for line in self.log_path.read_text(errors="replace").splitlines():
            if re.search(pattern, line):
                stamp = line[:23]  # logging's asctime: 2026-11-25 17:19:12,345 (local time)
                try:
                    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
                except ValueError:
                    return None
        return None

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(8)  # a graceful stop is not measured; do not wait long for it
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


@dataclass
class Sampler:
    """Samples CPU seconds and resident memory of named processes once a second, in a thread."""

    pids: dict[str, int]
    interval: float = 1.0
    samples: list[dict[str, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.first: dict[str, float] = {}

    def start(self) -> Sampler:
        self.first = self._cpu()
        self._thread.start()
        return self

    def _cpu(self) -> dict[str, float]:
        out = {}
        for name, pid in self.pids.items():
            try:
                out[name] = cpu_seconds(pid)
            except (FileNotFoundError, ProcessLookupError, ValueError):
                continue
        return out

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            sample: dict[str, float] = {"t": time.time()}
            for name, cpu in self._cpu().items():
                sample[f"{name}.cpu"] = cpu
                if name == "operator":
                    try:
                        mem = memory_kib(self.pids[name])
                    except FileNotFoundError:
                        continue
                    sample["operator.rss_mib"] = mem.get("VmRSS", 0) / 1024
                    sample["operator.hwm_mib"] = mem.get("VmHWM", 0) / 1024
            self.samples.append(sample)

    def stop(self) -> dict[str, float]:
        """Stops sampling; returns CPU seconds used per process since start, and the operator's
        peak RSS, and the cores used on average."""
        self._stop.set()
        self._thread.join(5)
        last = self._cpu() or {}
        if not last and self.samples:
            last = {k[:-4]: v for k, v in self.samples[-1].items() if k.endswith(".cpu")}
        span = (self.samples[-1]["t"] - self.samples[0]["t"]) if len(self.samples) > 1 else 0.0
        out: dict[str, float] = {"seconds": round(span, 1)}
        for name, first in self.first.items():
            used = max(last.get(name, first), max((s.get(f"{name}.cpu", 0) for s in self.samples), default=0))
            out[f"{name}_cpu_seconds"] = round(used - first, 2)
            if span:
                out[f"{name}_cores"] = round((used - first) / span, 2)
        hwm = [s["operator.hwm_mib"] for s in self.samples if "operator.hwm_mib" in s]
        if hwm:
            out["operator_peak_rss_mib"] = round(max(hwm), 1)
        return out


def control_plane_pids(cluster: Cluster) -> dict[str, int]:
    return {k: v for k, v in cluster.pids.items() if Path(f"/proc/{v}").exists()}


def utcnow() -> datetime:
    return datetime.now(UTC)
