"""Chronos' JSON errors: the error body, and the middleware that turns every failure into one."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus

from aiohttp import web

from chronos_operator.kube.writer import PermanentError, TransientError

from .auth import AuthError

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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
