"""The local control plane as the benchmarks use it: clients, namespaces, bulk creation and
clean-up (tests/cluster/localcluster.py starts it: `make cluster-up`)."""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import kubernetes
import urllib3
from tests.cluster import localcluster

REPO = Path(__file__).resolve().parents[1]
CRD_FILE = REPO / "manifests" / "crd" / "chronos.dev_chronosjobs.yaml"
GROUP, VERSION, PLURAL = "chronos.dev", "v1alpha1", "chronosjobs"
urllib3.disable_warnings()


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def whole_second_after(seconds: float) -> datetime:
    return (datetime.now(UTC) + timedelta(seconds=seconds + 1)).replace(microsecond=0)


@dataclass
class Cluster:
    server: str
    token: str
    kubeconfig: Path
    bin_dir: Path
    pids: dict[str, int]

    @classmethod
    def current(cls) -> Cluster:
        state = localcluster.State.load()
        if state is None or not localcluster.healthy(state):
            raise SystemExit("no local control plane is running: `make cluster-up` first")
        return cls(state.server, state.admin_token, state.kubeconfig, Path(state.bin_dir), dict(state.pids))

    def client(self, pool: int = 32) -> kubernetes.client.ApiClient:
        config = kubernetes.client.Configuration()
        config.host = self.server
        config.verify_ssl = False
        config.api_key = {"authorization": f"Bearer {self.token}"}
        config.connection_pool_maxsize = pool
        return kubernetes.client.ApiClient(config)

    def kubectl(self, *args: str) -> str:
        done = subprocess.run(
            [str(self.bin_dir / "kubectl"), "--kubeconfig", str(self.kubeconfig), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def version(self) -> str:
        info = kubernetes.client.VersionApi(self.client()).get_code()
        return str(info.git_version)

    def apply_crd(self) -> None:
        self.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(CRD_FILE))
        self.kubectl("wait", "--for=condition=Established", "--timeout=60s", "-f", str(CRD_FILE))

    # --- namespaces ---------------------------------------------------------------------------

    def create_namespace(self, prefix: str) -> str:
        name = f"bench-{prefix}-{secrets.token_hex(2)}"
        core = kubernetes.client.CoreV1Api(self.client())
        core.create_namespace({"metadata": {"name": name, "labels": {"chronos.bench/run": "true"}}})
        wait(lambda: _has_default_sa(core, name), 60, f"the default ServiceAccount in {name}")
        return name

    def delete_namespaces(self, names: Iterable[str], timeout: float = 600) -> float:
        """Deletes the namespaces and waits until they are gone, so what they held (thousands of
        Jobs and pods) is not still being collected during the next scenario. Returns seconds."""
        core = kubernetes.client.CoreV1Api(self.client())
        names = list(names)
        started = time.monotonic()
        for name in names:
            try:
                core.delete_namespace(name, propagation_policy="Background")
            except kubernetes.client.ApiException as e:
                if e.status != 404:
                    raise

        def gone() -> bool:
            existing = {n.metadata.name for n in core.list_namespace().items}
            return not existing.intersection(names)

        wait(gone, timeout, f"namespaces {names} to be deleted", interval=2)
        return round(time.monotonic() - started, 1)

    # --- objects ------------------------------------------------------------------------------

    def create_all(self, make: Callable[[Any], None], items: Iterable[Any], workers: int = 16) -> float:
        """Runs `make` for every item on a thread pool; returns the seconds it took."""
        started = time.monotonic()
        with ThreadPoolExecutor(workers) as pool:
            for f in [pool.submit(make, item) for item in items]:
                f.result()
        return round(time.monotonic() - started, 2)

    def create_chronosjobs(self, namespace: str, specs: Mapping[str, Mapping[str, Any]]) -> float:
        api = kubernetes.client.CustomObjectsApi(self.client())

        def make(name: str) -> None:
            body = {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": "ChronosJob",
                "metadata": {"name": name},
                "spec": dict(specs[name]),
            }
            retrying(lambda: api.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body))

        return self.create_all(make, list(specs))

    def create_cronjobs(self, namespace: str, names: Iterable[str], schedule: str) -> float:
        batch = kubernetes.client.BatchV1Api(self.client())

        def make(name: str) -> None:
            body = {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": {"name": name},
                "spec": {
                    "schedule": schedule,
                    "concurrencyPolicy": "Allow",
                    "jobTemplate": {
                        "spec": {
                            "backoffLimit": 0,
                            "template": {
                                "spec": {
                                    "restartPolicy": "Never",
                                    "containers": [
                                        {"name": "main", "image": "busybox:1.36", "command": ["true"]}
                                    ],
                                }
                            },
                        }
                    },
                },
            }
            retrying(lambda: batch.create_namespaced_cron_job(namespace, body))

        return self.create_all(make, list(names))

    def delete_chronosjobs(self, namespace: str) -> None:
        kubernetes.client.CustomObjectsApi(self.client()).delete_collection_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL
        )

    def count_chronosjobs(self, namespace: str) -> int:
        api = kubernetes.client.CustomObjectsApi(self.client())
        return len(api.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL)["items"])

    def statuses(self, namespace: str) -> dict[str, dict[str, Any]]:
        api = kubernetes.client.CustomObjectsApi(self.client())
        items = api.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL)["items"]
        return {i["metadata"]["name"]: dict(i.get("status") or {}) for i in items}


def retrying(call: Callable[[], Any], attempts: int = 5) -> Any:
    """Create calls on a saturated API server can time out or get 429/5xx; 409 means it is there."""
    for attempt in range(attempts):
        try:
            return call()
        except kubernetes.client.ApiException as e:
            if e.status == 409:
                return None
            if e.status not in (429, 500, 502, 503, 504) or attempt == attempts - 1:
                raise
        except urllib3.exceptions.HTTPError:
            if attempt == attempts - 1:
                raise
        time.sleep(0.5 * (attempt + 1))
    return None


def _has_default_sa(core: kubernetes.client.CoreV1Api, namespace: str) -> bool:
    try:
        core.read_namespaced_service_account("default", namespace)
    except kubernetes.client.ApiException as e:
        if e.status == 404:
            return False
        raise
    return True


def wait(predicate: Callable[[], Any], timeout: float, message: str, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {message}")
        time.sleep(interval)


def sleep_until(t: datetime) -> None:
    delay = (t - datetime.now(UTC)).total_seconds()
    if delay > 0:
        time.sleep(delay)
