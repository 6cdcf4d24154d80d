"""One benchmark session: its namespaces, the outside watcher, the operator and the sampler,
all cleaned up afterwards whatever happens."""

from __future__ import annotations

import os
import subprocess
import time
from types import TracebackType
from typing import Any

from bench.cluster import REPO, Cluster, wait
from bench.procs import WORK, OperatorProcess, Sampler, control_plane_pids
from bench.watcher import Watcher


class Session:
    def __init__(self, cluster: Cluster, name: str, namespaces: list[str]) -> None:
        self.cluster = cluster
        self.name = name
        self.prefixes = namespaces
        self.namespaces: dict[str, str] = {}
        self.watcher: Watcher | None = None
        self.operators: list[OperatorProcess] = []
        self.sampler: Sampler | None = None
        self.cleanup_seconds = 0.0
        self.profilers: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Session:
        for prefix in self.prefixes:
            self.namespaces[prefix] = self.cluster.create_namespace(prefix.replace("_", "-"))
        return self

    def watch(self) -> Watcher:
        self.watcher = Watcher(
            self.cluster.server,
            self.cluster.token,
            list(self.namespaces.values()),
            WORK / f"watch-{self.name}.jsonl",
        )
        return self.watcher

    def operator(
        self, *prefixes: str, ready: str = "scheduler loop started", timeout: float = 300, **env: str
    ) -> OperatorProcess:
        names = [self.namespaces[p] for p in prefixes or self.prefixes]
        op = OperatorProcess(self.cluster, names, f"{self.name}-{len(self.operators)}", **env)
        self.operators.append(op)
        wait(lambda: op.log_time(ready) is not None or op.proc.poll() is not None, timeout, "the operator")
        if op.proc.poll() is not None:
            raise RuntimeError(f"the operator exited; see {op.log_path}")
        if os.environ.get("BENCH_PROFILE"):  # collapsed stacks for finding where the time goes
            out = WORK / f"profile-{self.name}-{len(self.operators) - 1}.txt"
            self.profilers.append(
                subprocess.Popen(
                    [
                        str(REPO / ".venv" / "bin" / "py-spy"),
                        "record",
                        "--format",
                        "raw",
                        "--rate",
                        "50",
                        "--pid",
                        str(op.pid),
                        "--output",
                        str(out),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        return op

    def sample(self, op: OperatorProcess | None = None) -> Sampler:
        pids = control_plane_pids(self.cluster)
        if op is not None:
            pids["operator"] = op.pid
        self.sampler = Sampler(pids).start()
        return self.sampler

    def records(self) -> list[dict[str, Any]]:
        assert self.watcher is not None
        return self.watcher.records()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.sampler is not None and self.sampler._thread.is_alive():
            self.sampler.stop()
        for op in self.operators:
            op.stop()
        for profiler in self.profilers:  # py-spy writes its output when the process it follows ends
            profiler.wait(30)
        if self.watcher is not None:
            self.watcher.stop()
        started = time.monotonic()
        self.cluster.delete_namespaces(self.namespaces.values())
        self.cleanup_seconds = round(time.monotonic() - started, 1)
        print(f"[bench] {self.name}: namespaces deleted in {self.cleanup_seconds:.0f} s", flush=True)
