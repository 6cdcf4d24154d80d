"""The Helm chart and the plain install on the real control plane.

The operator runs here as a plain process, with the command and environment of the chart's
Deployment and the token of the chart's ServiceAccount (not the admin's): kwok never runs the
Deployment's pod, and this is the same entry point the image starts. That the core scenarios
pass with that token proves the chart's RBAC is enough; the refusals prove it is not more.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import yaml
from tests.helpers import wait_for
from tests.integration.chart_helpers import (
    CHART,
    container_env,
    find,
    free_port,
    helm,
    render,
    set_args,
    write_token_kubeconfig,
)
from tests.integration.conftest import REPO, Cluster
from tests.integration.kube_helpers import (
    GROUP,
    PLURAL,
    VERSION,
    finished,
    get_chronosjob,
    iso,
    runs_of,
    soon,
    status_of,
)

pytestmark = pytest.mark.integration
CRD_NAME = "chronosjobs.chronos.dev"
NEVER = "R/2099-01-01T00:00:00Z/P1D"


@dataclass
class Release:
    name: str
    namespace: str  # where the operator's Deployment, Services and ServiceAccount live
    watched: str  # the one namespace it schedules
    other: str  # a namespace it does not own
    values: dict[str, Any]

    @property
    def fullname(self) -> str:
        return f"{self.name}-chronos-operator"


def create_namespace(cluster: Cluster, name: str) -> None:
    kubernetes.client.CoreV1Api(cluster.api_client()).create_namespace({"metadata": {"name": name}})


def delete_namespace(cluster: Cluster, name: str) -> None:
    try:
        kubernetes.client.CoreV1Api(cluster.api_client()).delete_namespace(
            name, propagation_policy="Background"
        )
    except kubernetes.client.ApiException as e:
        if e.status != 404:
            raise


def set_crd_owner(cluster: Cluster, release: str | None, namespace: str = "") -> None:
    """Lets Helm adopt the CRD the test cluster applied at start-up (or gives it back), the way
    a user moving from `kubectl apply -f manifests/crd/` to the chart would."""
    if release:
        labels = ["app.kubernetes.io/managed-by=Helm"]
        notes = [f"meta.helm.sh/release-name={release}", f"meta.helm.sh/release-namespace={namespace}"]
    else:
        labels = ["app.kubernetes.io/managed-by-"]
        notes = ["meta.helm.sh/release-name-", "meta.helm.sh/release-namespace-", "helm.sh/resource-policy-"]
    cluster.kubectl("label", "crd", CRD_NAME, "--overwrite", *labels)
    cluster.kubectl("annotate", "crd", CRD_NAME, "--overwrite", *notes)


@pytest.fixture(scope="module")
def release(cluster: Cluster, crd: Path) -> Iterator[Release]:
    """The chart installed with Helm: two replicas (kopf peering) owning one namespace."""
    suffix = secrets.token_hex(3)
    rel = Release(
        name=f"chart-{suffix}",
        namespace=f"chart-{suffix}-system",
        watched=f"chart-{suffix}-jobs",
        other=f"chart-{suffix}-other",
        values={},
    )
    rel.values = {"watchNamespaces": [rel.watched], "replicaCount": 2}
    for ns in (rel.namespace, rel.watched, rel.other):
        create_namespace(cluster, ns)
    set_crd_owner(cluster, rel.name, rel.namespace)
    try:
        helm(cluster, "install", rel.name, str(CHART), "--namespace", rel.namespace, *set_args(rel.values))
        wait_for_admission_policy(cluster, rel.watched)
        yield rel
    finally:
        helm(cluster, "uninstall", rel.name, "--namespace", rel.namespace, check=False)
        set_crd_owner(cluster, None)
        for ns in (rel.namespace, rel.watched, rel.other):
            delete_namespace(cluster, ns)


def wait_for_admission_policy(cluster: Cluster, namespace: str) -> None:
    """The API server loads a new admission policy a moment after it is created: waits until a
    user who may create ChronosJobs but not Jobs is refused (a dry run, so nothing is created)."""
    cluster.kubectl("create", "role", "vap-probe", "--verb=create", f"--resource={CRD_NAME}", "-n", namespace)
    cluster.kubectl(
        "create", "rolebinding", "vap-probe", "--role=vap-probe", "--user=vap-probe", "-n", namespace
    )
    probe = yaml.safe_dump(
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "ChronosJob",
            "metadata": {"name": "vap-probe", "namespace": namespace},
            "spec": {"schedule": NEVER, "command": "true"},
        }
    )

    def refused() -> bool:
        done = cluster.kubectl(
            "create", "--dry-run=server", "--as=vap-probe", "-f", "-", input=probe, check=False
        )
        return "ValidatingAdmissionPolicy" in done.stderr

    try:
        wait_for(refused, timeout=30, interval=0.5, message="the admission policy to take effect")
    finally:
        cluster.kubectl("delete", "rolebinding,role", "vap-probe", "-n", namespace, check=False)


class ChartOperator:
    """`chronos-operator` started exactly as the chart's Deployment starts it, with the chart's
    ServiceAccount token instead of the admin's."""

    def __init__(self, cluster: Cluster, rel: Release, values: dict[str, Any], tmp: Path) -> None:
        self.api_port, metrics_port = free_port(), free_port()
        values = {**values, "service": {"apiPort": self.api_port, "metricsPort": metrics_port}}
        objects = render(cluster, rel.name, rel.namespace, values)
        deployment = find(objects, "Deployment", rel.fullname)
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        # The image's ENTRYPOINT (Dockerfile) is this console script; the Deployment names it.
        assert container["command"] == ["chronos-operator"]
        argv = [str(REPO / ".venv" / "bin" / container["command"][0]), *container.get("args", [])]
        token = cluster.kubectl(
            "create", "token", pod["serviceAccountName"], "-n", rel.namespace, "--duration=1h"
        ).stdout.strip()
        self.token = token
        kubeconfig = write_token_kubeconfig(cluster, token, tmp / f"{rel.name}-sa.kubeconfig")
        base = {k: v for k, v in os.environ.items() if not k.startswith("CHRONOS_OPERATOR_")}
        self.env = container_env(container, pod_ip="127.0.0.1")
        self.log_path = tmp / f"{rel.name}-operator.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                argv,
                env={**base, **self.env, "KUBECONFIG": str(kubeconfig), "PYTHONUNBUFFERED": "1"},
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=tmp,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def chart_operator(cluster: Cluster, tmp_path: Path) -> Iterator[Callable[..., ChartOperator]]:
    started: list[ChartOperator] = []

    def start(rel: Release, values: dict[str, Any] | None = None) -> ChartOperator:
        op = ChartOperator(cluster, rel, rel.values if values is None else values, tmp_path)
        started.append(op)
        return op

    yield start
    for op in started:
        op.stop()


def create_job(cluster: Cluster, namespace: str, name: str, spec: dict[str, Any], **meta: Any) -> None:
    body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "ChronosJob", "metadata": {"name": name, **meta}}
    kubernetes.client.CustomObjectsApi(cluster.api_client()).create_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, {**body, "spec": spec}
    )


def list_chronosjobs(cluster: Cluster, namespace: str) -> list[dict[str, Any]]:
    api = kubernetes.client.CustomObjectsApi(cluster.api_client())
    return list(api.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL)["items"])


def api_status(token: str, url: str, method: str = "GET", body: dict[str, Any] | None = None) -> int:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def assert_no_forbidden_calls(op: ChartOperator) -> None:
    """The operator never made a call its RBAC refuses (kopf logs those and retries)."""
    refused = [
        line
        for line in op.log().splitlines()
        if "403" in line or "orbidden" in line or "Not enough permissions" in line
    ]
    assert not refused, "\n".join(refused)


# --- lint and server-side validation -----------------------------------------------------------


def test_chart_passes_helm_lint_strict_with_defaults_and_every_option(cluster: Cluster) -> None:
    helm(cluster, "lint", "--strict", str(CHART))
    helm(cluster, "lint", "--strict", str(CHART), "-f", str(CHART / "ci" / "all-options-values.yaml"))


def test_values_outside_the_schema_are_refused(cluster: Cluster) -> None:
    out = helm(cluster, "template", "x", str(CHART), "--set", "api.auth.mode=open", check=False)
    assert "value must be one of 'kubernetes', 'basic', 'none'" in out
    out = helm(cluster, "template", "x", str(CHART), "--set", "settings.unknownSetting=1", check=False)
    assert "additional properties 'unknownSetting' not allowed" in out


def dry_run(cluster: Cluster, documents: list[dict[str, Any]]) -> str:
    done = cluster.kubectl(
        "apply",
        "--server-side",
        "--force-conflicts",
        "--field-manager=chart-test",
        "--dry-run=server",
        "-f",
        "-",
        input=yaml.safe_dump_all(documents),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(
    "values",
    [
        pytest.param({}, id="defaults"),
        pytest.param({"watchNamespaces": ["<watched>"]}, id="watched-namespaces"),
        pytest.param({"replicaCount": 2}, id="two-replicas"),
        pytest.param({"watchNamespaces": ["<watched>"], "replicaCount": 3}, id="namespaced-peering"),
        pytest.param(None, id="all-options"),
    ],
)
def test_rendered_chart_is_accepted_by_the_apiserver(
    cluster: Cluster, release: Release, values: dict[str, Any] | None
) -> None:
    if values is None:
        extra = ["-f", str(CHART / "ci" / "all-options-values.yaml")]
        values = {"watchNamespaces": [release.watched, release.other]}
    else:
        extra = []
        values = {k: [release.watched] if k == "watchNamespaces" else v for k, v in values.items()}
    objects = render(cluster, "dry", release.namespace, values, *extra)
    # The test cluster has no Prometheus Operator CRDs: those two kinds are checked for presence.
    monitoring = [o for o in objects if o["apiVersion"].startswith("monitoring.coreos.com/")]
    if extra:
        assert {o["kind"] for o in monitoring} == {"ServiceMonitor", "PrometheusRule"}
    out = dry_run(cluster, [o for o in objects if o not in monitoring])
    assert "deployment.apps/dry-chronos-operator serverside-applied (server dry run)" in out
    assert "validatingadmissionpolicy.admissionregistration.k8s.io/dry-chronos-operator-job-rights" in out


def test_plain_install_is_the_rendered_chart_and_accepted_by_the_apiserver(
    cluster: Cluster, crd: Path
) -> None:
    built = cluster.kubectl("kustomize", str(REPO / "manifests")).stdout
    install = (REPO / "manifests" / "install.yaml").read_text()
    assert [d for d in yaml.safe_load_all(built) if d] and sorted(
        (d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(built) if d
    ) == sorted((d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(install) if d)
    namespace = next(d for d in yaml.safe_load_all(install) if d and d["kind"] == "Namespace")
    created = cluster.kubectl("get", "namespace", namespace["metadata"]["name"], check=False).returncode != 0
    if created:  # a dry run cannot create the namespace its other objects go into
        create_namespace(cluster, namespace["metadata"]["name"])
    try:
        out = dry_run(cluster, [d for d in yaml.safe_load_all(install) if d])
    finally:
        if created:
            delete_namespace(cluster, namespace["metadata"]["name"])
    assert "deployment.apps/chronos-operator serverside-applied (server dry run)" in out


# --- helm install ------------------------------------------------------------------------------


def test_helm_install_creates_every_object(cluster: Cluster, release: Release) -> None:
    api = cluster.api_client()
    core, apps, rbac = (
        kubernetes.client.CoreV1Api(api),
        kubernetes.client.AppsV1Api(api),
        kubernetes.client.RbacAuthorizationV1Api(api),
    )
    admission = kubernetes.client.AdmissionregistrationV1Api(api)
    ext = kubernetes.client.ApiextensionsV1Api(api)
    name, ns = release.fullname, release.namespace

    deployment = apps.read_namespaced_deployment(name, ns)
    assert deployment.spec.replicas == 2
    assert deployment.spec.template.spec.service_account_name == name
    ports = {s.metadata.name: s.spec.ports[0].port for s in core.list_namespaced_service(ns).items}
    assert ports == {f"{name}-api": 8080, f"{name}-metrics": 8081}
    core.read_namespaced_service_account(name, ns)

    assert rbac.read_cluster_role_binding(f"{name}-cluster").subjects[0].name == name
    assert rbac.read_namespaced_role(name, release.watched).rules
    assert rbac.read_namespaced_role_binding(name, release.watched).role_ref.name == name
    assert not rbac.list_namespaced_role(release.other).items  # only the listed namespace
    for suffix, aggregate in (("edit", "aggregate-to-edit"), ("view", "aggregate-to-view")):
        labels = rbac.read_cluster_role(f"{name}-{suffix}").metadata.labels
        assert labels[f"rbac.authorization.k8s.io/{aggregate}"] == "true"

    policy = admission.read_validating_admission_policy(f"{name}-job-rights")
    assert policy.spec.failure_policy == "Fail"
    binding = admission.read_validating_admission_policy_binding(f"{name}-job-rights")
    assert binding.spec.validation_actions == ["Deny"]

    crd = ext.read_custom_resource_definition(CRD_NAME)
    assert crd.metadata.annotations["meta.helm.sh/release-name"] == release.name
    assert crd.metadata.annotations["helm.sh/resource-policy"] == "keep"
    for peering_crd in ("kopfpeerings.kopf.dev", "clusterkopfpeerings.kopf.dev"):
        ext.read_custom_resource_definition(peering_crd)
    kubernetes.client.CustomObjectsApi(api).get_namespaced_custom_object(
        "kopf.dev", "v1", release.watched, "kopfpeerings", name
    )

    # On kwok the test pod "runs" by the stage rules (exit 0 after 1 s) without executing wget:
    # this proves the hook is valid and runs, not that the API answers (that needs a real node).
    out = helm(cluster, "test", release.name, "--namespace", ns, "--timeout", "90s")
    assert f"{name}-test-api" in out and "Succeeded" in out


# --- the operator with the chart's ServiceAccount ----------------------------------------------


def test_operator_with_the_charts_service_account_schedules_and_releases_dependents(
    cluster: Cluster,
    release: Release,
    chart_operator: Callable[..., ChartOperator],
    grant: Callable[..., None],
) -> None:
    ns = release.watched
    op = chart_operator(release)
    assert op.env["CHRONOS_OPERATOR_NAMESPACES"] == ns
    assert op.env["CHRONOS_OPERATOR_PEERING"] == release.fullname
    assert op.env["CHRONOS_OPERATOR_API_ADVERTISE"] == f"127.0.0.1:{op.api_port}"
    assert op.env["CHRONOS_OPERATOR_API_AUTH"] == "kubernetes"
    start = soon(6)
    create_job(cluster, ns, "tick", {"schedule": f"R3/{iso(start)}/PT2S", "command": "true"})
    create_job(cluster, ns, "parent", {"schedule": f"R1/{iso(start)}/PT1M", "command": "true"})
    create_job(cluster, ns, "child", {"parents": ["parent"], "command": "true"})

    wait_for(
        lambda: status_of(cluster, ns, "tick").get("successCount") == 3,
        timeout=60,
        message=f"3 successes of tick; operator log:\n{op.log()[-3000:]}",
    )
    assert len(runs_of(cluster, ns, "tick")) == 3
    wait_for(
        lambda: status_of(cluster, ns, "child").get("successCount") == 1, timeout=60, message="child ran"
    )
    (parent_run,) = runs_of(cluster, ns, "parent")
    (child_run,) = runs_of(cluster, ns, "child")
    assert finished(parent_run)
    parent_done = next(c.last_transition_time for c in parent_run.status.conditions if c.type == "Complete")
    assert child_run.metadata.creation_timestamp >= parent_done

    # The REST API authenticates callers with TokenReview and SubjectAccessReview, and writes
    # ChronosJobs, all under the chart's token: alice (namespace edit) creates and deletes a job.
    grant("alice", cluster_role="edit")  # removed after the test, like every grant
    base = f"http://127.0.0.1:{op.api_port}/namespaces/{ns}/v1/scheduler"
    wait_for(lambda: api_status(cluster.user_token, f"{base}/jobs") == 200, timeout=30, message="API up")
    assert api_status(cluster.user2_token, f"{base}/jobs") == 403
    job = {"name": "from_api", "command": "true", "schedule": NEVER, "owner": "alice@example.com"}
    assert api_status(cluster.user_token, f"{base}/iso8601", "POST", job) == 204
    assert get_chronosjob(cluster, ns, "from-api")["spec"]["name"] == "from_api"
    assert api_status(cluster.user_token, f"{base}/job/from_api", "DELETE") == 204
    wait_for(
        lambda: "from-api" not in {i["metadata"]["name"] for i in list_chronosjobs(cluster, ns)},
        message="the job deleted through the API",
    )

    # kopf peering: the replica registered itself in the namespace's KopfPeering.
    custom = kubernetes.client.CustomObjectsApi(cluster.api_client())
    wait_for(
        lambda: custom.get_namespaced_custom_object(
            "kopf.dev", "v1", ns, "kopfpeerings", release.fullname
        ).get("status"),
        timeout=30,
        message="a peer record in the KopfPeering",
    )
    assert_no_forbidden_calls(op)


def test_charts_service_account_is_refused_what_the_chart_does_not_grant(
    cluster: Cluster, release: Release
) -> None:
    sa = release.fullname
    token = cluster.kubectl("create", "token", sa, "-n", release.namespace, "--duration=10m").stdout.strip()
    api = cluster.api_client(token)
    core, batch = kubernetes.client.CoreV1Api(api), kubernetes.client.BatchV1Api(api)

    batch.list_namespaced_job(release.watched)  # granted: the namespace it owns
    refused: list[tuple[str, Callable[[], Any]]] = [
        ("list Jobs outside watchNamespaces", lambda: batch.list_namespaced_job(release.other)),
        ("list Jobs of all namespaces", batch.list_job_for_all_namespaces),
        (
            "create a Secret",
            lambda: core.create_namespaced_secret(release.watched, {"metadata": {"name": "x"}}),
        ),
        ("read Secrets", lambda: core.list_namespaced_secret(release.watched)),
        ("delete a node", lambda: core.delete_node("kwok-node-0")),
        (
            "create a Role",
            lambda: kubernetes.client.RbacAuthorizationV1Api(api).create_namespaced_role(
                release.watched, {"metadata": {"name": "x"}, "rules": []}
            ),
        ),
    ]
    for what, call in refused:
        with pytest.raises(kubernetes.client.ApiException) as e:
            call()
        assert e.value.status == 403, what


def test_cluster_wide_release_sharing_the_cluster_schedules_only_its_labelled_jobs(
    cluster: Cluster, release: Release, chart_operator: Callable[..., ChartOperator]
) -> None:
    """A second release: every namespace, selected by label, with ClusterKopfPeering; the first
    release keeps the CRD, the admission policy and the aggregated roles."""
    shard = secrets.token_hex(3)
    second = Release(
        name=f"shard-{shard}",
        namespace=release.namespace,
        watched=release.other,
        other=release.watched,
        values={
            "labelSelector": {"chronos.test/shard": shard},
            "peering": {"enabled": True},
            "crds": {"enabled": False},
            "admissionPolicy": {"enabled": False},
            "rbac": {"create": True, "aggregateToDefaultRoles": False},
        },
    )
    helm(
        cluster, "install", second.name, str(CHART), "--namespace", second.namespace, *set_args(second.values)
    )
    op: ChartOperator | None = None
    try:
        op = chart_operator(second)
        assert op.env["CHRONOS_OPERATOR_NAMESPACES"] == ""
        assert op.env["CHRONOS_OPERATOR_LABEL_SELECTOR"] == f"chronos.test/shard={shard}"
        start = soon(6)
        spec = {"schedule": f"R1/{iso(start)}/PT1M", "command": "true"}
        create_job(cluster, second.watched, "mine", spec, labels={"chronos.test/shard": shard})
        create_job(cluster, second.watched, "theirs", spec, labels={"chronos.test/shard": "other"})
        wait_for(
            lambda: status_of(cluster, second.watched, "mine").get("successCount") == 1,
            timeout=60,
            message=f"the labelled job ran; operator log:\n{op.log()[-3000:]}",
        )
        # "theirs" was due at the same instant as "mine", which has run and finished since.
        assert runs_of(cluster, second.watched, "theirs") == []
        peering = kubernetes.client.CustomObjectsApi(cluster.api_client()).get_cluster_custom_object(
            "kopf.dev", "v1", "clusterkopfpeerings", second.fullname
        )
        assert peering.get("status"), "the replica registered itself in the ClusterKopfPeering"
        assert_no_forbidden_calls(op)
    finally:
        if op is not None:
            op.stop()  # before its rights go with the release
        helm(cluster, "uninstall", second.name, "--namespace", second.namespace, check=False)


# --- the admission policy (contract §9) and the aggregated roles ------------------------------


@pytest.fixture
def grant(cluster: Cluster, release: Release) -> Iterator[Callable[..., None]]:
    """grant(user, rules=[...]) or grant(user, cluster_role="edit"): RBAC in the watched
    namespace for this test only."""
    rbac = kubernetes.client.RbacAuthorizationV1Api(cluster.api_client())
    made: list[str] = []

    def give(user: str, rules: list[dict[str, Any]] | None = None, cluster_role: str = "") -> None:
        name = f"{user}-{len(made)}"
        if rules is not None:
            rbac.create_namespaced_role(release.watched, {"metadata": {"name": name}, "rules": rules})
        ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole" if cluster_role else "Role"}
        body = {
            "metadata": {"name": name},
            "roleRef": {**ref, "name": cluster_role or name},
            "subjects": [{"kind": "User", "name": user, "apiGroup": "rbac.authorization.k8s.io"}],
        }
        rbac.create_namespaced_role_binding(release.watched, body)
        made.append(name)
        # The API server's authorizer sees new bindings (and aggregated rules) a moment later.
        rule = (rules or [CHRONOSJOBS_WRITE])[0]
        wait_for(
            lambda: allowed(cluster, user, release.watched, rule, cluster_role),
            timeout=30,
            message=f"{user}'s new rights to take effect",
        )

    yield give
    for name in made:
        for delete in (rbac.delete_namespaced_role_binding, rbac.delete_namespaced_role):
            try:
                delete(name, release.watched)
            except kubernetes.client.ApiException as e:
                if e.status != 404:
                    raise


def allowed(cluster: Cluster, user: str, namespace: str, rule: dict[str, Any], cluster_role: str) -> bool:
    """Whether `user` may do the first verb of `rule` (for view: list chronosjobs) in `namespace`."""
    verb = "list" if cluster_role == "view" else rule["verbs"][0]
    attributes = {
        "namespace": namespace,
        "verb": verb,
        "group": rule["apiGroups"][0],
        "resource": rule["resources"][0],
        "name": (rule.get("resourceNames") or [""])[0],
    }
    review = {"spec": {"user": user, "resourceAttributes": attributes}}
    api = kubernetes.client.AuthorizationV1Api(cluster.api_client())
    return bool(api.create_subject_access_review(review).status.allowed)


CHRONOSJOBS_WRITE = {
    "apiGroups": [GROUP],
    "resources": [PLURAL],
    "verbs": ["get", "create", "patch", "update"],
}
JOBS_CREATE = {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create"]}


def as_user(cluster: Cluster, token: str) -> kubernetes.client.CustomObjectsApi:
    return kubernetes.client.CustomObjectsApi(cluster.api_client(token))


def chronosjob(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "ChronosJob",
        "metadata": {"name": name},
        "spec": {"schedule": NEVER, "command": "true", **spec},
    }


def refusal(call: Callable[[], Any]) -> str:
    with pytest.raises(kubernetes.client.ApiException) as e:
        call()
    assert e.value.status == 403
    return str(e.value.body)


def test_user_who_may_not_create_jobs_may_not_create_a_chronosjob(
    cluster: Cluster, release: Release, grant: Callable[..., None]
) -> None:
    ns, alice = release.watched, as_user(cluster, cluster.user_token)
    grant("alice", rules=[CHRONOSJOBS_WRITE])
    message = refusal(
        lambda: alice.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, chronosjob("no-jobs"))
    )
    assert f"alice may not create Jobs (batch) in namespace {ns}" in message
    assert "ValidatingAdmissionPolicy" in message

    grant("alice", rules=[JOBS_CREATE])
    alice.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, chronosjob("with-jobs"))


def test_pod_template_service_account_needs_the_right_to_use_it(
    cluster: Cluster, release: Release, grant: Callable[..., None]
) -> None:
    ns, alice = release.watched, as_user(cluster, cluster.user_token)
    grant("alice", rules=[CHRONOSJOBS_WRITE, JOBS_CREATE])
    body = chronosjob("as-runner", podTemplate={"spec": {"serviceAccountName": "runner"}})
    message = refusal(lambda: alice.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, body))
    assert f"alice may not use service account runner in namespace {ns}" in message

    impersonate = {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]}
    grant("alice", rules=[{**impersonate, "resourceNames": ["runner"]}])
    alice.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, body)


def test_patch_only_user_may_trigger_runs_but_not_change_what_runs(
    cluster: Cluster, release: Release, grant: Callable[..., None]
) -> None:
    ns, bob = release.watched, as_user(cluster, cluster.user2_token)
    as_user(cluster, cluster.admin_token).create_namespaced_custom_object(
        GROUP, VERSION, ns, PLURAL, chronosjob("triggered")
    )
    grant("bob", rules=[{"apiGroups": [GROUP], "resources": [PLURAL], "verbs": ["get", "patch"]}])

    def patch(body: dict[str, Any]) -> Any:
        return bob.patch_namespaced_custom_object(
            GROUP, VERSION, ns, PLURAL, "triggered", body, _content_type="application/merge-patch+json"
        )

    for trigger in ("chronos.dev/run-now", "chronos.dev/kill", "chronos.dev/mark-success"):
        patch({"metadata": {"annotations": {trigger: secrets.token_hex(3)}}})
    message = refusal(lambda: patch({"metadata": {"annotations": {"chronos.dev/run-arguments": "--all"}}}))
    assert f"bob may not create Jobs (batch) in namespace {ns}" in message
    refusal(lambda: patch({"spec": {"command": "rm -rf /data"}}))


def test_namespace_edit_users_manage_chronosjobs_and_view_users_read_them(
    cluster: Cluster, release: Release, grant: Callable[..., None]
) -> None:
    ns = release.watched
    alice, bob = as_user(cluster, cluster.user_token), as_user(cluster, cluster.user2_token)
    grant("alice", cluster_role="edit")
    grant("bob", cluster_role="view")
    # grant() waited until the aggregation controller had given edit and view the chart's rules.
    alice.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, chronosjob("by-editor"))
    listed = bob.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL)["items"]
    assert "by-editor" in {i["metadata"]["name"] for i in listed}
    message = refusal(
        lambda: bob.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, chronosjob("x"))
    )
    assert "cannot create resource" in message  # RBAC itself, before any admission policy
