"""The metrics port (8081): Prometheus `/metrics`, and the probes `/healthz` and `/readyz`.

Liveness fails only when the scheduler loop or the watch has stopped turning (a restart helps);
readiness says whether this replica answers API calls correctly: the leader once its view is
loaded, a standby once it knows a leader to forward to (contract §8: never a stale view).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from chronos_operator.metrics import Metrics

Check = Callable[[], tuple[bool, str]]


def build_probes_app(metrics: Metrics, healthy: Check, ready: Check) -> web.Application:
    async def serve_metrics(request: web.Request) -> web.Response:
        body = generate_latest(metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    def probe(check: Check) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            ok, reason = check()
            return web.Response(status=200 if ok else 503, text=reason + "\n")

        return handler

    app = web.Application()
    app.router.add_get("/metrics", serve_metrics)
    app.router.add_get("/healthz", probe(healthy))
    app.router.add_get("/readyz", probe(ready))
    return app
