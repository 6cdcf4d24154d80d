"""kubectl-chronos run, mark-success, kill and graph against the real API server, as a user with
rights on chronosjobs only; and owner e-mail through a real SMTP server (contract §6, §7)."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest
from aiosmtpd.controller import Controller
from tests.helpers import wait_for
from tests.integration.conftest import REPO, Cluster, OperatorProcess
from tests.integration.kube_helpers import create_chronosjob, runs_of, status_of

pytestmark = pytest.mark.integration
NEVER = "R/2099-01-01T00:00:00Z/P1D"


def chronos_cli(
    cluster: Cluster, *args: str, kubeconfig: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = cluster.env()
    env["KUBECONFIG"] = str(kubeconfig or cluster.kubeconfig)
    return subprocess.run(
        [str(REPO / ".venv/bin/kubectl-chronos"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def grant_chronosjobs_only(cluster: Cluster, namespace: str, user: str) -> None:
    rbac = kubernetes.client.RbacAuthorizationV1Api(cluster.api_client())
    rbac.create_namespaced_role(
        namespace,
        {
            "metadata": {"name": "chronosjobs-editor"},
            "rules": [
                {
                    "apiGroups": ["chronos.dev"],
                    "resources": ["chronosjobs"],
                    "verbs": ["get", "list", "watch", "patch"],
                }
            ],
        },
    )
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": f"{user}-chronosjobs"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "chronosjobs-editor",
            },
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
        },
    )


def test_cli_actions_work_with_rights_on_chronosjobs_only(
    cluster: Cluster, namespace: str, operator: OperatorProcess
) -> None:
    grant_chronosjobs_only(cluster, namespace, "alice")
    alice = cluster.dir / "alice.kubeconfig"
    create_chronosjob(
        cluster,
        namespace,
        "nightly",
        {
            "name": "Nightly_ETL",
            "schedule": NEVER,
            "command": "echo",
            "podTemplate": {"metadata": {"annotations": {"chronos.test/duration": "30s"}}},
        },
    )
    create_chronosjob(cluster, namespace, "report", {"parents": ["Nightly_ETL"], "command": "true"})
    wait_for(
        lambda: status_of(cluster, namespace, "report").get("parentCursors"), timeout=20, message="cursor"
    )

    done = chronos_cli(
        cluster, "run", "Nightly_ETL", "-n", namespace, "--arguments", "--day 1", kubeconfig=alice
    )
    assert done.returncode == 0, done.stderr
    job = wait_for(lambda: runs_of(cluster, namespace, "nightly"), timeout=20, message="the manual run")[0]
    assert job.metadata.annotations["chronos.dev/arguments"] == "--day 1"

    done = chronos_cli(cluster, "kill", "nightly", "-n", namespace, kubeconfig=alice)
    assert done.returncode == 0, done.stderr
    wait_for(
        lambda: (
            (h := status_of(cluster, namespace, "nightly").get("history")) and h[0]["outcome"] == "Killed"
        ),
        timeout=40,
        message="the run killed",
    )

    done = chronos_cli(cluster, "mark-success", "Nightly_ETL", "-n", namespace, kubeconfig=alice)
    assert done.returncode == 0, done.stderr
    wait_for(
        lambda: status_of(cluster, namespace, "report").get("successCount") == 1, timeout=30, message="child"
    )

    csv = chronos_cli(cluster, "graph", "--format", "csv", "-n", namespace, kubeconfig=alice)
    assert csv.returncode == 0, csv.stderr
    lines = csv.stdout.splitlines()
    assert "node,Nightly_ETL,success,idle" in lines
    assert "link,Nightly_ETL,report" in lines
    dot = chronos_cli(cluster, "graph", "-n", namespace, kubeconfig=alice).stdout
    assert dot.startswith("digraph") and 'label="Nightly_ETL"' in dot and "->" in dot

    denied = chronos_cli(cluster, "run", "nightly", "-n", "default", kubeconfig=alice)
    assert denied.returncode != 0


def test_cli_action_on_an_unknown_job_names_it(cluster: Cluster, namespace: str, crd: Path) -> None:
    done = chronos_cli(cluster, "run", "nope", "-n", namespace)
    assert done.returncode == 2
    assert f"{namespace}/nope" in done.stderr


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


def test_final_failure_mails_each_owner_once(
    cluster: Cluster,
    namespace: str,
    operator_factory: Callable[..., OperatorProcess],
    smtp: tuple[int, Inbox],
) -> None:
    port, inbox = smtp
    operator_factory(namespace, CHRONOS_OPERATOR_SMTP_HOST="127.0.0.1", CHRONOS_OPERATOR_SMTP_PORT=str(port))
    create_chronosjob(
        cluster,
        namespace,
        "breaks",
        {
            "schedule": NEVER,
            "owner": "a@example.com, b@example.com",
            "retries": 0,
            "podTemplate": {"metadata": {"annotations": {"chronos.test/exit-code": "2"}}},
        },
    )
    kubernetes.client.CustomObjectsApi(cluster.api_client()).patch_namespaced_custom_object(
        "chronos.dev",
        "v1alpha1",
        namespace,
        "chronosjobs",
        "breaks",
        {"metadata": {"annotations": {"chronos.dev/run-now": "once"}}},
        _content_type="application/merge-patch+json",
    )
    wait_for(lambda: len(inbox.messages) >= 2, timeout=60, message="two e-mails")
    recipients = sorted(r for _, rcpts, _ in inbox.messages for r in rcpts)
    assert recipients == ["a@example.com", "b@example.com"]
    assert all("breaks" in body and "failed" in body for _, _, body in inbox.messages)
