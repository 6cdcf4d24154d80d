"""Standby replicas forward REST API (and UI) requests to the replica that schedules.

A standby's kopf watches are paused, so its view is stale: it must never answer from it
(contract §8). Forwarding keeps every replica Ready behind the Service, which a rolling update
needs (a new replica starts as a standby and must become Ready before the old one goes). The
leader authenticates and authorizes the forwarded request itself: credentials pass through.
"""

from __future__ import annotations

from typing import Protocol

import aiohttp
from aiohttp import web

from .errors import Handler, error_response

FORWARDED = "X-Chronos-Forwarded-By"
LOCAL_PATHS = ("/ping",)  # liveness of this replica's API, answered where it is asked
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}


def unavailable(message: str) -> web.Response:
    return error_response(503, message, {"Retry-After": "2"})


class Roles(Protocol):
    """Which replica leads (kube.leadership.Leadership)."""

    identity: str

    @property
    def is_leader(self) -> bool: ...

    @property
    def leader_address(self) -> str | None: ...


class Forwarder:
    """The middleware, and the one client session it forwards with (closed with the app)."""

    def __init__(self, roles: Roles) -> None:
        self.roles = roles
        self.session: aiohttp.ClientSession | None = None

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.roles.is_leader or request.path in LOCAL_PATHS:
            return await handler(request)
        if FORWARDED in request.headers:
            # The leader we forwarded to is not leading any more: do not bounce between replicas.
            return unavailable("this replica is a standby and the request was already forwarded once")
        address = self.roles.leader_address
        if not address:
            return unavailable("no replica is scheduling right now (a fail-over is under way); retry shortly")
        return await self.proxy(request, f"http://{address}")

    async def proxy(self, request: web.Request, base: str) -> web.StreamResponse:
        if self.session is None or self.session.closed:
            self.session = aiohttp.ClientSession(auto_decompress=False)
        streaming = "text/event-stream" in request.headers.get("Accept", "")
        # Server-sent events stay open as long as the browser wants them; ordinary calls do not.
        timeout = aiohttp.ClientTimeout(total=None if streaming else 30, sock_connect=5)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers[FORWARDED] = self.roles.identity
        body = await request.read()
        try:
            async with self.session.request(
                request.method,
                base + str(request.rel_url),
                headers=headers,
                data=body if body else None,
                allow_redirects=False,
                timeout=timeout,
            ) as upstream:
                response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
                for name, value in upstream.headers.items():
                    if name.lower() not in HOP_BY_HOP:
                        response.headers.add(name, value)
                await response.prepare(request)
                async for chunk in upstream.content.iter_any():
                    await response.write(chunk)
                await response.write_eof()
                return response
        except (aiohttp.ClientError, TimeoutError) as e:
            return unavailable(f"the scheduling replica at {base} did not answer: {e or type(e).__name__}")

    async def close(self, app: web.Application) -> None:
        if self.session is not None:
            await self.session.close()
