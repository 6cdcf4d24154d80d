"""Operator settings, read once from `CHRONOS_OPERATOR_*` environment variables.

Every setting has a default that is safe for a shared cluster: host network, hostPath volumes and
privileged containers are refused unless switched on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from chronos_operator.schedule import ScheduleError, parse_duration

PREFIX = "CHRONOS_OPERATOR_"


class SettingsError(ValueError):
    """A setting has a value the operator cannot use; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    namespaces: tuple[str, ...] = ()  # empty = every namespace
    label_selector: dict[str, str] = field(default_factory=dict)  # only ChronosJobs with these labels
    default_image: str = "busybox:1.36"
    default_epsilon: timedelta = timedelta(seconds=60)
    allow_host_path: bool = False
    allow_host_network: bool = False
    allow_privileged: bool = False
    gpu_resource: str = "nvidia.com/gpu"
    high_priority_class: str = ""  # priorityClassName for highPriority jobs; empty = none
    fetcher_image: str = "busybox:1.36"  # the init container that downloads `uris`/`fetch`
    # Jobs per second, sustained (token bucket). The API server is protected by its own priority
    # and fairness; the bucket only keeps one operator from flooding it. kube-controller-manager
    # creates Jobs at a similar rate; a lower default made a burst of 500 due runs wait up to 8 s.
    job_create_rate: float = 200.0
    job_create_burst: int = 500
    history_size: int = 20  # runs kept in status.history
    request_timeout: float = 15.0  # seconds, every call to the API server
    api_workers: int = 32  # concurrent API calls
    api_port: int = 8080
    metrics_port: int = 8081
    peering: str = ""  # kopf peering name; empty = standalone (one replica)
    peering_lifetime: int = 15  # seconds a replica's keep-alive record stays valid
    default_cpus: float = 0.1
    default_mem: float = 128.0
    default_disk: float = 256.0

    def watches(self, namespace: str, labels: Mapping[str, str] | None) -> bool:
        """Whether an object in `namespace` with `labels` belongs to this operator."""
        if self.namespaces and namespace not in self.namespaces:
            return False
        have = labels or {}
        return all(have.get(k) == v for k, v in self.label_selector.items())


def read_flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    """`CHRONOS_OPERATOR_<name>` as a boolean; SettingsError naming the variable otherwise."""
    raw = (env.get(PREFIX + name) or "").strip()
    if raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{PREFIX}{name}: expected true or false, got {raw!r}")


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name}: expected a number, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{PREFIX}{name}: must not be negative, got {raw!r}")
    return value


def _selector(raw: str) -> dict[str, str]:
    selector: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        key, eq, value = part.partition("=")
        if not eq or not key:
            raise SettingsError(f"{PREFIX}LABEL_SELECTOR: expected key=value[,key=value], got {raw!r}")
        selector[key.strip()] = value.strip()
    return selector


def _epsilon(raw: str | None) -> timedelta:
    if not raw:
        return timedelta(seconds=60)
    try:
        period = parse_duration(raw, field=f"{PREFIX}DEFAULT_EPSILON")
    except ScheduleError as e:
        raise SettingsError(str(e)) from None
    if period.has_calendar_part():
        raise SettingsError(f"{PREFIX}DEFAULT_EPSILON: use hours, minutes or seconds, got {raw!r}")
    return timedelta(seconds=float(period.seconds))


def _lifetime(env: Mapping[str, str]) -> int:
    seconds = int(_number(env, "PEERING_LIFETIME", Settings.peering_lifetime))
    if seconds < 5:  # kopf renews about 5 s before expiry; less would let a live leader lapse
        raise SettingsError(f"{PREFIX}PEERING_LIFETIME: at least 5 seconds, got {seconds}")
    return seconds


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment (or `env`); raises SettingsError naming a bad variable."""
    e = os.environ if env is None else env
    namespaces = tuple(n.strip() for n in e.get(PREFIX + "NAMESPACES", "").split(",") if n.strip())
    return Settings(
        namespaces=namespaces,
        label_selector=_selector(e.get(PREFIX + "LABEL_SELECTOR", "")),
        default_image=e.get(PREFIX + "DEFAULT_IMAGE") or Settings.default_image,
        default_epsilon=_epsilon(e.get(PREFIX + "DEFAULT_EPSILON")),
        allow_host_path=read_flag(e, "ALLOW_HOST_PATH", False),
        allow_host_network=read_flag(e, "ALLOW_HOST_NETWORK", False),
        allow_privileged=read_flag(e, "ALLOW_PRIVILEGED", False),
        gpu_resource=e.get(PREFIX + "GPU_RESOURCE") or Settings.gpu_resource,
        high_priority_class=e.get(PREFIX + "HIGH_PRIORITY_CLASS", ""),
        fetcher_image=e.get(PREFIX + "FETCHER_IMAGE") or Settings.fetcher_image,
        job_create_rate=_number(e, "JOB_CREATE_RATE", Settings.job_create_rate),
        job_create_burst=int(_number(e, "JOB_CREATE_BURST", Settings.job_create_burst)),
        history_size=int(_number(e, "HISTORY_SIZE", Settings.history_size)),
        request_timeout=_number(e, "REQUEST_TIMEOUT", Settings.request_timeout),
        api_workers=max(1, int(_number(e, "API_WORKERS", Settings.api_workers))),
        api_port=int(_number(e, "API_PORT", Settings.api_port)),
        metrics_port=int(_number(e, "METRICS_PORT", Settings.metrics_port)),
        peering=e.get(PREFIX + "PEERING", ""),
        peering_lifetime=_lifetime(e),
        default_cpus=_number(e, "DEFAULT_CPUS", Settings.default_cpus),
        default_mem=_number(e, "DEFAULT_MEM", Settings.default_mem),
        default_disk=_number(e, "DEFAULT_DISK", Settings.default_disk),
    )
