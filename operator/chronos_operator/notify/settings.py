"""Where notifications go, from `CHRONOS_OPERATOR_SMTP_*` and `CHRONOS_OPERATOR_WEBHOOK_*`.

No SMTP host means no e-mail; no webhook URL means no webhooks (contract §7).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from chronos_operator.settings import PREFIX, SettingsError, read_flag


@dataclass(frozen=True)
class NotifySettings:
    smtp_host: str = ""  # empty = no e-mail
    smtp_port: int = 25
    smtp_from: str = "chronos-operator@localhost"
    smtp_user: str = ""  # empty = no SMTP AUTH
    smtp_password: str = field(default="", repr=False)  # kept out of logs and reprs
    smtp_starttls: bool = False
    smtp_timeout: float = 10.0  # seconds per SMTP conversation, so a dead server frees its thread
    webhook_urls: tuple[str, ...] = ()
    webhook_timeout: float = 5.0  # seconds per attempt
    webhook_retries: int = 3  # attempts after the first one

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)


def load_notify_settings(env: Mapping[str, str] | None = None) -> NotifySettings:
    """Settings from the environment (or `env`); a bad value raises SettingsError (a ValueError)
    naming the variable."""
    e = os.environ if env is None else env
    defaults = NotifySettings()
    return NotifySettings(
        smtp_host=e.get(PREFIX + "SMTP_HOST", "").strip(),
        smtp_port=_port(e, "SMTP_PORT", defaults.smtp_port),
        smtp_from=e.get(PREFIX + "SMTP_FROM", "").strip() or defaults.smtp_from,
        smtp_user=e.get(PREFIX + "SMTP_USER", ""),
        smtp_password=e.get(PREFIX + "SMTP_PASSWORD", ""),
        smtp_starttls=read_flag(e, "SMTP_STARTTLS", defaults.smtp_starttls),
        smtp_timeout=_seconds(e, "SMTP_TIMEOUT", defaults.smtp_timeout),
        webhook_urls=_urls(e, "WEBHOOK_URLS"),
        webhook_timeout=_seconds(e, "WEBHOOK_TIMEOUT", defaults.webhook_timeout),
        webhook_retries=_count(e, "WEBHOOK_RETRIES", defaults.webhook_retries),
    )


def _raw(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(PREFIX + name, "").strip()
    return value or None


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = _raw(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name}: expected a number of seconds, got {raw!r}") from None
    if not value > 0 or value == float("inf"):  # also refuses nan
        raise SettingsError(f"{PREFIX}{name}: must be a positive number of seconds, got {raw!r}")
    return value


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    raw = _raw(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name}: expected a whole number, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{PREFIX}{name}: must not be negative, got {raw!r}")
    return value


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    value = _count(env, name, default)
    if not 0 < value < 65536:
        raise SettingsError(f"{PREFIX}{name}: expected a port between 1 and 65535, got {value}")
    return value


def _urls(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    urls = tuple(u.strip() for u in env.get(PREFIX + name, "").split(",") if u.strip())
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SettingsError(f"{PREFIX}{name}: expected http(s) URLs separated by commas, got {url!r}")
    return urls
