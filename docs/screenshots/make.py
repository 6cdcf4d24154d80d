"""Screenshots of the web UI from a real run: `make screenshots` (the local cluster must be up).

Creates a namespace `ui-screenshots`, imports the brief's Chronos jobs and the ticker, adds a
failing job and a small dependency chain, starts the operator (REST API and UI on a free port,
auth none), lets some runs happen, marks the daily load successful so its child runs, and saves
docs/images/ui-jobs.png, ui-job.png and ui-graph.png taken by Debian's Chromium through
Playwright. The namespace is deleted afterwards.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.e2e.browser import chromium  # noqa: E402

NAMESPACE = "ui-screenshots"
OUT = REPO / "docs" / "images"
EXTRA = """
apiVersion: chronos.dev/v1alpha1
kind: ChronosJob
metadata: {name: flaky-export}
spec:
  schedule: R//PT7S
  epsilon: PT5S
  command: export --to s3://reports
  owner: data@example.com
  retries: 0
  podTemplate:
    metadata: {annotations: {chronos.test/exit-code: "1"}}
---
apiVersion: chronos.dev/v1alpha1
kind: ChronosJob
metadata: {name: nightly-report}
spec:
  parents: [hostings_earnings_summary, ticker]
  command: report --nightly
  owner: bi@example.com
---
apiVersion: chronos.dev/v1alpha1
kind: ChronosJob
metadata: {name: paris-digest}
spec:
  schedule: R/2026-03-01T07:30:00Z/P1D
  scheduleTimeZone: Europe/Paris
  command: digest --mail
  owner: ops@example.com
"""


def kubectl(*args: str, input: str | None = None) -> str:
    return subprocess.run(["kubectl", *args], input=input, text=True, capture_output=True, check=True).stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer")
        time.sleep(0.5)


def main() -> None:
    kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=true")
    kubectl("create", "namespace", NAMESPACE)
    jobs = subprocess.run(
        [
            str(REPO / ".venv/bin/kubectl-chronos"),
            "import",
            str(REPO / "examples/chronos-jobs"),
            "--namespace",
            NAMESPACE,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    kubectl("apply", "-f", "-", input=jobs)
    kubectl("apply", "-n", NAMESPACE, "-f", str(REPO / "examples/ticker.yaml"))
    kubectl("apply", "-n", NAMESPACE, "-f", "-", input=EXTRA)
    port = free_port()
    env = {
        **os.environ,
        "CHRONOS_OPERATOR_NAMESPACES": NAMESPACE,
        "CHRONOS_OPERATOR_API_PORT": str(port),
        "CHRONOS_OPERATOR_API_HOST": "127.0.0.1",
        "CHRONOS_OPERATOR_API_AUTH": "none",
        "CHRONOS_OPERATOR_API_NAMESPACE": NAMESPACE,
    }
    log = open("/tmp/chronos-ui-screenshots.log", "w")  # noqa: SIM115
    operator = subprocess.Popen(
        [str(REPO / ".venv/bin/chronos-operator")], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait(f"{base}/ping")
        kubectl(
            "annotate",
            "chj",
            "hostings-daily-load",
            "-n",
            NAMESPACE,
            "--overwrite",
            "chronos.dev/mark-success=shot",
        )
        kubectl(
            "annotate",
            "chj",
            "sample-with-arguments",
            "-n",
            NAMESPACE,
            "--overwrite",
            "chronos.dev/run-now=shot",
            "chronos.dev/run-arguments=--day 2026-11-25",
        )
        time.sleep(35)  # the ticker runs about seven times, the flaky job fails a few
        with urllib.request.urlopen(f"{base}/namespaces/{NAMESPACE}/scheduler/jobs/summary") as r:
            print(json.dumps(json.load(r))[:400], "...")
        OUT.mkdir(parents=True, exist_ok=True)
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(f"{base}/ui/jobs")
            page.screenshot(path=str(OUT / "ui-jobs.png"), full_page=True)
            page.goto(f"{base}/ui/jobs/{NAMESPACE}/ticker")
            page.locator("details.cli").first.evaluate("d => d.open = true")
            page.screenshot(path=str(OUT / "ui-job.png"), full_page=True)
            page.goto(f"{base}/ui/graph?ns={NAMESPACE}")
            page.screenshot(path=str(OUT / "ui-graph.png"), full_page=True)
            browser.close()
        print(f"saved {', '.join(sorted(p.name for p in OUT.glob('ui-*.png')))} in {OUT}")
    finally:
        operator.terminate()
        operator.wait(15)
        kubectl("delete", "namespace", NAMESPACE, "--wait=false")


if __name__ == "__main__":
    main()
