"""Fixtures for tests on the real local control plane (tests/cluster)."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import kubernetes
import pytest
from tests.cluster import localcluster
from tests.helpers import wait_for

REPO = Path(__file__).resolve().parents[2]
CRD_FILE = REPO / "manifests" / "crd" / "chronos.dev_chronosjobs.yaml"


@dataclass
class Cluster:
    kubeconfig: Path
    server: str
    admin_token: str
    user_token: str
    user2_token: str
    bin_dir: Path
    dir: Path

    def api_client(self, token: str | None = None) -> kubernetes.client.ApiClient:
        """A client as the admin, or as the owner of `token`."""
        config = kubernetes.client.Configuration()
        config.host = self.server
        config.verify_ssl = False
        config.api_key = {"authorization": f"Bearer {token or self.admin_token}"}
        return kubernetes.client.ApiClient(config)

    def kubectl(
        self, *args: str, check: bool = True, kubeconfig: Path | None = None, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(self.bin_dir / "kubectl"), "--kubeconfig", str(kubeconfig or self.kubeconfig), *args],
            check=False,
            capture_output=True,
            text=True,
            input=input,
            timeout=120,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
        return done

    def env(self) -> dict[str, str]:
        """The environment for a subprocess that should talk to this cluster."""
        return {
            **os.environ,
            "KUBECONFIG": str(self.kubeconfig),
            "PATH": f"{self.bin_dir}:{os.environ.get('PATH', '')}",
        }


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    """The local control plane: reused when one is already up, else started and stopped again."""
    started = localcluster.State.load() is None or not localcluster.healthy(localcluster.State.load())  # type: ignore[arg-type]
    state = localcluster.up()
    yield Cluster(
        kubeconfig=state.kubeconfig,
        server=state.server,
        admin_token=state.admin_token,
        user_token=state.user_token,
        user2_token=state.user2_token,
        bin_dir=Path(state.bin_dir),
        dir=Path(state.dir),
    )
    if started and not os.environ.get("CHRONOS_KEEP_CLUSTER"):
        localcluster.down()


@pytest.fixture(scope="session")
def crd(cluster: Cluster) -> Path:
    """The ChronosJob CRD, applied and Established."""
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(CRD_FILE))
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", "-f", str(CRD_FILE))
    return CRD_FILE


@pytest.fixture
def namespace(cluster: Cluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace for one test, with its default ServiceAccount; deleted afterwards."""
    base = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower())[:40].strip("-")
    name = f"t-{base}-{secrets.token_hex(3)}"
    core = kubernetes.client.CoreV1Api(cluster.api_client())
    core.create_namespace({"metadata": {"name": name, "labels": {"chronos.test/suite": "integration"}}})

    def default_sa() -> bool:
        try:
            core.read_namespaced_service_account("default", name, _request_timeout=5)
        except kubernetes.client.ApiException as e:
            if e.status == 404:
                return False
            raise
        return True

    wait_for(
        default_sa,
        timeout=30,
        message=f"the default ServiceAccount in {name}",
    )
    yield name
    try:
        core.delete_namespace(name, propagation_policy="Background", _request_timeout=10)
    except kubernetes.client.ApiException as e:
        if e.status != 404:
            raise


class OperatorProcess:
    """`chronos-operator` as a real subprocess, so tests can stop, SIGKILL and restart it."""

    def __init__(self, cluster: Cluster, namespaces: list[str], log_path: Path, env: dict[str, str]) -> None:
        self.cluster = cluster
        self.namespaces = namespaces
        self.log_path = log_path
        self.extra_env = env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> OperatorProcess:
        env = {
            **self.cluster.env(),
            "CHRONOS_OPERATOR_NAMESPACES": ",".join(self.namespaces),
            "CHRONOS_OPERATOR_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            "CHRONOS_OPERATOR_API_PORT": "0",  # the REST API on a free port, unless a test picks one
            "CHRONOS_OPERATOR_METRICS_PORT": "0",  # likewise metrics and probes
            **self.extra_env,
        }
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen(
            [str(REPO / ".venv" / "bin" / "chronos-operator")], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def port(self, what: str = "REST API", timeout: float = 60) -> int:
        """The port this run of the operator serves `what` ("REST API" or "metrics and probes")
        on, from its log (tests start it on port 0)."""
        pattern = re.compile(rf"serving (?:the )?{re.escape(what)} on [^:\s]+:(\d+)")

        def found() -> int | None:
            ports = pattern.findall(self.log())
            return int(ports[-1]) if ports else None

        return int(wait_for(found, timeout=timeout, message=f"the operator to serve {what}"))


@pytest.fixture
def operator_factory(cluster: Cluster, crd: Path, tmp_path: Path) -> Iterator[Callable[..., OperatorProcess]]:
    """Starts operators watching the given namespaces; all are stopped after the test."""
    started: list[OperatorProcess] = []

    def start(*namespaces: str, **env: str) -> OperatorProcess:
        op = OperatorProcess(
            cluster, list(namespaces), tmp_path / f"operator-{len(started)}.log", env
        ).start()
        started.append(op)
        return op

    yield start
    for op in started:
        op.stop()


@pytest.fixture
def operator(operator_factory: Callable[..., OperatorProcess], namespace: str) -> OperatorProcess:
    """One operator watching the test's namespace."""
    return operator_factory(namespace)
