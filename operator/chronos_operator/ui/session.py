"""Who is using the UI and what they may do: the REST API's authenticator (none, basic or
kubernetes), the same rights per action, a login cookie for bearer tokens, and CSRF tokens.

Browsers cannot send a bearer token by themselves, so in `kubernetes` mode the user pastes one
(`kubectl create token ...`) into the login form; it is kept in an HttpOnly, SameSite=Strict
cookie scoped to /ui/ and sent to the authenticator as `Authorization: Bearer`, so TokenReview
and SubjectAccessReview see exactly what they would see from curl. In `basic` mode the browser's
own basic-auth prompt answers the API's challenge.

Every POST carries the per-browser CSRF token (a random cookie, also written into each form) and
is refused unless both agree; the cookies are SameSite=Strict besides.
"""

from __future__ import annotations

import hmac
import secrets
from typing import cast

from aiohttp import web
from multidict import CIMultiDict

from chronos_operator import labels
from chronos_operator.api.auth import Authenticator, AuthError, Identity

from .settings import UiSettings

TOKEN_COOKIE = "chronos_ui_token"
CSRF_COOKIE = "chronos_ui_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
NEW_CSRF_KEY = web.RequestKey("chronos_ui_new_csrf", str)  # a token to set as cookie on the answer
COOKIE_PATH = "/ui"
CHRONOSJOBS = (labels.PLURAL, labels.GROUP)
JOBS = ("jobs", "batch")
PODS = ("pods", "")

# The rights each action needs, as the REST API checks them (api/writes.py), so a user can do in
# the UI exactly what they can do with curl.
RIGHTS: dict[str, tuple[tuple[str, tuple[str, str]], ...]] = {
    "list": (("list", CHRONOSJOBS),),
    "view": (("get", CHRONOSJOBS),),
    "log": (("get", PODS),),
    "run": (("patch", CHRONOSJOBS), ("create", JOBS)),
    "mark-success": (("patch", CHRONOSJOBS),),
    "kill": (("patch", CHRONOSJOBS),),
    "disable": (("patch", CHRONOSJOBS),),
    "enable": (("patch", CHRONOSJOBS),),
    "delete": (("delete", CHRONOSJOBS),),
    "create": (("create", CHRONOSJOBS), ("create", JOBS)),
    "edit": (("update", CHRONOSJOBS), ("create", JOBS)),
}
READS = frozenset({"list", "view", "log"})
ACTIONS = tuple(a for a in RIGHTS if a not in READS)


class _Headers:
    """What the authenticators read of a request: its headers (a clone is impossible once a
    request's body was read, as the login form's is)."""

    def __init__(self, headers: CIMultiDict[str]) -> None:
        self.headers = headers


def _with_bearer(request: web.Request, token: str) -> web.Request:
    headers = CIMultiDict(request.headers)
    headers["Authorization"] = f"Bearer {token}"
    return cast(web.Request, _Headers(headers))


class LoginRequired(Exception):
    """Kubernetes mode without a (valid) token cookie: the login page answers."""


class Session:
    def __init__(self, authenticator: Authenticator, mode: str, settings: UiSettings) -> None:
        self.auth = authenticator
        self.mode = mode
        self.settings = settings

    async def identity(self, request: web.Request) -> Identity:
        """The user behind `request`; LoginRequired (kubernetes) or AuthError(401) otherwise."""
        if self.mode == "kubernetes" and "Authorization" not in request.headers:
            token = request.cookies.get(TOKEN_COOKIE, "")
            if not token:
                raise LoginRequired()
            request = _with_bearer(request, token)
        try:
            return await self.auth.authenticate(request)
        except AuthError as e:
            if e.status == 401 and self.mode == "kubernetes":
                raise LoginRequired() from None
            raise

    async def check_token(self, token: str, request: web.Request) -> Identity:
        return await self.auth.authenticate(_with_bearer(request, token))

    async def may(self, identity: Identity, namespace: str, action: str) -> bool:
        """Whether `identity` may take `action` in `namespace` (never, for writes, when read-only)."""
        if self.settings.read_only and action not in READS:
            return False
        for verb, (resource, group) in RIGHTS[action]:
            if not await self.auth.authorize(identity, namespace, verb, resource, group):
                return False
        return True

    async def allowed(
        self, identity: Identity, namespace: str, actions: tuple[str, ...] = ACTIONS
    ) -> set[str]:
        return {a for a in actions if await self.may(identity, namespace, a)}

    async def require(self, identity: Identity, namespace: str, action: str) -> None:
        if self.settings.read_only and action not in READS:
            raise AuthError(403, "the web UI is read-only (CHRONOS_OPERATOR_UI_READ_ONLY)")
        if not await self.may(identity, namespace, action):
            verbs = ", ".join(f"{v} {r}{'.' + g if g else ''}" for v, (r, g) in RIGHTS[action])
            raise AuthError(
                403, f"user {identity.user!r} may not {action} in namespace {namespace!r} (needs {verbs})"
            )

    # --- cookies ---------------------------------------------------------------------------------

    def csrf_token(self, request: web.Request) -> str:
        """This browser's CSRF token; a new one is remembered for `set_cookies`."""
        token = request.cookies.get(CSRF_COOKIE, "")
        if len(token) != 32 or not all(c in "0123456789abcdef" for c in token):
            token = request.get(NEW_CSRF_KEY) or secrets.token_hex(16)
            request[NEW_CSRF_KEY] = token
        return token

    def set_cookies(self, request: web.Request, response: web.StreamResponse) -> None:
        new = request.get(NEW_CSRF_KEY)
        if new:
            response.set_cookie(
                CSRF_COOKIE,
                new,
                path=COOKIE_PATH,
                httponly=True,
                samesite="Strict",
                secure=self.settings.secure_cookies,
            )

    def set_token(self, response: web.StreamResponse, token: str) -> None:
        response.set_cookie(
            TOKEN_COOKIE,
            token,
            path=COOKIE_PATH,
            httponly=True,
            samesite="Strict",
            secure=self.settings.secure_cookies,
        )

    def clear_token(self, response: web.StreamResponse) -> None:
        response.del_cookie(TOKEN_COOKIE, path=COOKIE_PATH)

    def check_csrf(self, request: web.Request, submitted: str) -> None:
        cookie = request.cookies.get(CSRF_COOKIE, "")
        given = submitted or request.headers.get(CSRF_HEADER, "")
        if not cookie or not given or not hmac.compare_digest(cookie.encode(), given.encode()):
            raise AuthError(403, "the form's CSRF token is missing or stale: reload the page and try again")
