"""A View filled by hand and a fake writer, for the REST API's unit tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chronos_operator import labels
from chronos_operator.kube.jobs import policy_problems
from chronos_operator.model.errors import SpecError
from chronos_operator.model.spec import ChronosJobSpec, validate_spec
from chronos_operator.scheduler.view import View
from chronos_operator.settings import Settings

NS = "team-a"
OTHER_NS = "team-b"


def parse_spec(raw: Mapping[str, Any], name: str) -> tuple[ChronosJobSpec | None, str | None]:
    try:
        return validate_spec(raw), None
    except SpecError as e:
        return None, str(e)


def check_policy(spec: Any) -> str | None:
    problems = policy_problems(spec, Settings())
    return "; ".join(problems) if problems else None


def chronosjob(
    name: str,
    spec: Mapping[str, Any],
    *,
    namespace: str = NS,
    status: Mapping[str, Any] | None = None,
    rv: str = "10",
) -> dict[str, Any]:
    return {
        "apiVersion": labels.API_VERSION,
        "kind": labels.KIND,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"uid-{namespace}-{name}",
            "resourceVersion": rv,
            "generation": 1,
            "creationTimestamp": "2026-03-01T11:00:00Z",
        },
        "spec": dict(spec),
        "status": dict(status or {}),
    }


def run_body(
    name: str,
    owner: str,
    task_id: str,
    *,
    namespace: str = NS,
    is_async: bool = False,
    complete: bool = False,
) -> dict[str, Any]:
    annotations = {
        labels.SCHEDULED_TIME: "2026-03-01T12:00:00Z",
        labels.TASK_ID: task_id,
    }
    if is_async:
        annotations[labels.ASYNC] = "true"
    status: dict[str, Any] = {"startTime": "2026-03-01T12:00:02Z"}
    if complete:
        status |= {
            "completionTime": "2026-03-01T12:00:09Z",
            "conditions": [{"type": "Complete", "status": "True"}],
        }
    else:
        status["active"] = 1
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"uid-{name}",
            "resourceVersion": "5",
            "creationTimestamp": "2026-03-01T12:00:02Z",
            "labels": {labels.JOB_LABEL: owner, labels.TRIGGER_LABEL: "schedule"},
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": labels.API_VERSION,
                    "kind": labels.KIND,
                    "name": owner,
                    "uid": f"uid-{namespace}-{owner}",
                }
            ],
        },
        "status": status,
    }


HISTORY = list(
    reversed(
        [
            {
                "taskId": "ct:1:0:SAMPLE_JOB1:",
                "jobName": "sample-job1-1",
                "trigger": "schedule",
                "startTime": "2026-03-01T10:00:00Z",
                "finishTime": "2026-03-01T10:00:10Z",
                "outcome": "Succeeded",
            },
            {
                "taskId": "ct:2:0:SAMPLE_JOB1:",
                "jobName": "sample-job1-2",
                "trigger": "schedule",
                "startTime": "2026-03-01T11:00:00Z",
                "finishTime": "2026-03-01T11:00:30Z",
                "outcome": "Succeeded",
            },
            {
                "taskId": "ct:3:0:SAMPLE_JOB1:",
                "jobName": "sample-job1-3",
                "trigger": "schedule",
                "startTime": "2026-03-01T11:30:00Z",
                "finishTime": "2026-03-01T11:31:05Z",
                "outcome": "Failed",
            },
        ]
    )
)  # the operator keeps the newest first


def filled_view() -> View:
    """team-a: SAMPLE_JOB1 (scheduled, 2 successes, 1 failure), child_job after it, a disabled job,
    an async job with one active run; team-b: other_job."""
    view = View(parse_spec, check_policy)
    view.upsert_job(
        chronosjob(
            "sample-job1",
            {
                "name": "SAMPLE_JOB1",
                "schedule": "R10/2012-10-01T05:52:00Z/PT2S",
                "epsilon": "PT15M",
                "command": "echo 'FOO' >> /tmp/JOB1_OUT",
                "owner": "ops@example.com",
            },
            status={
                "successCount": 2,
                "errorCount": 1,
                "lastSuccess": "2026-03-01T11:00:30Z",
                "lastError": "2026-03-01T11:31:05Z",
                "lastStatus": "failure",
                "state": "idle",
                "history": HISTORY,
            },
        )
    )
    view.upsert_job(
        chronosjob(
            "child-job",
            {"name": "child_job", "parents": ["SAMPLE_JOB1"], "command": "echo child"},
            status={"state": "running", "lastStatus": "fresh"},
        )
    )
    view.upsert_job(
        chronosjob(
            "sleeper", {"schedule": "R/2030-01-01T00:00:00Z/P1D", "command": "sleep 1", "disabled": True}
        )
    )
    view.upsert_job(chronosjob("async-job", {"schedule": "R/2030-01-01T00:00:00Z/P1D", "async": True}))
    view.upsert_run(run_body("async-job-1", "async-job", "ct:1772366400000:0:async-job:", is_async=True))
    view.upsert_run(run_body("sample-job1-9", "sample-job1", "ct:1772366400000:0:SAMPLE_JOB1:"))
    view.upsert_job(chronosjob("other-job", {"name": "other_job", "command": "true"}, namespace=OTHER_NS))
    return view


class FakeWriter:
    """Records every write; the reviews answer from `tokens` and `allowed`."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.tokens: dict[str, dict[str, Any]] = {}
        self.allowed: set[tuple[str, str, str, str]] = set()  # (user, namespace, verb, resource)
        self.fail: Exception | None = None

    def _check(self) -> None:
        if self.fail is not None:
            raise self.fail

    @property
    def writes(self) -> list[tuple[Any, ...]]:
        return [c for c in self.calls if c[0] not in ("token_review", "subject_access_review")]

    async def apply_chronosjob(
        self, namespace: str, manifest: Mapping[str, Any], field_manager: str
    ) -> dict[str, Any]:
        self._check()
        self.calls.append(("apply", namespace, manifest, field_manager))
        meta = dict(manifest["metadata"])
        meta |= {"namespace": namespace, "uid": f"uid-{namespace}-{meta['name']}", "resourceVersion": "99"}
        return {**manifest, "metadata": meta}

    async def annotate_chronosjob(
        self, namespace: str, name: str, annotations: Mapping[str, str | None]
    ) -> dict[str, Any]:
        self._check()
        self.calls.append(("annotate", namespace, name, dict(annotations)))
        return {}

    async def delete_chronosjob(self, namespace: str, name: str) -> bool:
        self._check()
        self.calls.append(("delete", namespace, name))
        return True

    async def annotate_job(self, namespace: str, name: str, annotations: Mapping[str, str | None]) -> None:
        self._check()
        self.calls.append(("annotate_job", namespace, name, dict(annotations)))

    async def token_review(self, token: str) -> dict[str, Any]:
        self.calls.append(("token_review", token))
        user = self.tokens.get(token)
        return {"authenticated": True, "user": user} if user else {"authenticated": False}

    async def subject_access_review(
        self,
        user: str,
        groups: list[str],
        namespace: str,
        verb: str,
        resource: str = labels.PLURAL,
        group: str = labels.GROUP,
        *,
        uid: str = "",
        extra: Mapping[str, list[str]] | None = None,
        name: str = "",
    ) -> bool:
        self.calls.append(("subject_access_review", user, namespace, verb, resource))
        target = f"{resource}/{name}" if name else resource
        return (user, namespace, verb, target) in self.allowed
