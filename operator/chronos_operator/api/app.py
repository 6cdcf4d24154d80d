"""Chronos' REST API (contract §8, chronos.md §2) served from the operator's memory.

Reads come from the view, never from the API server. Writes become ChronosJob writes (server-side
apply as `chronos-rest-api`, or trigger annotations, contract §6): the operator stays the only
thing that creates runs. Paths exist under `/scheduler/...` (Chronos 2.x) and `/v1/scheduler/...`
(3.x, chronos-python), each also under `/namespaces/<ns>`; without that prefix the namespace is
the configured default.

This module builds the application (middleware, route table) and serves it; the handlers live in
`reads` and `writes` over the shared `context`, Chronos' JSON shapes in `render`, errors in `errors`.
"""

from __future__ import annotations

import time

from aiohttp import web
from aiohttp.typedefs import Middleware

from chronos_operator.metrics import Metrics
from chronos_operator.scheduler.view import View

from .auth import Authenticator
from .context import ApiWriter
from .errors import Handler, errors_middleware
from .forward import Forwarder, Roles
from .reads import ReadHandlers
from .render import quantile
from .settings import ApiSettings
from .writes import FIELD_MANAGER, WriteHandlers

__all__ = ["API_KEY", "FIELD_MANAGER", "ApiWriter", "ChronosApi", "build_app", "quantile", "start_api"]


class ChronosApi(ReadHandlers, WriteHandlers):
    """The REST API's handlers, reads and writes, over one view, writer and authenticator."""


API_KEY = web.AppKey("chronos_api", ChronosApi)


def metrics_middleware(metrics: Metrics) -> Middleware:
    """Counts requests by route pattern (never the raw path: job names would explode the series)."""

    @web.middleware
    async def measure(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        code = 500
        try:
            response = await handler(request)
            code = response.status
            return response
        except web.HTTPException as e:
            code = e.status
            raise
        finally:
            resource = request.match_info.route.resource
            route = resource.canonical if resource is not None else "unmatched"
            metrics.api_requests.labels(request.method, route, str(code)).inc()
            metrics.api_duration.labels(request.method, route).observe(time.perf_counter() - started)

    return measure


def build_app(
    view: View,
    writer: ApiWriter,
    settings: ApiSettings,
    authenticator: Authenticator,
    *,
    metrics: Metrics | None = None,
    roles: Roles | None = None,
) -> web.Application:
    """The REST API; with `metrics`, requests are counted; with `roles`, a standby replica
    forwards every request to the leader instead of answering from its paused view."""
    api = ChronosApi(view, writer, settings, authenticator)
    middlewares: list[Middleware] = []
    if metrics is not None:
        middlewares.append(metrics_middleware(metrics))
    forwarder = Forwarder(roles) if roles is not None else None
    if forwarder is not None:
        middlewares.append(forwarder.middleware)
    middlewares.append(errors_middleware)
    app = web.Application(middlewares=middlewares, client_max_size=1024**2)
    if forwarder is not None:
        app.on_cleanup.append(forwarder.close)
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
