"""`make demo` as the README shows it: the brief's jobs imported, the operator started in the
background, `kubectl get chj` printed with counts rising, and `demo.py stop` ending it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.integration.conftest import Cluster

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "tests" / "cluster" / "demo.py"


def ticker_successes(output: str) -> list[int]:
    counts = []
    for line in output.splitlines():
        fields = line.split()
        if fields and fields[0] == "ticker":
            counts.append(int(fields[-4]))  # ... SUCCESSES ERRORS ACTIVE AGE
    return counts


def test_demo_imports_the_brief_and_shows_counts_rising(cluster: Cluster, crd: Path) -> None:
    env = {**os.environ, "DEMO_SECONDS": "25"}
    try:
        done = subprocess.run(
            [sys.executable, str(DEMO)], env=env, capture_output=True, text=True, timeout=240, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        for name in ("hostings-daily-load", "hostings-earnings-summary", "my-docker-job", "sample-job1"):
            assert name in done.stdout
        counts = ticker_successes(done.stdout)
        assert len(counts) >= 2, done.stdout
        assert counts[-1] > counts[0] >= 0, counts
        assert "make demo-stop" in done.stdout
    finally:
        stopped = subprocess.run(
            [sys.executable, str(DEMO), "stop"], capture_output=True, text=True, check=False
        )
    assert "stopped the demo operator" in stopped.stdout
