"""Who may use the REST API: none (development), basic (users from a file, usually a mounted
Secret) or kubernetes (bearer tokens checked with TokenReview, rights with SubjectAccessReview,
so a user reaches through the API exactly what RBAC grants them on chronosjobs).

Review results are cached for a few seconds so a busy client costs the API server little.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from chronos_operator import labels

from .settings import ApiSettings

log = logging.getLogger(__name__)
ALL_NAMESPACES = "*"


@dataclass(frozen=True)
class Identity:
    user: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: Mapping[str, list[str]] = field(default_factory=dict)


class AuthError(Exception):
    """401 (not authenticated; `challenge` goes into WWW-Authenticate) or 403 (not allowed)."""

    def __init__(self, status: int, message: str, challenge: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.challenge = challenge


class Reviewer(Protocol):
    """What the kubernetes mode needs from the writer."""

    async def token_review(self, token: str) -> dict[str, Any]: ...

    async def subject_access_review(
        self,
        user: str,
        groups: list[str],
        namespace: str,
        verb: str,
        resource: str = ...,
        group: str = ...,
        *,
        uid: str = ...,
        extra: Mapping[str, list[str]] | None = ...,
        name: str = ...,
    ) -> bool: ...


class Authenticator(Protocol):
    async def authenticate(self, request: web.Request) -> Identity:
        """The caller; AuthError(401) when unknown."""
        ...

    async def authorize(
        self,
        identity: Identity,
        namespace: str,
        verb: str,
        resource: str = labels.PLURAL,
        group: str = labels.GROUP,
        name: str = "",
    ) -> bool:
        """Whether the caller may do `verb` on `resource` in `namespace`."""
        ...


class NoAuth:
    """Everyone is anonymous and may do everything (development only)."""

    async def authenticate(self, request: web.Request) -> Identity:
        return Identity("anonymous")

    async def authorize(
        self,
        identity: Identity,
        namespace: str,
        verb: str,
        resource: str = labels.PLURAL,
        group: str = labels.GROUP,
        name: str = "",
    ) -> bool:
        return True


@dataclass(frozen=True)
class BasicUser:
    password: str
    namespaces: frozenset[str]  # "*" = all


def parse_users(text: str) -> dict[str, BasicUser]:
    """Lines `user:password:ns1,ns2` (or `*` for every namespace); `#` comments and blank lines
    are skipped. The password may contain `:` (the namespaces follow the last one)."""
    users: dict[str, BasicUser] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, rest = line.partition(":")
        password, sep2, namespaces = rest.rpartition(":")
        if not sep or not sep2 or not user:
            log.warning("API users file line %d: expected user:password:namespaces; ignored", number)
            continue
        users[user] = BasicUser(password, frozenset(n.strip() for n in namespaces.split(",") if n.strip()))
    return users


class BasicAuth:
    """HTTP basic auth against a users file, re-read when it changes (a Secret update)."""

    CHALLENGE = 'Basic realm="chronos"'

    def __init__(self, path: str) -> None:
        self.path = path
        self._users: dict[str, BasicUser] = {}
        self._stamp: tuple[float, int] | None = None

    def users(self) -> dict[str, BasicUser]:
        try:
            stat = os.stat(self.path)
        except OSError as e:
            log.warning("API users file %s: %s", self.path, e)
            return self._users
        stamp = (stat.st_mtime, stat.st_size)
        if stamp != self._stamp:
            try:
                with open(self.path, encoding="utf-8") as f:
                    self._users = parse_users(f.read())
                self._stamp = stamp
            except OSError as e:
                log.warning("API users file %s: %s", self.path, e)
        return self._users

    async def authenticate(self, request: web.Request) -> Identity:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic" or not value:
            raise AuthError(401, "authentication required (HTTP basic)", self.CHALLENGE)
        try:
            user, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise AuthError(401, "malformed basic credentials", self.CHALLENGE) from None
        known = self.users().get(user)
        if not sep or known is None or not hmac.compare_digest(known.password.encode(), password.encode()):
            raise AuthError(401, "wrong user name or password", self.CHALLENGE)
        return Identity(user)

    async def authorize(
        self,
        identity: Identity,
        namespace: str,
        verb: str,
        resource: str = labels.PLURAL,
        group: str = labels.GROUP,
        name: str = "",
    ) -> bool:
        known = self.users().get(identity.user)
        return known is not None and (ALL_NAMESPACES in known.namespaces or namespace in known.namespaces)


class _Cache:
    def __init__(self, ttl: float, limit: int = 10_000) -> None:
        self.ttl = ttl
        self.limit = limit
        self.items: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any) -> Any:
        hit = self.items.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, key: Any, value: Any) -> None:
        if len(self.items) >= self.limit:
            now = time.monotonic()
            self.items = {k: v for k, v in self.items.items() if v[0] >= now}
            if len(self.items) >= self.limit:
                self.items.clear()
        self.items[key] = (time.monotonic() + self.ttl, value)


class KubernetesAuth:
    """Bearer tokens: TokenReview says who, SubjectAccessReview what RBAC allows."""

    CHALLENGE = 'Bearer realm="chronos"'

    def __init__(self, reviewer: Reviewer, ttl: float = 10.0) -> None:
        self.reviewer = reviewer
        self.tokens = _Cache(ttl)
        self.access = _Cache(ttl)

    async def authenticate(self, request: web.Request) -> Identity:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthError(401, "authentication required: Authorization: Bearer <token>", self.CHALLENGE)
        key = hashlib.sha256(token.encode()).hexdigest()  # the cache never holds tokens
        identity = self.tokens.get(key)
        if identity is None:
            status = await self.reviewer.token_review(token)
            user = status.get("user") or {}
            if status.get("authenticated") and user.get("username"):
                identity = Identity(
                    user=str(user["username"]),
                    groups=tuple(user.get("groups") or ()),
                    uid=str(user.get("uid") or ""),
                    extra={k: list(v) for k, v in (user.get("extra") or {}).items()},
                )
            else:
                identity = False
            self.tokens.put(key, identity)
        if identity is False:
            raise AuthError(401, "the bearer token is not valid", self.CHALLENGE)
        assert isinstance(identity, Identity)
        return identity

    async def authorize(
        self,
        identity: Identity,
        namespace: str,
        verb: str,
        resource: str = labels.PLURAL,
        group: str = labels.GROUP,
        name: str = "",
    ) -> bool:
        key = (identity.user, identity.groups, identity.uid, namespace, verb, resource, group, name)
        allowed = self.access.get(key)
        if allowed is None:
            allowed = await self.reviewer.subject_access_review(
                identity.user,
                list(identity.groups),
                namespace,
                verb,
                resource,
                group,
                uid=identity.uid,
                extra=identity.extra,
                name=name,
            )
            self.access.put(key, allowed)
        return bool(allowed)


def make_authenticator(settings: ApiSettings, reviewer: Reviewer) -> Authenticator:
    if settings.auth == "none":
        return NoAuth()
    if settings.auth == "basic":
        return BasicAuth(settings.users_file)
    return KubernetesAuth(reviewer, settings.review_cache_seconds)
