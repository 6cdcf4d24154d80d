"""The Chronos REST API of the real operator process on the real control plane (contract §8):
every call is checked on the ChronosJobs and Jobs it causes."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import chronos  # chronos-python 1.2.1, the real Chronos client (a dev dependency)
import kubernetes
import pytest
import requests
from tests.helpers import wait_for
from tests.integration.conftest import REPO, Cluster, OperatorProcess
from tests.integration.kube_helpers import (
    GROUP,
    PLURAL,
    VERSION,
    finished,
    get_chronosjob,
    runs_of,
    status_of,
)

pytestmark = pytest.mark.integration
NEVER = "R/2099-01-01T00:00:00Z/P1D"
SLOW = {"metadata": {"annotations": {"chronos.test/duration": "60s"}}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Rest:
    def __init__(self, base: str, operator: OperatorProcess) -> None:
        self.base = base
        self.operator = operator

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 20)
        return requests.request(method, self.base + path, **kwargs)


def start_rest(operator_factory: Callable[..., OperatorProcess], *namespaces: str, **env: str) -> Rest:
    port = free_port()
    env = {"CHRONOS_OPERATOR_API_NAMESPACE": namespaces[0], **env}
    operator = operator_factory(
        *namespaces, CHRONOS_OPERATOR_API_PORT=str(port), CHRONOS_OPERATOR_API_HOST="127.0.0.1", **env
    )
    rest = Rest(f"http://127.0.0.1:{port}", operator)

    def pong() -> bool:
        assert operator.running, operator.log()[-3000:]
        try:
            return rest("GET", "/ping", timeout=2).text == "pong"
        except requests.ConnectionError:
            return False

    wait_for(pong, timeout=60, message="the REST API's /ping")
    return rest


@pytest.fixture
def rest(operator_factory: Callable[..., OperatorProcess], namespace: str) -> Rest:
    return start_rest(operator_factory, namespace, CHRONOS_OPERATOR_API_AUTH="none")


def chronosjob_names(cluster: Cluster, namespace: str) -> list[str]:
    api = kubernetes.client.CustomObjectsApi(cluster.api_client())
    items = api.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL)["items"]
    return sorted(i["metadata"]["name"] for i in items)


def names_listed(rest: Rest, path: str = "/scheduler/jobs") -> list[str]:
    r = rest("GET", path)
    assert r.status_code == 200, r.text
    return sorted(j["name"] for j in r.json())


def test_rest_api_curl_flow(cluster: Cluster, namespace: str, rest: Rest) -> None:
    assert rest("GET", "/scheduler/jobs").json() == []

    # POST iso8601: Chronos' SAMPLE_JOB1 becomes ChronosJob sample-job1, written by the API's manager.
    sample = json.loads((REPO / "examples/chronos-jobs/sample-job1.json").read_text())
    r = rest("POST", "/scheduler/iso8601", json=sample)
    assert r.status_code == 204, r.text
    obj = get_chronosjob(cluster, namespace, "sample-job1")
    assert obj["spec"]["name"] == "SAMPLE_JOB1"
    assert obj["spec"]["schedule"] == sample["schedule"]
    assert "chronos-rest-api" in [m["manager"] for m in obj["metadata"]["managedFields"]]
    assert names_listed(rest) == ["SAMPLE_JOB1"]
    job = rest("GET", "/v1/scheduler/job/SAMPLE_JOB1").json()
    assert job["epsilon"] == "PT15M" and list(job)[:2] == ["name", "command"]

    # POST dependency.
    r = rest(
        "POST",
        "/scheduler/dependency",
        json={"name": "child_job", "parents": ["SAMPLE_JOB1"], "command": "echo child", "owner": ""},
    )
    assert r.status_code == 204, r.text
    assert get_chronosjob(cluster, namespace, "child-job")["spec"]["parents"] == ["SAMPLE_JOB1"]

    # PUT job/<name>: a manual run Job (SAMPLE_JOB1's repetitions are all in the past; manual
    # runs use none); its success releases the child.
    r = rest("PUT", "/scheduler/job/SAMPLE_JOB1")
    assert r.status_code == 204, r.text
    manual = wait_for(lambda: runs_of(cluster, namespace, "sample-job1"), timeout=30, message="manual run")
    assert manual[0].metadata.labels["chronos.dev/trigger"] == "manual"
    wait_for(lambda: runs_of(cluster, namespace, "child-job"), timeout=60, message="the child's run")

    # GET graph/dot and graph/csv.
    dot = rest("GET", "/scheduler/graph/dot")
    assert dot.status_code == 200 and dot.headers["Content-Type"].startswith("text/plain")
    assert 'label="SAMPLE_JOB1"' in dot.text and 'label="child_job"' in dot.text and "1 -> 2;" in dot.text
    csv = rest("GET", "/scheduler/graph/csv").text.splitlines()
    assert "link,SAMPLE_JOB1,child_job" in csv

    # PUT job/<name>?arguments= then DELETE task/kill/<name>.
    r = rest(
        "POST",
        "/scheduler/iso8601",
        json={"name": "long_job", "schedule": NEVER, "command": "echo", "podTemplate": SLOW},
    )
    assert r.status_code == 204, r.text
    wait_for(lambda: "long_job" in names_listed(rest), timeout=10, message="long_job listed")
    assert rest("PUT", "/scheduler/job/long_job", params={"arguments": "--day 1"}).status_code == 204
    run = wait_for(lambda: runs_of(cluster, namespace, "long-job"), timeout=30, message="long run")[0]
    assert run.metadata.annotations["chronos.dev/arguments"] == "--day 1"
    assert rest("DELETE", "/scheduler/task/kill/long_job").status_code == 204
    wait_for(
        lambda: (
            (h := status_of(cluster, namespace, "long-job").get("history")) and h[0]["outcome"] == "Killed"
        ),
        timeout=40,
        message="the run killed",
    )

    # DELETE job/<name>.
    assert rest("DELETE", "/scheduler/job/child_job").status_code == 204
    wait_for(
        lambda: "child-job" not in chronosjob_names(cluster, namespace), timeout=20, message="child deleted"
    )
    wait_for(lambda: "child_job" not in names_listed(rest), timeout=20, message="child gone from the API")


def test_rest_api_task_status_completes_an_async_run(cluster: Cluster, namespace: str, rest: Rest) -> None:
    r = rest(
        "POST",
        "/v1/scheduler/iso8601",
        json={"name": "async_job", "schedule": NEVER, "command": "echo", "async": True},
    )
    assert r.status_code == 204, r.text
    wait_for(lambda: "async_job" in names_listed(rest), timeout=10, message="async_job listed")
    assert rest("PUT", "/scheduler/job/async_job").status_code == 204
    batch = kubernetes.client.BatchV1Api(cluster.api_client())
    job = wait_for(lambda: runs_of(cluster, namespace, "async-job"), timeout=30, message="async run")[0]
    wait_for(
        lambda: finished(batch.read_namespaced_job(job.metadata.name, namespace)),
        timeout=40,
        message="pod ends",
    )
    time.sleep(1)
    assert status_of(cluster, namespace, "async-job")["active"]  # not reported yet
    task_id = job.metadata.annotations["chronos.dev/task-id"]
    wait_for(
        lambda: any(
            t["taskId"] == task_id
            for t in rest("GET", "/scheduler/job/stat/async_job").json()["taskStatHistory"]
        ),
        timeout=10,
        message="the run in the API's view",
    )
    r = rest("PUT", f"/scheduler/task/{quote(task_id, safe='')}", json={"statusCode": 0})
    assert r.status_code == 204, r.text
    wait_for(
        lambda: status_of(cluster, namespace, "async-job").get("successCount") == 1,
        timeout=30,
        message="the async run counted as a success",
    )
    annotations = batch.read_namespaced_job(job.metadata.name, namespace).metadata.annotations
    assert annotations["chronos.dev/status-code"] == "0"
    r = rest("PUT", "/scheduler/task/ct%3A1%3A0%3Anothing%3A", json={"statusCode": 0})
    assert r.status_code == 400 and "ct:1:0:nothing:" in r.json()["message"]


def test_rest_api_errors_name_the_problem_and_write_nothing(
    cluster: Cluster, namespace: str, rest: Rest
) -> None:
    for name, parents in (("A_job", None), ("B_job", ["A_job"])):
        body: dict[str, Any] = {"name": name, "command": "true"}
        body |= {"parents": parents} if parents else {"schedule": NEVER}
        assert rest("POST", "/scheduler/iso8601", json=body).status_code == 204
    before = get_chronosjob(cluster, namespace, "a-job")["spec"]

    def refused(method: str, path: str, words: list[str], **kwargs: Any) -> None:
        r = rest(method, path, **kwargs)
        assert r.status_code == 400, (path, r.status_code, r.text)
        body = r.json()
        assert body["status"] == "Bad Request"
        for word in words:
            assert word in body["message"], body["message"]

    json_headers = {"Content-Type": "application/json"}
    refused("POST", "/scheduler/iso8601", ["malformed JSON"], data='{"name": "x",', headers=json_headers)
    refused(
        "POST",
        "/scheduler/iso8601",
        ["retries"],
        json={"name": "typed_wrong", "schedule": NEVER, "retries": "many"},
    )
    refused("GET", "/scheduler/job/no_such_job", ["no_such_job"])
    refused("PUT", "/scheduler/job/no_such_job", ["no_such_job"])
    refused(
        "POST",
        "/scheduler/dependency",
        ["does not have all parents defined", "ghost"],
        json={"name": "orphan", "parents": ["A_job", "ghost"], "command": "true"},
    )
    refused(
        "POST",
        "/scheduler/dependency",
        ["cycle", "A_job", "B_job"],
        json={"name": "A_job", "parents": ["B_job"], "command": "true"},
    )
    refused("POST", "/scheduler/dependency", ["parents"], json={"name": "empty", "parents": []})
    assert chronosjob_names(cluster, namespace) == ["a-job", "b-job"]
    assert get_chronosjob(cluster, namespace, "a-job")["spec"] == before


def grant_read(cluster: Cluster, namespace: str, user: str) -> None:
    rbac = kubernetes.client.RbacAuthorizationV1Api(cluster.api_client())
    rbac.create_namespaced_role(
        namespace,
        {
            "metadata": {"name": "chronosjobs-reader"},
            "rules": [{"apiGroups": ["chronos.dev"], "resources": ["chronosjobs"], "verbs": ["get", "list"]}],
        },
    )
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": f"{user}-chronosjobs-reader"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "chronosjobs-reader",
            },
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
        },
    )


@pytest.fixture
def other_namespace(cluster: Cluster) -> Iterator[str]:
    core = kubernetes.client.CoreV1Api(cluster.api_client())
    name = f"t-rest-b-{secrets.token_hex(3)}"
    core.create_namespace({"metadata": {"name": name, "labels": {"chronos.test/suite": "integration"}}})
    yield name
    core.delete_namespace(name, propagation_policy="Background", _request_timeout=10)


def test_rest_api_kubernetes_auth_follows_rbac(
    cluster: Cluster,
    namespace: str,
    other_namespace: str,
    operator_factory: Callable[..., OperatorProcess],
) -> None:
    grant_read(cluster, namespace, "alice")
    rest = start_rest(operator_factory, namespace, other_namespace, CHRONOS_OPERATOR_API_AUTH="kubernetes")
    alice = {"Authorization": f"Bearer {cluster.user_token}"}
    r = rest("GET", f"/namespaces/{namespace}/scheduler/jobs", headers=alice)
    assert r.status_code == 200, r.text
    r = rest("GET", f"/namespaces/{other_namespace}/scheduler/jobs", headers=alice)
    assert r.status_code == 403, r.text
    assert "alice" in r.json()["message"] and other_namespace in r.json()["message"]
    r = rest("POST", f"/namespaces/{namespace}/scheduler/iso8601", headers=alice, json={"name": "x"})
    assert r.status_code == 403, r.text  # reading is not writing
    r = rest("GET", "/scheduler/jobs")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    r = rest("GET", "/scheduler/jobs", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    assert chronosjob_names(cluster, namespace) == []


def test_rest_api_basic_auth_wrong_password_is_401(
    namespace: str, operator_factory: Callable[..., OperatorProcess], tmp_path: Path
) -> None:
    users = tmp_path / "users"
    users.write_text(f"ops:right-password:{namespace}\n")
    rest = start_rest(
        operator_factory,
        namespace,
        CHRONOS_OPERATOR_API_AUTH="basic",
        CHRONOS_OPERATOR_API_USERS_FILE=str(users),
    )
    r = rest("GET", "/scheduler/jobs", auth=("ops", "wrong-password"))
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Basic")
    assert rest("GET", "/scheduler/jobs", auth=("ops", "right-password")).status_code == 200
    assert (
        rest("GET", "/namespaces/default/scheduler/jobs", auth=("ops", "right-password")).status_code == 403
    )


def test_unmodified_chronos_python_client(
    cluster: Cluster, namespace: str, operator_factory: Callable[..., OperatorProcess]
) -> None:
    """chronos-python 1.2.1, as released: list, add, update, search, run, stats, graph, delete.
    Its server may carry the namespace prefix (`host:port/namespaces/<ns>`)."""

    rest = start_rest(
        operator_factory,
        namespace,
        CHRONOS_OPERATOR_API_AUTH="none",
        CHRONOS_OPERATOR_API_NAMESPACE="default",  # the namespace comes from the server's path
    )
    server = rest.base.removeprefix("http://") + f"/namespaces/{namespace}"
    client = chronos.connect([server])
    assert client.list() == []
    job = {
        "name": "py_client_job",
        "command": "echo hello",
        "owner": "ops@example.com",
        "disabled": False,
        "schedule": NEVER,
    }
    client.add(job)
    assert get_chronosjob(cluster, namespace, "py-client-job")["spec"]["command"] == "echo hello"
    client.add(
        {"name": "py_child", "command": "true", "owner": "", "disabled": False, "parents": ["py_client_job"]}
    )
    client.update({**job, "command": "echo updated"})
    assert get_chronosjob(cluster, namespace, "py-client-job")["spec"]["command"] == "echo updated"
    assert [j["name"] for j in client.list()] == ["py_child", "py_client_job"]
    assert [j["name"] for j in client.search(name="client")] == ["py_client_job"]
    assert [j["name"] for j in client.search(command="updated")] == ["py_client_job"]
    client.run("py_client_job")
    wait_for(lambda: runs_of(cluster, namespace, "py-client-job"), timeout=30, message="the client's run")
    wait_for(
        lambda: status_of(cluster, namespace, "py-client-job").get("successCount") == 1,
        timeout=60,
        message="the run's success",
    )
    stat = client.job_stat("py_client_job")
    assert stat["histogram"]["count"] == 1 and stat["taskStatHistory"][0]["status"] == "Success"
    assert [row["jobNameLabel"] for row in client.scheduler_stat_99th()] == ["py_client_job"]
    assert "link,py_client_job,py_child" in client.scheduler_graph()
    assert client.metrics()["gauges"]["jobs.count"]["value"] >= 2
    client.delete_tasks("py_client_job")
    client.delete("py_child")
    wait_for(
        lambda: chronosjob_names(cluster, namespace) == ["py-client-job"],
        timeout=20,
        message="py_child deleted",
    )
    with pytest.raises(chronos.ChronosAPIError):
        client.run("no_such_job")


def test_migration_imports_every_job_of_a_live_chronos_api(
    cluster: Cluster, namespace: str, rest: Rest, tmp_path: Path
) -> None:
    """The operator's own API speaks Chronos, so it stands in for the live Chronos a team leaves:
    its jobs are imported with `kubectl-chronos import --from` and applied to another namespace."""
    for path in sorted((REPO / "examples/chronos-jobs").glob("*.json")):
        job = json.loads(path.read_text())
        kind = "dependency" if "parents" in job else "iso8601"
        if kind == "dependency":
            continue  # added after its parent below
        assert rest("POST", f"/scheduler/{kind}", json=job).status_code == 204
    summary = json.loads((REPO / "examples/chronos-jobs/hostings-earnings-summary.json").read_text())
    assert rest("POST", "/scheduler/dependency", json=summary).status_code == 204
    wait_for(lambda: len(names_listed(rest)) == 6, timeout=30, message="six jobs listed")

    done = subprocess.run(
        [
            str(REPO / ".venv/bin/kubectl-chronos"),
            "import",
            "--from",
            rest.base,
            "--output-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(list(tmp_path.glob("*.yaml"))) == 6
    target = f"{namespace}-copy"
    cluster.kubectl("create", "namespace", target)
    try:
        cluster.kubectl("apply", "-n", target, "-f", str(tmp_path))
        assert sorted(chronosjob_names(cluster, target)) == sorted(chronosjob_names(cluster, namespace))
    finally:
        cluster.kubectl("delete", "namespace", target, "--wait=false")
