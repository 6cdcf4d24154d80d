"""The write handlers: iso8601, dependency, delete, run, success, kill and task status.

Writes become ChronosJob writes (server-side apply as `chronos-rest-api`, or trigger annotations,
contract §6); the operator stays the only thing that creates runs.
"""

from __future__ import annotations

import json
import logging
import secrets

from aiohttp import web

from chronos_operator import labels
from chronos_operator.dag import ancestors, descendants, find_cycle_members
from chronos_operator.model.chronos import from_chronos_json
from chronos_operator.model.errors import SpecError
from chronos_operator.model.names import build_manifest, kubernetes_name
from chronos_operator.model.spec import ChronosJobSpec

from .auth import AuthError, Identity
from .context import ApiContext
from .errors import ApiError

log = logging.getLogger(__name__)
FIELD_MANAGER = "chronos-rest-api"
BATCH = ("jobs", "batch")  # (resource, group) of the runs


def service_account_of(spec: ChronosJobSpec) -> str:
    """`podTemplate.spec.serviceAccountName`, the account runs would act as; empty when unset."""
    template = spec.podTemplate or {}
    pod_spec = template.get("spec") if isinstance(template, dict) else None
    name = pod_spec.get("serviceAccountName") if isinstance(pod_spec, dict) else None
    return name if isinstance(name, str) else ""


class WriteHandlers(ApiContext):
    """POST/PUT/DELETE handlers; mixed into `app.ChronosApi`."""

    async def allow_service_account(
        self, request: web.Request, namespace: str, account: str, identity: Identity
    ) -> None:
        if not await self.auth.authorize(
            identity, namespace, "impersonate", "serviceaccounts", "", name=account
        ):
            raise AuthError(
                403,
                f"user {identity.user!r} may not use service account {account!r} in namespace "
                f"{namespace!r} (podTemplate.spec.serviceAccountName needs impersonate on it)",
            )

    async def put_job(self, kind: str, request: web.Request) -> web.StreamResponse:
        """POST|PUT iso8601 / dependency: create or replace a ChronosJob from Chronos' job JSON."""
        namespace = self.namespace(request)
        identity = await self.auth.authenticate(request)
        text = await request.text()
        try:
            body = json.loads(text)
        except ValueError as e:
            raise ApiError(400, f"malformed JSON: {e}") from None
        if not isinstance(body, dict):
            raise ApiError(400, "the body must be a Chronos job: a JSON object")
        if kind == "dependency" and "parents" not in body:
            raise ApiError(400, "parents: required for a dependency job (POST iso8601 for a scheduled job)")
        if "parents" in body and body["parents"] == []:
            raise ApiError(400, "parents: must not be empty (a dependency job needs at least one parent)")
        try:
            spec, warnings = from_chronos_json(body)
        except SpecError as e:
            raise ApiError(400, str(e)) from None
        assert spec.name is not None  # from_chronos_json requires it
        name = spec.name
        existing = self.view.find(namespace, name)
        await self.allow(request, namespace, "update" if existing else "create", identity=identity)
        # No confused deputy: the operator creates Jobs for this job, so its author must be able to.
        await self.allow(request, namespace, "create", *BATCH, identity=identity)
        if account := service_account_of(spec):
            # Runs would act as this service account: its author must be allowed to (contract §9,
            # the same rule as the chart's ValidatingAdmissionPolicy).
            await self.allow_service_account(request, namespace, account, identity)
        if not self.settings.watches(namespace):
            raise ApiError(400, f"namespace {namespace!r} is not watched by this operator")
        k8s_name = existing.name if existing else kubernetes_name(name)
        if not existing and (clash := self.view.jobs.get((namespace, k8s_name))) is not None:
            raise ApiError(
                400,
                f"job {name!r} would be ChronosJob {k8s_name!r}, "
                f"already used by Chronos job {clash.chronos_name!r}",
            )
        problem = self.view.check_policy(spec)
        if problem:
            raise ApiError(400, problem)
        parents = list(spec.parents or [])
        if parents:
            missing = [p for p in parents if self.view.find(namespace, p) is None]
            if missing:
                raise ApiError(
                    400, f"job {name!r} does not have all parents defined: missing {', '.join(missing)}"
                )
            graph = self.graph(namespace)
            graph[name] = parents
            members = find_cycle_members(graph)
            if name in members:
                cycle = members & (ancestors(name, graph) | descendants(name, graph) | {name})
                raise ApiError(
                    400, f"job {name!r} would create a dependency cycle: {', '.join(sorted(cycle))}"
                )
        manifest = build_manifest(spec, namespace)
        manifest["metadata"]["name"] = k8s_name
        if self.settings.label_selector:
            manifest["metadata"]["labels"] = dict(self.settings.label_selector)
        applied = await self.writer.apply_chronosjob(namespace, manifest, FIELD_MANAGER)
        if applied.get("metadata"):
            self.view.upsert_job(applied)  # read-your-writes; the watch brings the same object
        for warning in warnings:
            log.info("REST API %s/%s: %s", namespace, name, warning)
        return web.Response(status=204)

    async def run_job(self, request: web.Request) -> web.StreamResponse:
        namespace = self.namespace(request)
        identity = await self.allow(request, namespace, "patch")
        await self.allow(request, namespace, "create", *BATCH, identity=identity)
        entry = self.entry(namespace, request.match_info["name"])
        arguments = request.query.get("arguments")
        token = secrets.token_hex(6)
        await self.trigger(
            entry,
            {
                labels.RUN_NOW: token,
                labels.RUN_ARGUMENTS: arguments if arguments and arguments.strip() else None,
            },
            "manual run",
        )
        return web.Response(status=204)

    async def delete_job(self, request: web.Request) -> web.StreamResponse:
        namespace = self.namespace(request)
        await self.allow(request, namespace, "delete")
        entry = self.entry(namespace, request.match_info["name"])
        await self.writer.delete_chronosjob(namespace, entry.name)
        return web.Response(status=204)

    async def mark_success(self, request: web.Request) -> web.StreamResponse:
        namespace = self.namespace(request)
        await self.allow(request, namespace, "patch")
        name = request.match_info["name"]
        entry = self.view.find(namespace, name)
        if entry is not None:
            await self.trigger(entry, {labels.MARK_SUCCESS: secrets.token_hex(6)}, "mark success")
        return web.Response(
            text=f"marked job {name} as successful: {str(entry is not None).lower()}",
            content_type="text/plain",
        )

    async def kill_tasks(self, request: web.Request) -> web.StreamResponse:
        namespace = self.namespace(request)
        await self.allow(request, namespace, "patch")
        entry = self.entry(namespace, request.match_info["name"])
        await self.trigger(entry, {labels.KILL: secrets.token_hex(6)}, "kill")
        return web.Response(status=204)

    async def task_status(self, request: web.Request) -> web.StreamResponse:
        """2.x async completion: annotate the run's Job chronos.dev/status-code, as users would."""
        namespace = self.namespace(request)
        identity = await self.auth.authenticate(request)
        task_id = request.match_info["task_id"]
        try:
            body = json.loads(await request.text())
        except ValueError as e:
            raise ApiError(400, f"malformed JSON: {e}") from None
        code = body.get("statusCode") if isinstance(body, dict) else None
        if isinstance(code, str) and code.strip().lstrip("-").isdigit():
            code = int(code)
        if isinstance(code, bool) or not isinstance(code, int):
            raise ApiError(
                400, f'statusCode: required, a whole number (body {{"statusCode": 0}}), not {code!r}'
            )
        run = next(
            (
                r
                for (ns, _), by_name in self.view.runs.items()
                if ns == namespace
                for r in by_name.values()
                if r.task_id == task_id
            ),
            None,
        )
        await self.allow(request, namespace, "patch", *BATCH, identity=identity)
        if run is None:
            raise ApiError(400, f"task {task_id!r} is unknown in namespace {namespace!r}")
        if not run.is_async:
            raise ApiError(
                400, f"task {task_id!r} is not a run of an async job: its outcome comes from its pod"
            )
        if run.active:
            await self.writer.annotate_job(namespace, run.name, {labels.STATUS_CODE: str(code)})
        return web.Response(status=204)
