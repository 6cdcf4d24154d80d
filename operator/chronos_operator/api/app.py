"""Chronos' REST API (contract §8, chronos.md §2) served from the operator's memory.

Reads come from the view, never from the API server. Writes become ChronosJob writes (server-side
apply as `chronos-rest-api`, or trigger annotations, contract §6): the operator stays the only
thing that creates runs. Paths exist under `/scheduler/...` (Chronos 2.x) and `/v1/scheduler/...`
(3.x, chronos-python), each also under `/namespaces/<ns>`; without that prefix the namespace is
the configured default.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Protocol

from aiohttp import web
from pydantic import ValidationError

from chronos_operator import labels
from chronos_operator.dag import NodeState, ancestors, descendants, find_cycle_members, to_csv, to_dot
from chronos_operator.kube.writer import PermanentError, TransientError
from chronos_operator.model.chronos import from_chronos_json, to_chronos_json
from chronos_operator.model.errors import SpecError
from chronos_operator.model.names import build_manifest, kubernetes_name
from chronos_operator.model.status import ChronosJobStatus
from chronos_operator.schedule import parse_instant
from chronos_operator.scheduler.runs import Run
from chronos_operator.scheduler.view import Entry, View

from .auth import Authenticator, AuthError, Identity, Reviewer
from .settings import ApiSettings

log = logging.getLogger(__name__)
FIELD_MANAGER = "chronos-rest-api"
PERCENTILES = {
    "median": 0.5,
    "75thPercentile": 0.75,
    "95thPercentile": 0.95,
    "98thPercentile": 0.98,
    "99thPercentile": 0.99,
    "mean": None,
}
BATCH = ("jobs", "batch")  # (resource, group) of the runs
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiWriter(Reviewer, Protocol):
    """What the API needs from `chronos_operator.kube.writer.Writer`."""

    async def apply_chronosjob(
        self, namespace: str, manifest: Mapping[str, Any], field_manager: str
    ) -> dict[str, Any]: ...

    async def annotate_chronosjob(
        self, namespace: str, name: str, annotations: Mapping[str, str | None]
    ) -> dict[str, Any]: ...

    async def delete_chronosjob(self, namespace: str, name: str) -> bool: ...

    async def annotate_job(
        self, namespace: str, name: str, annotations: Mapping[str, str | None]
    ) -> None: ...


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    """Chronos 3.x's error body: {"message": ..., "status": "Bad Request"}."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return web.json_response({"message": message, "status": phrase}, status=status, headers=headers)


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as e:
        return error_response(e.status, e.message)
    except AuthError as e:
        return error_response(e.status, e.message, {"WWW-Authenticate": e.challenge} if e.challenge else None)
    except TransientError as e:
        return error_response(503, f"the Kubernetes API server did not answer: {e}")
    except PermanentError as e:
        status = e.status if e.status in (400, 403, 404, 409, 422) else 500
        return error_response(400 if status == 422 else status, f"Kubernetes refused the write: {e.message}")
    except web.HTTPException as e:
        if e.status >= 400:
            return error_response(
                e.status, e.reason, {"Allow": e.headers["Allow"]} if "Allow" in e.headers else None
            )
        raise
    except Exception as e:  # no input may stop the API; the operator keeps running
        log.exception("REST API: %s %s failed", request.method, request.path)
        return error_response(500, f"{type(e).__name__}: {e}")


# --- pure helpers -----------------------------------------------------------------------------


def job_status(entry: Entry) -> ChronosJobStatus:
    try:
        return ChronosJobStatus.model_validate(entry.status)
    except ValidationError:
        return ChronosJobStatus()


def job_json(entry: Entry, default_epsilon: str) -> dict[str, Any]:
    """The job as Chronos serializes it; a spec the operator cannot read is shown as stored."""
    if entry.spec is None:
        return {**entry.raw_spec, "name": entry.chronos_name}
    return to_chronos_json(
        entry.spec, job_status(entry), name=entry.chronos_name, default_epsilon=default_epsilon
    )


def list_compatible(job: dict[str, Any]) -> dict[str, Any]:
    """`GET jobs` fills `fetch` from `uris` when empty, else `uris` from `fetch` (Chronos)."""
    fetch, uris = job.get("fetch") or [], job.get("uris") or []
    if not fetch and uris:
        job["fetch"] = [
            {"uri": u, "output_file": "", "executable": False, "cache": False, "extract": True} for u in uris
        ]
    elif fetch and not uris:
        job["uris"] = [f.get("uri", "") for f in fetch]
    return job


def last_status(entry: Entry) -> str:
    status = entry.status
    if status.get("lastStatus") in ("fresh", "success", "failure"):
        return str(status["lastStatus"])
    success, error = status.get("lastSuccess") or "", status.get("lastError") or ""
    if not success and not error:
        return "fresh"
    return "success" if success > error else "failure"


def quantile(values: list[float], q: float | None) -> float:
    """Codahale's snapshot value at quantile q (None: the mean); 0 without values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    if q is None:
        return sum(ordered) / len(ordered)
    pos = q * (len(ordered) + 1)
    index = int(pos)
    if index < 1:
        return ordered[0]
    if index >= len(ordered):
        return ordered[-1]
    lower, upper = ordered[index - 1], ordered[index]
    return lower + (pos - index) * (upper - lower)


def _instant(text: Any) -> datetime | None:
    if not text or not isinstance(text, str):
        return None
    try:
        return parse_instant(text)
    except ValueError:
        return None


def durations(entry: Entry) -> list[float]:
    """Seconds taken by the successful runs in status.history (Chronos timed successes)."""
    result: list[float] = []
    for record in entry.status.get("history") or []:
        if not isinstance(record, Mapping) or record.get("outcome") != "Succeeded":
            continue
        start, end = _instant(record.get("startTime")), _instant(record.get("finishTime"))
        if start and end and end >= start:
            result.append((end - start).total_seconds())
    return result


def histogram(values: list[float]) -> dict[str, float]:
    result = {name: quantile(values, q) for name, q in PERCENTILES.items()}
    return {**result, "count": len(values)}


def _chronos_time(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%m/%d/%y %H:%M:%S") if value else "N/A"


def _duration_text(seconds: float) -> str:
    left = int(seconds)
    days, left = divmod(left, 86400)
    hours, left = divmod(left, 3600)
    minutes, secs = divmod(left, 60)
    text = "".join(f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "m")) if v)
    return f"{text}{secs}s"


def task_stat_history(entry: Entry, runs: Iterable[Run]) -> list[dict[str, Any]]:
    """Active runs, then status.history newest first, in Chronos' taskStatHistory shape."""
    items: list[dict[str, Any]] = []
    for run in sorted(
        (r for r in runs if r.active), key=lambda r: r.created or datetime.min.replace(tzinfo=UTC)
    ):
        items.append(
            {
                "taskId": run.task_id,
                "jobName": entry.chronos_name,
                "slaveId": run.name,
                "startTime": _chronos_time(run.started or run.created),
                "endTime": "N/A",
                "status": "Running" if run.started else "Idle",
            }
        )
    for record in entry.status.get("history") or []:  # newest first, as the operator keeps it
        if not isinstance(record, Mapping) or record.get("outcome") == "Skipped":
            continue
        start, end = _instant(record.get("startTime")), _instant(record.get("finishTime"))
        item: dict[str, Any] = {
            "taskId": record.get("taskId") or "",
            "jobName": entry.chronos_name,
            "slaveId": record.get("jobName") or "",
            "startTime": _chronos_time(start),
            "endTime": _chronos_time(end),
            "status": "Success" if record.get("outcome") == "Succeeded" else "Fail",
        }
        if start and end and end >= start:
            item["duration"] = _duration_text((end - start).total_seconds())
        items.append(item)
    return items


# --- the application --------------------------------------------------------------------------


class ChronosApi:
    def __init__(
        self, view: View, writer: ApiWriter, settings: ApiSettings, authenticator: Authenticator
    ) -> None:
        self.view = view
        self.writer = writer
        self.settings = settings
        self.auth = authenticator

    # --- helpers --------------------------------------------------------------------------------

    def namespace(self, request: web.Request) -> str:
        return request.match_info.get("namespace") or self.settings.default_namespace

    async def allow(
        self,
        request: web.Request,
        namespace: str,
        verb: str,
        resource: str = labels.PLURAL,
        group: str = labels.GROUP,
        identity: Identity | None = None,
    ) -> Identity:
        who = identity or await self.auth.authenticate(request)
        if not await self.auth.authorize(who, namespace, verb, resource, group):
            what = f"{resource}.{group}" if group else resource
            raise AuthError(403, f"user {who.user!r} may not {verb} {what} in namespace {namespace!r}")
        return who

    def entries(self, namespace: str) -> list[Entry]:
        found = [e for (ns, _), e in self.view.jobs.items() if ns == namespace]
        return sorted(found, key=lambda e: e.chronos_name)

    def entry(self, namespace: str, name: str) -> Entry:
        found = self.view.find(namespace, name)
        if found is None:
            raise ApiError(400, f"job {name!r} does not exist in namespace {namespace!r}")
        return found

    def runs_of(self, entry: Entry) -> list[Run]:
        return [
            r
            for r in self.view.runs.get((entry.namespace, entry.name), {}).values()
            if r.owner_uid in ("", entry.uid)
        ]

    def graph(self, namespace: str) -> dict[str, list[str]]:
        return {e.chronos_name: list(e.parents) for e in self.entries(namespace)}

    def job(self, entry: Entry) -> dict[str, Any]:
        return job_json(entry, self.settings.default_epsilon)

    @staticmethod
    def disabled(entry: Entry) -> bool:
        if entry.spec is not None:
            return bool(getattr(entry.spec, "disabled", False))
        return bool(entry.raw_spec.get("disabled"))

    async def trigger(self, entry: Entry, annotations: Mapping[str, str | None], what: str) -> None:
        if self.disabled(entry):
            raise ApiError(409, f"job {entry.chronos_name!r} is disabled: {what} refused")
        await self.writer.annotate_chronosjob(entry.namespace, entry.name, annotations)

    # --- reads ----------------------------------------------------------------------------------

    async def ping(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text="pong", content_type="text/plain")

    async def metrics(self, request: web.Request) -> web.StreamResponse:
        await self.auth.authenticate(request)
        runs = [r for by_name in self.view.runs.values() for r in by_name.values()]
        active = [r for r in runs if r.active]
        queued = sum(1 for e in self.view.jobs.values() if e.status.get("state") == "queued")

        def gauge(value: float) -> dict[str, float]:
            return {"value": value}

        return web.json_response(
            {
                "version": "3.0.0",
                "gauges": {
                    "jobs.count": gauge(len(self.view.jobs)),
                    "jobs.disabled": gauge(sum(1 for e in self.view.jobs.values() if self.disabled(e))),
                    "jobs.invalid": gauge(sum(1 for e in self.view.jobs.values() if e.spec is None)),
                    "runs.count": gauge(len(runs)),
                    "runs.active": gauge(len(active)),
                    "runs.pending": gauge(sum(1 for r in active if r.pending)),
                    "TaskManager.queueSize": gauge(queued),
                    "TaskManager.highQueueSize": gauge(0),
                },
                "counters": {},
                "histograms": {},
                "meters": {},
                "timers": {},
            }
        )

    async def list_jobs(self, request: web.Request) -> web.StreamResponse:
        namespace = self.namespace(request)
        await self.allow(request, namespace, "list")
        return web.json_response([list_compatible(self.job(e)) for e in self.entries(namespace)])

    async def search(self, request: web.Request) -> web.StreamResponse:
        namespace = self.namespace(request)
        await self.allow(request, namespace, "list")
        query = request.query

        def number(key: str, default: int) -> int:
            raw = query.get(key)
            if raw is None or raw == "":
                return default
            try:
                value = int(raw)
            except ValueError:
                raise ApiError(400, f"{key}: must be a whole number, not {raw!r}") from None
            if value < 0:
                raise ApiError(400, f"{key}: must not be negative, not {raw!r}")
            return value

        limit, offset = number("limit", 10), number("offset", 0)
        name = (query.get("name") or "").lower()
        command = (query.get("command") or "").lower()
        any_ = (query.get("any") or "").lower()
        found = []
        for entry in self.entries(namespace):
            job = self.job(entry)
            job_name, job_command = str(job.get("name", "")).lower(), str(job.get("command", "")).lower()
            by_name_and_command = (not name or name in job_name) and (not command or command in job_command)
            texts = (job_name, job_command, str(job.get("description", "")), str(job.get("owner", "")))
            if by_name_and_command or (any_ and any(any_ in t.lower() for t in texts)):
                found.append(job)
        return web.json_response(found[offset : offset + limit])

    async def summary(self, request: web.Request) -> web.StreamResponse:
        namespace = self.namespace(request)
        await self.allow(request, namespace, "list")
        jobs = []
        for entry in self.entries(namespace):
            schedule = getattr(entry.spec, "schedule", None) if entry.spec else entry.raw_spec.get("schedule")
            jobs.append(
                {
                    "name": entry.chronos_name,
                    "status": last_status(entry),
                    "state": str(entry.status.get("state") or "idle"),
                    "schedule": "" if entry.parents else str(schedule or ""),
                    "parents": list(entry.parents),
                    "disabled": self.disabled(entry),
                }
            )
        return web.json_response({"jobs": jobs})

    async def get_job(self, request: web.Request) -> web.StreamResponse:
        namespace = self.namespace(request)
        await self.allow(request, namespace, "get")
        return web.json_response(self.job(self.entry(namespace, request.match_info["name"])))

    async def job_stat(self, request: web.Request) -> web.StreamResponse:
        namespace = self.namespace(request)
        await self.allow(request, namespace, "get")
        entry = self.entry(namespace, request.match_info["name"])
        return web.json_response(
            {
                "histogram": histogram(durations(entry)),
                "taskStatHistory": task_stat_history(entry, self.runs_of(entry)),
            }
        )

    async def graph_dot(self, request: web.Request) -> web.StreamResponse:
        namespace = self.namespace(request)
        await self.allow(request, namespace, "list")
        graph = self.graph(namespace)
        return web.Response(text=to_dot(graph, graph), content_type="text/plain")

    async def graph_csv(self, request: web.Request) -> web.StreamResponse:
        namespace = self.namespace(request)
        await self.allow(request, namespace, "list")
        entries = self.entries(namespace)
        nodes = [
            NodeState(e.chronos_name, last_status(e), str(e.status.get("state") or "idle"))  # type: ignore[arg-type]
            for e in entries
        ]
        return web.Response(text=to_csv(nodes, self.graph(namespace)), content_type="text/plain")

    async def stats(self, request: web.Request) -> web.StreamResponse:
        namespace = self.namespace(request)
        await self.allow(request, namespace, "list")
        percentile = request.match_info["percentile"]
        if percentile not in PERCENTILES:
            raise ApiError(400, f"unknown statistic {percentile!r}: use one of {', '.join(PERCENTILES)}")
        rows = []
        for entry in self.entries(namespace):
            values = durations(entry)
            if values:
                rows.append(
                    {"jobNameLabel": entry.chronos_name, "time": quantile(values, PERCENTILES[percentile])}
                )
        rows.sort(key=lambda row: (-float(row["time"]), str(row["jobNameLabel"])))  # type: ignore[arg-type]
        return web.json_response(rows)

    async def leader(self, request: web.Request) -> web.StreamResponse:
        await self.auth.authenticate(request)
        return web.json_response({"leader": self.settings.leader})

    # --- writes ---------------------------------------------------------------------------------

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


API_KEY = web.AppKey("chronos_api", ChronosApi)


def build_app(
    view: View, writer: ApiWriter, settings: ApiSettings, authenticator: Authenticator
) -> web.Application:
    api = ChronosApi(view, writer, settings, authenticator)
    app = web.Application(middlewares=[errors_middleware], client_max_size=1024**2)
    app[API_KEY] = api

    def put_job(kind: str) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            return await api.put_job(kind, request)

        return handler

    routes: list[tuple[str, str, Handler]] = [
        ("GET", "jobs", api.list_jobs),
        ("GET", "jobs/search", api.search),
        ("GET", "jobs/summary", api.summary),
        ("GET", "job/stat/{name}", api.job_stat),
        ("PUT", "job/success/{name}", api.mark_success),
        ("POST", "job/success/{name}", api.mark_success),
        ("GET", "job/{name}", api.get_job),
        ("PUT", "job/{name}", api.run_job),
        ("DELETE", "job/{name}", api.delete_job),
        ("POST", "iso8601", put_job("iso8601")),
        ("PUT", "iso8601", put_job("iso8601")),
        ("POST", "dependency", put_job("dependency")),
        ("PUT", "dependency", put_job("dependency")),
        ("DELETE", "task/kill/{name}", api.kill_tasks),
        ("PUT", "task/{task_id:.+}", api.task_status),
        ("GET", "graph/dot", api.graph_dot),
        ("GET", "graph/csv", api.graph_csv),
        ("GET", "stats/{percentile}", api.stats),
        ("GET", "leader", api.leader),
    ]
    for prefix in ("", "/namespaces/{namespace}"):
        for base in ("/scheduler", "/v1/scheduler"):
            for method, path, handler in routes:
                app.router.add_route(method, f"{prefix}{base}/{path}", handler)
    for prefix in ("", "/namespaces/{namespace}"):  # clients given <host>/namespaces/<ns> as server
        app.router.add_get(f"{prefix}/ping", api.ping)
        app.router.add_get(f"{prefix}/metrics", api.metrics)
    return app


async def start_api(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Serves `app` on host:port; stop it with `await runner.cleanup()`."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner
