"""The read handlers: jobs, search, summary, job, stat, stats, graph, leader, ping and metrics.

They answer from the view, never from the Kubernetes API server.
"""

from __future__ import annotations

from aiohttp import web

from chronos_operator.dag import NodeState, to_csv, to_dot

from .context import ApiContext
from .errors import ApiError
from .render import (
    PERCENTILES,
    durations,
    histogram,
    last_status,
    list_compatible,
    quantile,
    task_stat_history,
)


class ReadHandlers(ApiContext):
    """GET handlers (and ping/metrics); mixed into `app.ChronosApi`."""

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
