"""`make demo`: the brief's Chronos jobs on the local control plane, with counts rising.

Installs the CRD, imports the brief's Chronos JSON and a ticker into namespace `demo`, starts the
operator in the background (REST API on 127.0.0.1:8080 without authentication, metrics on 8081)
and prints `kubectl get chj` every few seconds. The operator keeps running afterwards, so the
REST API and kubectl can be tried; `make demo-stop` stops it and the control plane.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
from tests.cluster import localcluster  # noqa: E402

NAMESPACE = "demo"


def state_dir() -> Path:
    return localcluster.cluster_dir()


def run(*args: str, env: dict[str, str], input: str | None = None) -> str:
    done = subprocess.run(list(args), env=env, input=input, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"demo: {' '.join(args[:3])} failed: {done.stderr.strip()}")
    return done.stdout


def stop_operator() -> None:
    pid_file = state_dir() / "demo-operator.pid"
    if not pid_file.exists():
        return
    try:
        os.kill(int(pid_file.read_text()), signal.SIGTERM)
        print(f"stopped the demo operator (pid {pid_file.read_text().strip()})")
    except (ProcessLookupError, ValueError):
        pass
    pid_file.unlink(missing_ok=True)


def start(seconds: int) -> None:
    state = localcluster.State.load()
    if state is None:
        sys.exit("demo: no local cluster; run make cluster-up")
    env = {
        **os.environ,
        "KUBECONFIG": str(state.kubeconfig),
        "PATH": f"{state.bin_dir}:{REPO / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
    }
    kubectl = str(Path(state.bin_dir) / "kubectl")
    crd = str(REPO / "manifests" / "crd")
    run(kubectl, "apply", "--server-side", "--force-conflicts", "-f", crd, env=env)
    run(
        kubectl,
        "wait",
        "--for=condition=Established",
        "crd/chronosjobs.chronos.dev",
        "--timeout=60s",
        env=env,
    )
    namespace = run(kubectl, "create", "namespace", NAMESPACE, "--dry-run=client", "-o", "yaml", env=env)
    run(kubectl, "apply", "-f", "-", env=env, input=namespace)
    jobs = run(
        str(REPO / ".venv" / "bin" / "kubectl-chronos"),
        "import",
        str(REPO / "examples" / "chronos-jobs"),
        "--namespace",
        NAMESPACE,
        env=env,
    )
    print(run(kubectl, "apply", "-f", "-", env=env, input=jobs), end="")
    ticker = str(REPO / "examples" / "ticker.yaml")
    print(run(kubectl, "apply", "-n", NAMESPACE, "-f", ticker, env=env), end="")

    stop_operator()
    log_path = state_dir() / "demo-operator.log"
    operator_env = {
        **env,
        "CHRONOS_OPERATOR_NAMESPACES": NAMESPACE,
        "CHRONOS_OPERATOR_API_AUTH": "none",  # local demo only: the chart's default is kubernetes
        "CHRONOS_OPERATOR_API_HOST": "127.0.0.1",
        "CHRONOS_OPERATOR_API_NAMESPACE": NAMESPACE,
    }
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [str(REPO / ".venv" / "bin" / "chronos-operator")],
            env=operator_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # keeps running after make returns
        )
    (state_dir() / "demo-operator.pid").write_text(str(proc.pid))
    print(f"\noperator started (pid {proc.pid}, log {log_path})")
    print(f"kubectl get chj -n {NAMESPACE} every 10 s:\n")
    deadline = time.monotonic() + seconds
    while True:
        time.sleep(10)
        if proc.poll() is not None:
            sys.exit(f"demo: the operator exited with {proc.returncode}; see {log_path}")
        print(time.strftime("--- %H:%M:%S"))
        print(run(kubectl, "get", "chj", "-n", NAMESPACE, env=env), flush=True)
        if time.monotonic() >= deadline:
            break
    print(
        "The operator keeps running. Try:\n"
        f'  eval "$(make -s cluster-env)"; kubectl get chj -n {NAMESPACE} -w\n'
        "  curl -s localhost:8080/v1/scheduler/jobs/summary\n"
        "  curl -s localhost:8081/metrics | grep chronos_operator_runs\n"
        "  .venv/bin/kubectl-chronos next 'R5/2008-03-01T13:00:00Z/P1D' -n 3 --after 2008-03-01T00:00:00Z\n"
        "Stop it all with: make demo-stop"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["stop"]:
        stop_operator()
    else:
        start(int(os.environ.get("DEMO_SECONDS", "60")))
