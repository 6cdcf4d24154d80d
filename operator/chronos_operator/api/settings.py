"""Settings of the Chronos REST API, read once from `CHRONOS_OPERATOR_API_*` environment variables."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from chronos_operator.settings import PREFIX, Settings, SettingsError

AuthMode = Literal["none", "basic", "kubernetes"]
AUTH_MODES: tuple[AuthMode, ...] = ("none", "basic", "kubernetes")


@dataclass(frozen=True)
class ApiSettings:
    default_namespace: str = "default"  # the namespace of paths without /namespaces/<ns>
    auth: AuthMode = "kubernetes"
    users_file: str = ""  # basic: lines user:password:ns1,ns2 (or *)
    host: str = "0.0.0.0"
    port: int = 8080
    advertise: str = ""  # what GET leader answers (host:port); empty = <hostname>:<port>
    review_cache_seconds: float = 10.0  # TokenReview / SubjectAccessReview results are kept this long
    namespaces: tuple[str, ...] = ()  # the operator's namespaces (empty = all): writes elsewhere are refused
    label_selector: dict[str, str] = field(default_factory=dict)  # put on created ChronosJobs
    default_epsilon: str = "PT60S"  # shown for jobs that set none

    @property
    def leader(self) -> str:
        return self.advertise or f"{socket.gethostname()}:{self.port}"

    def watches(self, namespace: str) -> bool:
        return not self.namespaces or namespace in self.namespaces


def _epsilon_text(value: timedelta) -> str:
    seconds = value.total_seconds()
    return f"PT{int(seconds)}S" if seconds == int(seconds) else f"PT{seconds}S"


def load_api_settings(settings: Settings, env: Mapping[str, str] | None = None) -> ApiSettings:
    """The API's settings from the environment (or `env`) and the operator's `settings`;
    SettingsError names a variable the API cannot use."""
    e = os.environ if env is None else env
    auth = (e.get(PREFIX + "API_AUTH") or "kubernetes").strip().lower()
    if auth not in AUTH_MODES:
        raise SettingsError(f"{PREFIX}API_AUTH: expected none, basic or kubernetes, got {auth!r}")
    users_file = e.get(PREFIX + "API_USERS_FILE", "")
    if auth == "basic" and not users_file:
        raise SettingsError(f"{PREFIX}API_USERS_FILE: required with {PREFIX}API_AUTH=basic")
    try:
        cache = float(e.get(PREFIX + "API_REVIEW_CACHE_SECONDS") or 10.0)
    except ValueError:
        raise SettingsError(f"{PREFIX}API_REVIEW_CACHE_SECONDS: expected a number of seconds") from None
    return ApiSettings(
        default_namespace=e.get(PREFIX + "API_NAMESPACE") or "default",
        auth=auth,
        users_file=users_file,
        host=e.get(PREFIX + "API_HOST") or "0.0.0.0",
        port=settings.api_port,
        advertise=e.get(PREFIX + "API_ADVERTISE", ""),
        review_cache_seconds=cache,
        namespaces=settings.namespaces,
        label_selector=dict(settings.label_selector),
        default_epsilon=_epsilon_text(settings.default_epsilon),
    )
