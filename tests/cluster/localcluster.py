"""Start and stop the project's own Kubernetes control plane on 127.0.0.1.

etcd, kube-apiserver, kube-controller-manager, kube-scheduler (built by build.sh) and kwok with
the stages in stages.yaml. Stdlib only, so it runs before any virtual environment exists.

    python3 tests/cluster/localcluster.py up|down|env|status

State (ports, pids, tokens, kubeconfig, logs) lives in CHRONOS_CLUSTER_DIR (default `.cluster/`
in the checkout). `up` reuses a healthy cluster that is already running.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
NODE_NAMES = ("kwok-node-0", "kwok-node-1")
# The controllers the tests and benchmarks rely on; nothing else, so the cluster stays light.
CONTROLLERS = (
    "job-controller",
    "garbage-collector-controller",
    "serviceaccount-controller",
    "namespace-controller",
    "ttl-after-finished-controller",
    "cronjob-controller",
)


def read_versions() -> dict[str, str]:
    versions = {}
    for raw in (HERE / "versions.env").read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            versions[key] = value
    return versions


def cache_dir() -> Path:
    if os.environ.get("CHRONOS_CACHE_DIR"):
        return Path(os.environ["CHRONOS_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "chronos-operator"


def bin_dir() -> Path:
    v = read_versions()
    name = f"k8s-{v['K8S_VERSION']}-etcd-{v['ETCD_VERSION']}-kwok-{v['KWOK_VERSION']}"
    return cache_dir() / name / "bin"


def cluster_dir() -> Path:
    return Path(os.environ.get("CHRONOS_CLUSTER_DIR") or REPO / ".cluster").resolve()


@dataclass
class State:
    dir: str
    bin_dir: str
    etcd_port: int = 0
    apiserver_port: int = 0
    admin_token: str = ""
    user_token: str = ""
    user2_token: str = ""
    pids: dict[str, int] = field(default_factory=dict)

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.apiserver_port}"

    @property
    def kubeconfig(self) -> Path:
        return Path(self.dir) / "kubeconfig"

    def save(self) -> None:
        (Path(self.dir) / "state.json").write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls) -> State | None:
        path = cluster_dir() / "state.json"
        if not path.exists():
            return None
        return cls(**json.loads(path.read_text()))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log(msg: str) -> None:
    print(f"[cluster] {msg}", file=sys.stderr, flush=True)


def _insecure() -> ssl.SSLContext:
    # The apiserver signs its own serving certificate; the tests talk to it on loopback only.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def http_ok(url: str, token: str | None = None) -> bool:
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=2, context=_insecure()) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def api(state: State, method: str, path: str, body: object | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(state.server + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {state.admin_token}")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10, context=_insecure()) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def wait(what: str, predicate: object, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"[cluster] {what} exited with code {proc.returncode}; see its log")
        time.sleep(0.1)
    raise SystemExit(f"[cluster] timed out after {timeout:.0f}s waiting for {what}")


def spawn(state: State, name: str, args: list[str]) -> subprocess.Popen[bytes]:
    logf = open(Path(state.dir) / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
    proc = subprocess.Popen(
        args,
        stdout=logf,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # survives the `make cluster-up` that started it
        cwd=state.dir,
    )
    state.pids[name] = proc.pid
    state.save()
    return proc


def write_files(state: State) -> None:
    d = Path(state.dir)
    for sub in ("logs", "pki", "etcd"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["openssl", "genrsa", "-out", str(d / "pki/sa.key"), "2048"], check=True, capture_output=True
    )
    subprocess.run(
        ["openssl", "rsa", "-in", str(d / "pki/sa.key"), "-pubout", "-out", str(d / "pki/sa.pub")],
        check=True,
        capture_output=True,
    )
    # token,user,uid,"groups": an admin, and two users with no rights until a test grants them.
    (d / "tokens.csv").write_text(
        f'{state.admin_token},admin,admin,"system:masters"\n'
        f'{state.user_token},alice,alice,"chronos:users"\n'
        f'{state.user2_token},bob,bob,"chronos:users"\n'
    )
    write_kubeconfig(d / "kubeconfig", state.server, state.admin_token, "admin")
    write_kubeconfig(d / "alice.kubeconfig", state.server, state.user_token, "alice")
    write_kubeconfig(d / "bob.kubeconfig", state.server, state.user2_token, "bob")
    shutil.copy(HERE / "stages.yaml", d / "stages.yaml")


def write_kubeconfig(path: Path, server: str, token: str, user: str) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "local", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": "local", "context": {"cluster": "local", "user": user}}],
        "current-context": "local",
    }
    path.write_text(json.dumps(config, indent=2))


def start_etcd(state: State) -> None:
    peer = free_port()
    url = f"http://127.0.0.1:{state.etcd_port}"
    proc = spawn(
        state,
        "etcd",
        [
            f"{state.bin_dir}/etcd",
            "--name=local",
            f"--data-dir={state.dir}/etcd",
            f"--listen-client-urls={url}",
            f"--advertise-client-urls={url}",
            f"--listen-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-cluster=local=http://127.0.0.1:{peer}",
            "--listen-metrics-urls=",
            "--unsafe-no-fsync=true",  # a throwaway test store: durability buys nothing here
            "--log-level=warn",
        ],
    )
    wait("etcd /health", lambda: http_ok(f"{url}/health"), 30, proc)


def start_apiserver(state: State) -> None:
    d = state.dir
    proc = spawn(
        state,
        "kube-apiserver",
        [
            f"{state.bin_dir}/kube-apiserver",
            f"--etcd-servers=http://127.0.0.1:{state.etcd_port}",
            "--bind-address=127.0.0.1",
            f"--secure-port={state.apiserver_port}",
            f"--cert-dir={d}/pki",
            f"--token-auth-file={d}/tokens.csv",
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc",
            f"--service-account-key-file={d}/pki/sa.pub",
            f"--service-account-signing-key-file={d}/pki/sa.key",
            "--service-cluster-ip-range=10.0.0.0/24",
            "--allow-privileged=true",
            "--endpoint-reconciler-type=none",
            # No node-lifecycle controller runs, so nothing would lift the not-ready taint that
            # this plugin puts on new nodes; kwok marks the fake nodes Ready itself.
            "--disable-admission-plugins=TaintNodesByCondition",
            "--profiling=false",
            "--max-requests-inflight=800",
            "--max-mutating-requests-inflight=400",
            "--v=1",
        ],
    )
    wait("kube-apiserver /readyz", lambda: http_ok(f"{state.server}/readyz", state.admin_token), 90, proc)


def create_nodes(state: State) -> None:
    for name in NODE_NAMES:
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": name,
                "labels": {
                    "kubernetes.io/hostname": name,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "type": "kwok",
                    "rack": f"rack-{name[-1]}",
                },
                "annotations": {"kwok.x-k8s.io/node": "fake"},
            },
            "spec": {},
        }
        code, body = api(state, "POST", "/api/v1/nodes", node)
        if code not in (201, 409):
            raise SystemExit(f"[cluster] creating node {name} failed: {code} {body}")


def apply_crds(state: State) -> None:
    """Applies the project's CRDs before the controller-manager starts: its garbage collector only
    re-reads discovery every 30 s, and owner references to unknown kinds would not cascade."""
    crd_dir = REPO / "manifests" / "crd"
    files = sorted(crd_dir.glob("*.yaml")) if crd_dir.is_dir() else []
    for f in files:
        subprocess.run(
            [f"{state.bin_dir}/kubectl", "--kubeconfig", str(state.kubeconfig), "apply", "-f", str(f)],
            check=True,
            capture_output=True,
        )
    for f in files:
        subprocess.run(
            [
                f"{state.bin_dir}/kubectl",
                "--kubeconfig",
                str(state.kubeconfig),
                "wait",
                "--for=condition=Established",
                "--timeout=30s",
                "-f",
                str(f),
            ],
            check=True,
            capture_output=True,
        )


def start_controllers(state: State) -> None:
    d, kc = state.dir, str(state.kubeconfig)
    spawn(
        state,
        "kube-controller-manager",
        [
            f"{state.bin_dir}/kube-controller-manager",
            f"--kubeconfig={kc}",
            f"--authentication-kubeconfig={kc}",
            f"--authorization-kubeconfig={kc}",
            "--leader-elect=false",  # no 15 s lease wait after a crash
            f"--controllers={','.join(CONTROLLERS)}",
            "--use-service-account-credentials=false",
            "--bind-address=127.0.0.1",
            f"--secure-port={free_port()}",
            f"--cert-dir={d}/pki/kcm",
            f"--service-account-private-key-file={d}/pki/sa.key",
            "--kube-api-qps=200",
            "--kube-api-burst=400",
            "--concurrent-job-syncs=20",
            "--concurrent-cron-job-syncs=20",
            "--v=1",
        ],
    )
    spawn(
        state,
        "kube-scheduler",
        [
            f"{state.bin_dir}/kube-scheduler",
            f"--kubeconfig={kc}",
            f"--authentication-kubeconfig={kc}",
            f"--authorization-kubeconfig={kc}",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            f"--secure-port={free_port()}",
            f"--cert-dir={d}/pki/scheduler",
            "--kube-api-qps=200",
            "--kube-api-burst=400",
            "--v=1",
        ],
    )
    spawn(
        state,
        "kwok",
        [
            f"{state.bin_dir}/kwok",
            f"--kubeconfig={kc}",
            "--manage-all-nodes=true",
            f"--config={d}/stages.yaml",
            "--cidr=10.244.0.0/16",
        ],
    )


def nodes_ready(state: State) -> bool:
    code, body = api(state, "GET", "/api/v1/nodes")
    if code != 200 or not isinstance(body, dict):
        return False
    ready = 0
    for node in body.get("items", []):
        for cond in node.get("status", {}).get("conditions", []) or []:
            if cond.get("type") == "Ready" and cond.get("status") == "True":
                ready += 1
    return ready >= len(NODE_NAMES)


def default_sa_exists(state: State) -> bool:
    code, _ = api(state, "GET", "/api/v1/namespaces/default/serviceaccounts/default")
    return code == 200


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # a zombie counts as dead
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def healthy(state: State) -> bool:
    return all(alive(p) for p in state.pids.values()) and http_ok(f"{state.server}/readyz", state.admin_token)


def up() -> State:
    existing = State.load()
    if existing and healthy(existing):
        log(f"reusing the running cluster at {existing.server}")
        apply_crds(existing)
        return existing
    if existing:
        down()
    bins = bin_dir()
    missing = [
        b
        for b in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "kubectl")
        if not (bins / b).exists()
    ]
    if missing:
        log(f"building {', '.join(missing)} (first run only; cached in {bins.parent})")
        subprocess.run(["bash", str(HERE / "build.sh")], check=True, stdout=subprocess.DEVNULL)
    t0 = time.monotonic()
    d = cluster_dir()
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    state = State(
        dir=str(d),
        bin_dir=str(bins),
        etcd_port=free_port(),
        apiserver_port=free_port(),
        admin_token=secrets.token_hex(16),
        user_token=secrets.token_hex(16),
        user2_token=secrets.token_hex(16),
    )
    write_files(state)
    state.save()
    try:
        start_etcd(state)
        start_apiserver(state)
        create_nodes(state)
        apply_crds(state)
        start_controllers(state)
        wait("kwok nodes Ready", lambda: nodes_ready(state), 60)
        wait("the default ServiceAccount", lambda: default_sa_exists(state), 60)
    except BaseException:
        down()
        raise
    log(f"ready in {time.monotonic() - t0:.1f}s at {state.server}; logs in {d / 'logs'}")
    return state


def down() -> None:
    state = State.load()
    if state is None:
        return
    demo = Path(state.dir) / "demo-operator.pid"  # `make demo` leaves an operator running
    if demo.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(demo.read_text()), signal.SIGTERM)
        demo.unlink()
    # Stop the clients before the apiserver and etcd, so nothing logs connection errors at length.
    order = ["kwok", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"]
    for name in order + [n for n in state.pids if n not in order]:
        pid = state.pids.get(name)
        if pid and alive(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    (Path(state.dir) / "state.json").unlink(missing_ok=True)
    log("stopped")


def env_lines(state: State) -> str:
    return f"export KUBECONFIG={state.kubeconfig}\nexport PATH={state.bin_dir}:$PATH\n"


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "status"
    if cmd == "up":
        state = up()
        print(env_lines(state), end="")
    elif cmd == "down":
        down()
    elif cmd == "env":
        state = State.load()
        if state is None:
            print("no cluster is running; start one with `make cluster-up`", file=sys.stderr)
            return 1
        print(env_lines(state), end="")
    elif cmd == "status":
        state = State.load()
        ok = bool(state and healthy(state))
        print("running" if ok else "stopped")
        return 0 if ok else 1
    elif cmd == "bin-dir":
        print(bin_dir())
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
