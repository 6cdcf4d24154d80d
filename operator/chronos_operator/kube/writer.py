"""The writer: the only code that changes anything through the Kubernetes API.

Every call has a timeout (a dead connection must not stall scheduling) and runs in a thread pool
sized for concurrent calls, so the event loop never blocks on the network. Errors are sorted into
"already exists" (done before a crash: fine), transient (retry later) and permanent (report).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

import kubernetes
import urllib3

from chronos_operator import labels
from chronos_operator.kube.ratelimit import TokenBucket
from chronos_operator.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
FIELD_MANAGER = "chronos-operator"
LIST_PAGE = 500  # items per page when listing at start-up
PEERING_GROUP, PEERING_VERSION = "kopf.dev", "v1"  # kopf's peering objects


class TransientError(Exception):
    """The call may succeed if tried again later (timeouts, 429, 5xx, lost connections)."""


class PermanentError(Exception):
    """The API server refused the request for a reason a retry does not change."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message


def _classify(e: Exception) -> Exception:
    if isinstance(e, kubernetes.client.ApiException):
        status = int(e.status or 0)
        if status == 429 or status >= 500 or status == 0:
            return TransientError(f"{status} {e.reason}")
        try:
            body = json.loads(e.body or "{}")
        except (TypeError, ValueError):
            body = {}
        return PermanentError(status, str(body.get("reason") or e.reason), str(body.get("message") or e))
    if isinstance(e, urllib3.exceptions.HTTPError | OSError | TimeoutError):
        return TransientError(str(e) or type(e).__name__)
    return e


class Writer:
    def __init__(self, api: kubernetes.client.ApiClient, settings: Settings) -> None:
        self.api = api
        self.settings = settings
        self.batch = kubernetes.client.BatchV1Api(api)
        self.core = kubernetes.client.CoreV1Api(api)
        self.custom = kubernetes.client.CustomObjectsApi(api)
        self.bucket = TokenBucket(settings.job_create_rate, settings.job_create_burst)
        self.executor = ThreadPoolExecutor(max_workers=settings.api_workers, thread_name_prefix="kube")
        self.timeout = (min(5.0, settings.request_timeout), settings.request_timeout)

    async def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("_request_timeout", self.timeout)
        kwargs.setdefault("_preload_content", False)
        loop = asyncio.get_running_loop()

        def call() -> Any:
            response = fn(*args, **kwargs)
            try:
                data = response.data  # read here, so the connection goes back to the pool at once
            finally:
                response.release_conn()
            return json.loads(data) if data else None

        try:
            return await loop.run_in_executor(self.executor, call)
        except Exception as e:
            raise _classify(e) from e

    # --- reads (start-up listing) ---------------------------------------------------------------

    async def _list_all(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Every item of a list call, fetched in pages and without managedFields: one response
        with 5,000 ChronosJobs and their field managers, decoded at once, was the operator's
        peak memory."""
        items: list[Any] = []
        token = ""
        while True:
            page = dict(await self._call(fn, *args, limit=LIST_PAGE, _continue=token or None, **kwargs))
            for item in page.get("items") or []:
                (item.get("metadata") or {}).pop("managedFields", None)
                items.append(item)
            token = str((page.get("metadata") or {}).get("continue") or "")
            if not token:
                return {**page, "items": items}

    async def list_chronosjobs(self, namespace: str | None) -> dict[str, Any]:
        if namespace:
            return await self._list_all(
                self.custom.list_namespaced_custom_object,
                labels.GROUP,
                labels.VERSION,
                namespace,
                labels.PLURAL,
            )
        return await self._list_all(
            self.custom.list_cluster_custom_object, labels.GROUP, labels.VERSION, labels.PLURAL
        )

    async def list_runs(self, namespace: str | None) -> dict[str, Any]:
        selector = f"{labels.MANAGED_BY}={labels.MANAGED_BY_VALUE}"
        if namespace:
            return await self._list_all(self.batch.list_namespaced_job, namespace, label_selector=selector)
        return await self._list_all(self.batch.list_job_for_all_namespaces, label_selector=selector)

    async def list_nodes(self) -> list[dict[str, Any]]:
        result = await self._call(self.core.list_node)
        return list(result.get("items") or [])

    async def last_exit_code(self, namespace: str, job_name: str) -> int | None:
        """The exit code of the last terminated container of the Job's pods, if any pod remains."""
        result = await self._call(
            self.core.list_namespaced_pod, namespace, label_selector=f"job-name={job_name}"
        )
        best: tuple[str, int] | None = None
        for pod in result.get("items") or []:
            for cs in (pod.get("status") or {}).get("containerStatuses") or []:
                term = (cs.get("state") or {}).get("terminated")
                if term and cs.get("name") == "main":
                    key = (str(term.get("finishedAt") or ""), int(term.get("exitCode", 0)))
                    best = max(best, key) if best else key
        return best[1] if best else None

    async def peering_status(self, name: str, namespace: str | None) -> dict[str, Any] | None:
        """The status (kopf's keep-alive records) of the peering object `name`: a KopfPeering in
        `namespace`, or the ClusterKopfPeering when `namespace` is None; None when it is missing."""
        try:
            if namespace:
                body = await self._call(
                    self.custom.get_namespaced_custom_object,
                    PEERING_GROUP,
                    PEERING_VERSION,
                    namespace,
                    "kopfpeerings",
                    name,
                )
            else:
                body = await self._call(
                    self.custom.get_cluster_custom_object,
                    PEERING_GROUP,
                    PEERING_VERSION,
                    "clusterkopfpeerings",
                    name,
                )
        except PermanentError as e:
            if e.status == 404:
                return None
            raise
        return dict((body or {}).get("status") or {})

    async def read_run_log(self, namespace: str, job_name: str, tail_lines: int = 200) -> str | None:
        """The last lines of the log of the run's newest pod (the web UI); None when no pod remains."""
        pods = await self._call(
            self.core.list_namespaced_pod, namespace, label_selector=f"job-name={job_name}"
        )
        items = (pods or {}).get("items") or []
        if not items:
            return None
        newest = max(items, key=lambda p: str((p.get("metadata") or {}).get("creationTimestamp") or ""))
        loop = asyncio.get_running_loop()

        def call() -> str:
            response: Any = self.core.read_namespaced_pod_log(
                newest["metadata"]["name"],
                namespace,
                container="main",
                tail_lines=tail_lines,
                _preload_content=False,
                _request_timeout=self.timeout,
            )
            try:
                return bytes(response.data).decode(errors="replace")
            finally:
                response.release_conn()

        try:
            return await loop.run_in_executor(self.executor, call)
        except Exception as e:
            raise _classify(e) from e

    # --- writes ---------------------------------------------------------------------------------

    async def create_job(self, namespace: str, manifest: Mapping[str, Any]) -> bool:
        """Creates a run's Job; False when it already exists (created before a crash: done)."""
        await self.bucket.acquire()
        try:
            await self._call(
                self.batch.create_namespaced_job, namespace, dict(manifest), field_manager=FIELD_MANAGER
            )
        except PermanentError as e:
            if e.status == 409 and e.reason == "AlreadyExists":
                return False
            raise
        return True

    async def dry_run_job(self, namespace: str, manifest: Mapping[str, Any]) -> None:
        await self._call(self.batch.create_namespaced_job, namespace, dict(manifest), dry_run="All")

    async def patch_status(self, namespace: str, name: str, patch: Mapping[str, Any]) -> None:
        """Merge-patches the ChronosJob's status subresource (lists are replaced whole)."""
        await self._call(
            self.custom.patch_namespaced_custom_object_status,
            labels.GROUP,
            labels.VERSION,
            namespace,
            labels.PLURAL,
            name,
            {"status": dict(patch)},
            _content_type="application/merge-patch+json",
            field_manager=FIELD_MANAGER,
        )

    async def annotate_job(self, namespace: str, name: str, annotations: Mapping[str, str | None]) -> None:
        try:
            await self._call(
                self.batch.patch_namespaced_job,
                name,
                namespace,
                {"metadata": {"annotations": dict(annotations)}},
                _content_type="application/merge-patch+json",
                field_manager=FIELD_MANAGER,
            )
        except PermanentError as e:
            if e.status != 404:  # gone already: nothing left to mark
                raise

    async def _stop_job(self, namespace: str, name: str, annotations: Mapping[str, str]) -> None:
        """Marks a run and makes the Job controller end it: a deadline of one second fails the
        Job and removes its pods, and the marks say how the operator should count it."""
        body: dict[str, Any] = {
            "metadata": {"annotations": dict(annotations)},
            "spec": {"activeDeadlineSeconds": 1},
        }
        try:
            await self._call(
                self.batch.patch_namespaced_job,
                name,
                namespace,
                body,
                _content_type="application/merge-patch+json",
                field_manager=FIELD_MANAGER,
            )
        except PermanentError as e:
            if e.status == 404:
                return
            if e.status == 422:  # a finished Job's spec cannot change; the marks are enough
                await self.annotate_job(namespace, name, annotations)
                return
            raise

    async def kill_job(self, namespace: str, name: str, now: datetime) -> None:
        await self._stop_job(namespace, name, {labels.KILLED: now.strftime("%Y-%m-%dT%H:%M:%SZ")})

    async def expire_job(self, namespace: str, name: str) -> None:
        await self._stop_job(
            namespace, name, {labels.STATUS_CODE: "-1", labels.STATUS_REASON: "MaxCompletionTimeExceeded"}
        )

    async def delete_job(self, namespace: str, name: str) -> None:
        try:
            await self._call(
                self.batch.delete_namespaced_job, name, namespace, propagation_policy="Background"
            )
        except PermanentError as e:
            if e.status != 404:
                raise

    async def post_event(
        self, involved: Mapping[str, str], event_type: str, reason: str, message: str
    ) -> None:
        """A core/v1 Event about a ChronosJob (shown by `kubectl describe`). Best effort."""
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {
            "metadata": {"generateName": f"{involved['name']}.", "namespace": involved["namespace"]},
            "involvedObject": {
                "apiVersion": labels.API_VERSION,
                "kind": labels.KIND,
                "name": involved["name"],
                "namespace": involved["namespace"],
                "uid": involved.get("uid", ""),
            },
            "type": event_type,
            "reason": reason,
            "message": message[:1024],
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "source": {"component": "chronos-operator"},
            "reportingComponent": "chronos-operator",
        }
        try:
            await self._call(self.core.create_namespaced_event, involved["namespace"], body)
        except (TransientError, PermanentError) as e:
            log.warning(
                "could not post event %s on %s/%s: %s", reason, involved["namespace"], involved["name"], e
            )

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)

    # --- REST API (chronos_operator.api): ChronosJob writes as the API's field manager, and the
    # reviews that say who a bearer token belongs to and what RBAC grants them. -----------------

    async def apply_chronosjob(
        self, namespace: str, manifest: Mapping[str, Any], field_manager: str
    ) -> dict[str, Any]:
        """Server-side apply of a ChronosJob (force: the API's fields win); returns the object."""
        metadata = {**dict(manifest.get("metadata") or {}), "namespace": namespace}
        result = await self._call(
            self.custom.patch_namespaced_custom_object,
            labels.GROUP,
            labels.VERSION,
            namespace,
            labels.PLURAL,
            str(metadata.get("name", "")),
            {**manifest, "metadata": metadata},
            _content_type="application/apply-patch+yaml",  # JSON is YAML: the client sends JSON
            field_manager=field_manager,
            force=True,
        )
        return dict(result or {})

    async def annotate_chronosjob(
        self, namespace: str, name: str, annotations: Mapping[str, str | None]
    ) -> dict[str, Any]:
        """Merge-patches the ChronosJob's annotations (None removes one); returns the object."""
        result = await self._call(
            self.custom.patch_namespaced_custom_object,
            labels.GROUP,
            labels.VERSION,
            namespace,
            labels.PLURAL,
            name,
            {"metadata": {"annotations": dict(annotations)}},
            _content_type="application/merge-patch+json",
            field_manager=FIELD_MANAGER,
        )
        return dict(result or {})

    async def delete_chronosjob(self, namespace: str, name: str) -> bool:
        """Deletes a ChronosJob (its runs follow by owner reference); False when already gone."""
        try:
            await self._call(
                self.custom.delete_namespaced_custom_object,
                labels.GROUP,
                labels.VERSION,
                namespace,
                labels.PLURAL,
                name,
                propagation_policy="Background",
            )
        except PermanentError as e:
            if e.status == 404:
                return False
            raise
        return True

    async def token_review(self, token: str) -> dict[str, Any]:
        """TokenReview status for `token`: {authenticated, user: {username, uid, groups, extra}, error}."""
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}}
        result = await self._call(kubernetes.client.AuthenticationV1Api(self.api).create_token_review, body)
        return dict((result or {}).get("status") or {})

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
        """Whether the cluster's authorizers let `user` do `verb` on `resource` (the object `name`,
        when given) in `namespace`."""
        spec: dict[str, Any] = {
            "user": user,
            "groups": list(groups),
            "resourceAttributes": {
                "namespace": namespace,
                "verb": verb,
                "group": group,
                "resource": resource,
            },
        }
        if name:
            spec["resourceAttributes"]["name"] = name
        if uid:
            spec["uid"] = uid
        if extra:
            spec["extra"] = {k: list(v) for k, v in extra.items()}
        body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec}
        result = await self._call(
            kubernetes.client.AuthorizationV1Api(self.api).create_subject_access_review, body
        )
        return bool(((result or {}).get("status") or {}).get("allowed"))
